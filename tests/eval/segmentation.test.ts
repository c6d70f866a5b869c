import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { Rng } from '../../lib/util/rng.ts';
import { dicePerImage } from '../../lib/eval/dice.ts';
import {
  DEFAULT_SEGMENTATION,
  SegmentationDecoder,
  evaluateSegmentation,
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
