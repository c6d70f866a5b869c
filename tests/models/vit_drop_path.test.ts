/**
 * Stochastic depth of the ViT (`dropPath`): the per-block rates and factors,
 * a dropped branch leaving its row's tokens untouched, a kept one scaled by
 * 1/(1 − rate), evaluation and rate 0 unchanged, draws reproducible from the
 * step's seed, and no leaks.
 */
import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { resolveViTConfig } from '../../lib/configs/vit.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { dropPathScales, VisionTransformer } from '../../lib/models/vit.ts';
import { ViewExpertBlock } from '../../lib/models/view_experts.ts';
import { layerNorm } from '../../lib/models/layers/layer_norm.ts';
import { selfAttention } from '../../lib/models/layers/attention.ts';
import { Rng } from '../../lib/util/rng.ts';

test.before(async () => {
  await nativeBackend();
});

const config = { imageSize: 32, patchSize: 8, width: 32, depth: 3, heads: 2, mlpRatio: 2 };

function images(rows: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: rows * 32 * 32 }, () => rng.range(-1, 1)), [rows, 32, 32, 1]);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

test('rates rise linearly from 0 at the first block to dropPath at the last; factors are 0 or 1/(1 − rate) with mean ≈ 1', (t) => {
  const rows = 4000;
  const scales = dropPathScales(0.4, 3, rows, new Rng(5));
  t.is(scales[0], null, 'the first block is never dropped');
  for (const [i, rate] of [[1, 0.2], [2, 0.4]] as const) {
    for (const branch of ['attention', 'mlp'] as const) {
      const values = Array.from(scales[i]![branch]!.dataSync() as Float32Array);
      t.deepEqual(scales[i]![branch]!.shape, [rows, 1, 1]);
      const kept = values.filter((v) => v !== 0);
      kept.forEach((v) => t.true(Math.abs(v - 1 / (1 - rate)) < 1e-6));
      const dropped = 1 - kept.length / rows;
      t.true(Math.abs(dropped - rate) < 0.03, `block ${i} ${branch}: dropped ${dropped}, rate ${rate}`);
      const mean = values.reduce((s, v) => s + v, 0) / rows;
      t.true(Math.abs(mean - 1) < 0.06, `block ${i} ${branch}: mean factor ${mean}`);
    }
  }
  const again = dropPathScales(0.4, 3, rows, new Rng(5));
  t.deepEqual(Array.from(again[2]!.mlp!.dataSync()), Array.from(scales[2]!.mlp!.dataSync()), 'the same seed draws the same masks');
  tf.dispose([...scales, ...again].flatMap((s) => (s ? [s.attention!, s.mlp!] : [])));
});

test('a block with a branch factor of 0 passes that row through the branch unchanged; factor 1 is the plain block', (t) => {
  const block = new ViewExpertBlock(new ParameterSet(3).child('b'), { width: 16, heads: 2, mlpHidden: 32, layerNormEps: 1e-6, initStd: 0.02, viewExperts: true });
  const rng = new Rng(9);
  const frontal = tf.tensor3d(Float32Array.from({ length: 2 * 5 * 16 }, () => rng.normal()), [2, 5, 16]);
  const lateral = tf.tensor3d(Float32Array.from({ length: 2 * 4 * 16 }, () => rng.normal()), [2, 4, 16]);
  const plain = block.forward({ frontal, lateral });
  const ones = tf.ones([2, 1, 1]) as tf.Tensor3D;
  const unit = block.forward({ frontal, lateral }, null, { attention: ones, mlp: ones });
  t.true(maxAbsDiff(plain.frontal, unit.frontal) < 1e-6 && maxAbsDiff(plain.lateral!, unit.lateral!) < 1e-6);
  // Row 0 drops both branches, row 1 keeps both at factor 1: row 0 is the input, row 1 the plain block's row.
  const mask = tf.tensor3d([0, 1], [2, 1, 1]);
  const mixed = block.forward({ frontal, lateral }, null, { attention: mask, mlp: mask });
  const row = (x: tf.Tensor3D, r: number) => tf.slice(x, [r, 0, 0], [1, -1, -1]);
  t.true(maxAbsDiff(row(mixed.frontal, 0), row(frontal, 0)) < 1e-6, 'a fully dropped row keeps its frontal tokens');
  t.true(maxAbsDiff(row(mixed.lateral!, 0), row(lateral, 0)) < 1e-6, 'and its lateral tokens (both experts share the row factor)');
  t.true(maxAbsDiff(row(mixed.frontal, 1), row(plain.frontal, 1)) < 1e-6);
  // Only the feed-forward branch dropped: x + attention(LN(x)) for every row.
  const zeros = tf.zeros([2, 1, 1]) as tf.Tensor3D;
  const attendedOnly = block.forward({ frontal, lateral: null }, null, { attention: null, mlp: zeros });
  const expected = tf.tidy(() => tf.add(frontal, selfAttention(layerNorm(frontal, block.norm1) as tf.Tensor3D, block.attn, null)));
  t.true(maxAbsDiff(attendedOnly.frontal, expected) < 1e-5);
  tf.dispose([frontal, lateral, plain.frontal, plain.lateral!, ones, unit.frontal, unit.lateral!, mask, mixed.frontal, mixed.lateral!, zeros, attendedOnly.frontal, expected]);
});

test('ViT: training with a random source applies the drawn masks; evaluation, rate 0 or no source leave the forward as it was', (t) => {
  const withDrop = new VisionTransformer(new ParameterSet(4).child('image'), { ...config, dropPath: 0.5 });
  const without = new VisionTransformer(new ParameterSet(4).child('image'), config);
  const frontal = images(6, 1);
  const lateral = images(6, 2);
  for (const vit of [withDrop, without]) {
    const warm = vit.forward({ frontal, lateral }); // the first call caches constants
    tf.dispose([warm.global, warm.local, warm.localMask]);
  }
  const before = tf.memory().numTensors;
  const reference = without.forward({ frontal, lateral, training: true });
  const evaluation = withDrop.forward({ frontal, lateral });
  const noSource = withDrop.forward({ frontal, lateral, training: true });
  const rateZero = without.forward({ frontal, lateral, training: true, random: new Rng(3) });
  t.true(maxAbsDiff(reference.global, evaluation.global) < 1e-6, 'evaluation ignores dropPath');
  t.true(maxAbsDiff(reference.global, noSource.global) < 1e-6, 'no random source, no drop');
  t.true(maxAbsDiff(reference.global, rateZero.global) < 1e-6, 'rate 0, no drop');
  const dropped = withDrop.forward({ frontal, lateral, training: true, random: new Rng(3) });
  const again = withDrop.forward({ frontal, lateral, training: true, random: new Rng(3) });
  t.true(maxAbsDiff(dropped.global, reference.global) > 1e-3, 'training draws change the output');
  t.is(maxAbsDiff(dropped.global, again.global), 0, 'the same source gives the same forward');
  // Independently composed: embed, then the blocks with the same draws, then the final norm.
  const manual = tf.tidy(() => {
    const scales = dropPathScales(0.5, 3, 6, new Rng(3));
    const n = withDrop.numPatches;
    const patches = withDrop.embedPatches(tf.concat([frontal, lateral], 0) as tf.Tensor4D);
    const [f, l] = tf.split(patches, 2, 0);
    const pos = tf.slice(withDrop.posEmbed, [0, 1, 0], [1, n, 32]);
    const cls = tf.tile(tf.add(tf.slice(withDrop.posEmbed, [0, 0, 0], [1, 1, 32]), withDrop.clsToken), [6, 1, 1]);
    let tokens = { frontal: tf.concat([cls, tf.add(f!, pos)], 1) as tf.Tensor3D, lateral: tf.add(l!, pos) as tf.Tensor3D | null };
    withDrop.blocks.forEach((block, i) => (tokens = block.forward(tokens, null, scales[i] ?? null)));
    return tf.reshape(tf.slice(layerNorm(tokens.frontal, withDrop.norm), [0, 0, 0], [6, 1, 32]), [6, 32]);
  });
  t.true(maxAbsDiff(dropped.global, manual) < 1e-5);
  tf.dispose([reference, evaluation, noSource, rateZero, dropped, again].flatMap((o) => [o.global, o.local, o.localMask]));
  manual.dispose();
  t.is(tf.memory().numTensors, before, 'no tensors leak');
  tf.dispose([frontal, lateral]);
  withDrop.params.dispose();
  without.params.dispose();
});

test('dropPath outside [0, 1) is refused', (t) => {
  t.throws(() => resolveViTConfig({ dropPath: 1 }), { message: /dropPath must be in \[0, 1\), got 1/ });
  t.throws(() => resolveViTConfig({ dropPath: -0.1 }), { message: /dropPath must be in \[0, 1\)/ });
  t.is(resolveViTConfig({}).dropPath, 0);
});
