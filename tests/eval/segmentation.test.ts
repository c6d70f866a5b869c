import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { Rng } from '../../lib/util/rng.ts';
import { dicePerImage } from '../../lib/eval/dice.ts';
import {
  DEFAULT_SEGMENTATION,
  SegmentationDecoder,
  balancedSegmentationRows,
  evaluateSegmentation,
  maskPresence,
  selectGrids,
  selectMasks,
  patchGridFromTensor,
  predictMasks,
  segmentationLoss,
  trainSegmentationDecoder,
  type MaskStack,
  type PatchGrid,
} from '../../lib/eval/segmentation.ts';

test.before(async () => {
  await nativeBackend();
});

const G = 8;
const D = 6;
const H = 64;

/**
 * Masks that are random patch-aligned rectangles (a quarter empty), and patch
 * features whose channel 0 is the patch's mask value (the rest noise): the
 * mask is fully predictable from the features.
 */
function synthetic(count: number, seed: number): { features: PatchGrid; masks: MaskStack } {
  const rng = new Rng(seed);
  const cell = H / G;
  const masks = new Uint8Array(count * H * H);
  const features = new Float32Array(count * G * G * D);
  for (let n = 0; n < count; n++) {
    const empty = rng.uniform() < 0.25;
    const r0 = rng.int(0, G - 2);
    const c0 = rng.int(0, G - 2);
    const r1 = rng.int(r0 + 1, G);
    const c1 = rng.int(c0 + 1, G);
    for (let pr = 0; pr < G; pr++) {
      for (let pc = 0; pc < G; pc++) {
        const inside = !empty && pr >= r0 && pr < r1 && pc >= c0 && pc < c1 ? 1 : 0;
        const base = ((n * G + pr) * G + pc) * D;
        features[base] = inside * 2 - 1;
        for (let d = 1; d < D; d++) features[base + d] = rng.normal() * 0.3;
        if (inside) for (let y = pr * cell; y < (pr + 1) * cell; y++) masks.fill(1, n * H * H + y * H + pc * cell, n * H * H + y * H + (pc + 1) * cell);
      }
    }
  }
  return { features: { data: features, count, grid: G, dim: D }, masks: { data: masks, count, height: H, width: H } };
}

test('the decoder learns a mask that the features encode: test Dice > 0.9 (empty on empty counts 1)', (t) => {
  const train = synthetic(48, 1);
  const testSet = synthetic(32, 2);
  const t0 = performance.now();
  const result = evaluateSegmentation(train, testSet, { steps: 150, batchSize: 8, hidden: 32, seed: 3 });
  t.log(`150 steps + prediction: ${(performance.now() - t0).toFixed(0)} ms; Dice ${result.summary.mean.toFixed(3)} ± ${result.summary.std.toFixed(3)}; loss ${result.losses[0]!.toFixed(3)} → ${result.losses.at(-1)!.toFixed(3)}`);
  t.true(result.summary.mean > 0.9, `mean Dice ${result.summary.mean}`);
  t.is(result.dice.length, 32);
  t.deepEqual(result.dice, dicePerImage(result.predictions.data, testSet.masks.data, 32));
  t.true(result.losses.at(-1)! < result.losses[0]!);
  // Empty targets predicted empty score exactly 1.
  for (let n = 0; n < 32; n++) {
    const target = testSet.masks.data.subarray(n * H * H, (n + 1) * H * H);
    if (target.every((v) => v === 0) && result.predictions.data.subarray(n * H * H, (n + 1) * H * H).every((v) => v === 0)) t.is(result.dice[n], 1);
  }
});

test('training is deterministic by seed and leaks no tensors', (t) => {
  const data = synthetic(8, 4);
  const before = tf.memory().numTensors;
  const a = trainSegmentationDecoder(data.features, data.masks, { steps: 3, batchSize: 4, hidden: 16, seed: 5 });
  const b = trainSegmentationDecoder(data.features, data.masks, { steps: 3, batchSize: 4, hidden: 16, seed: 5 });
  t.deepEqual(a.losses, b.losses);
  const maskA = predictMasks(a.decoder, data.features, H, H);
  t.deepEqual(maskA.data, predictMasks(b.decoder, data.features, H, H).data);
  a.decoder.dispose();
  b.decoder.dispose();
  evaluateSegmentation(data, data, { steps: 2, batchSize: 4, hidden: 16 });
  t.is(tf.memory().numTensors, before);
});

test('segmentationLoss: 10·focal − log dice by hand, and a confident correct prediction is near 0', (t) => {
  const logits = tf.tensor3d([[[0, 2], [-1, 3]]]); // [1, 2, 2]
  const target = tf.tensor3d([[[1, 0], [0, 1]]]);
  const z = [0, 2, -1, 3];
  const y = [1, 0, 0, 1];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  let focal = 0;
  let inter = 0;
  let psum = 0;
  z.forEach((v, i) => {
    const pt = y[i] ? sig(v) : 1 - sig(v);
    focal += (1 - pt) ** 2 * -Math.log(pt);
    inter += sig(v) * y[i]!;
    psum += sig(v);
  });
  const expected = 10 * (focal / 4) - Math.log((2 * inter + 1) / (psum + 2 + 1));
  const loss = segmentationLoss(logits, target);
  t.true(Math.abs(loss.dataSync()[0]! - expected) < 1e-5, `${loss.dataSync()[0]} vs ${expected}`);
  const good = segmentationLoss(tf.mul(tf.sub(tf.mul(target, 2), 1), 20) as tf.Tensor3D, target);
  t.true(good.dataSync()[0]! < 0.25, `${good.dataSync()[0]}`); // −log((2·2+1)/(2+2+1)) = 0, focal ≈ 0
  tf.dispose([logits, target, loss, good]);
});

test('decoder output shape, patchGridFromTensor, and shape errors', (t) => {
  const decoder = new SegmentationDecoder(D, { ...DEFAULT_SEGMENTATION, hidden: 16 });
  const x = tf.zeros([2, G, G, D]) as tf.Tensor4D;
  const out = decoder.forward(x, 40, 50);
  t.deepEqual(out.shape, [2, 40, 50]);
  const tokens = tf.zeros([2, G * G, D]) as tf.Tensor3D;
  t.deepEqual({ ...patchGridFromTensor(tokens), data: null }, { data: null, count: 2, grid: G, dim: D });
  t.throws(() => patchGridFromTensor(tf.zeros([1, 10, D]) as tf.Tensor3D), { message: /square grid/ });
  const data = synthetic(4, 6);
  t.throws(() => trainSegmentationDecoder(data.features, { ...data.masks, count: 3 }, { steps: 1 }), { message: /masks hold|3 masks/ });
  t.throws(() => predictMasks(decoder, { ...data.features, dim: 5, data: new Float32Array(4 * G * G * 5) }, H, H), { message: /dim 5/ });
  tf.dispose([x, out, tokens]);
  decoder.dispose();
});

test('balancedSegmentationRows: every positive and as many negatives, drawn by seed, sorted', (t) => {
  // 5 positives among 60 images, as the synthetic cohort's ~8 % pneumothorax.
  const positive = Array.from({ length: 60 }, (_, i) => i % 12 === 3);
  const rows = balancedSegmentationRows(positive, 0);
  t.is(rows.length, 10);
  t.deepEqual(rows.filter((r) => positive[r]), [3, 15, 27, 39, 51]);
  t.is(rows.filter((r) => !positive[r]).length, 5);
  t.deepEqual(rows, [...rows].sort((a, b) => a - b));
  t.is(new Set(rows).size, rows.length);
  t.deepEqual(balancedSegmentationRows(positive, 0), rows, 'deterministic');
  t.notDeepEqual(balancedSegmentationRows(positive, 1), rows, 'another seed draws other negatives');
  t.is(balancedSegmentationRows(positive, 0, 2).length, 15);
  // Fewer negatives than positives: all of them.
  t.deepEqual(balancedSegmentationRows([true, true, false, true], 0), [0, 1, 2, 3]);
  t.throws(() => balancedSegmentationRows([false, false], 0), { message: /no training image has a mask/ });
});

test('maskPresence, selectMasks and selectGrids read and reorder stacks; a bad row is named', (t) => {
  const masks: MaskStack = { data: Uint8Array.from([0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1]), count: 3, height: 2, width: 2 };
  t.deepEqual(maskPresence(masks), [false, true, true]);
  const picked = selectMasks(masks, [2, 0]);
  t.deepEqual(Array.from(picked.data), [1, 1, 1, 1, 0, 0, 0, 0]);
  t.is(picked.count, 2);
  t.throws(() => selectMasks(masks, [3]), { message: /row 3 is outside 0\.\.2/ });
  // Two 1×1 grids of width 2: rows [10, 11] and [20, 21].
  const grids: PatchGrid = { data: Float32Array.from([10, 11, 20, 21]), count: 2, grid: 1, dim: 2 };
  t.deepEqual(Array.from(selectGrids(grids, [1, 1, 0]).data), [20, 21, 20, 21, 10, 11]);
  t.throws(() => selectGrids(grids, [-1]), { message: /row -1 is outside 0\.\.1/ });
});

test('with a few percent positives, the decoder trained on every image predicts nothing; on the balanced set it finds the masks', (t) => {
  // The defect this protocol fixes: the suite's Dice on positive images was 0 for every model.
  const rng = new Rng(11);
  const count = 160;
  const cell = H / G;
  const masks = new Uint8Array(count * H * H);
  const features = new Float32Array(count * G * G * D);
  const positive: boolean[] = [];
  for (let n = 0; n < count; n++) {
    const has = n % 20 === 0; // 5 %
    positive.push(has);
    for (let p = 0; p < G * G; p++) {
      // A 2×1-patch lesion at a fixed place, weakly encoded in channel 0.
      const inside = has && (p === 9 || p === 17);
      const base = (n * G * G + p) * D;
      for (let d = 0; d < D; d++) features[base + d] = rng.normal() * 0.5;
      features[base] += inside ? 1 : 0;
      if (inside) for (let y = Math.floor(p / G) * cell; y < (Math.floor(p / G) + 1) * cell; y++) masks.fill(1, n * H * H + y * H + (p % G) * cell, n * H * H + y * H + (p % G + 1) * cell);
    }
  }
  const all = { features: { data: features, count, grid: G, dim: D }, masks: { data: masks, count, height: H, width: H } };
  const rows = balancedSegmentationRows(positive, 0);
  const balanced = { features: selectGrids(all.features, rows), masks: selectMasks(all.masks, rows) };
  const config = { steps: 120, batchSize: 8, hidden: 16, seed: 2 };
  const meanPositive = (dice: number[]) => dice.filter((_, i) => positive[i]).reduce((a, b) => a + b, 0) / positive.filter(Boolean).length;
  const imbalanced = meanPositive(evaluateSegmentation(all, all, config).dice);
  const fixed = meanPositive(evaluateSegmentation(balanced, all, config).dice);
  t.log(`Dice on positive images: every image ${imbalanced.toFixed(3)}, balanced ${fixed.toFixed(3)}`);
  t.true(imbalanced < 0.2, `every image: ${imbalanced}`);
  t.true(fixed > 0.5, `balanced: ${fixed}`);
});
