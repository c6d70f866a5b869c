import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { VisionTransformer } from '../../lib/models/vit.ts';
import { importTimmViT } from '../../lib/weights/convert_timm_vit.ts';
import { loadJson, loadWeights, maxRelativeError } from './encoder_fixtures.ts';

test.before(async () => {
  await nativeBackend();
});

interface VitFixture {
  config: { imageSize: number; patchSize: number; inChannels: number; width: number; depth: number; heads: number; mlpRatio: number };
  images: number[];
  imageShape: [number, number, number, number];
  tokens: number[];
  tokensShape: [number, number, number];
}
interface MoveFixture extends Omit<VitFixture, 'images'> {
  frontal: number[];
  lateral: number[];
  lateralPresent: number[];
}

const tinyConfig = { imageSize: 32, patchSize: 8, width: 32, depth: 2, heads: 2, mlpRatio: 4 };

test('single-view output equals timm forward_features (RGB patch weights summed to 1 channel)', async (t) => {
  const fx = loadJson<VitFixture>('vit_tiny.json');
  const vit = new VisionTransformer(new ParameterSet(1).child('image'), fx.config);
  const report = importTimmViT(vit, await loadWeights('vit_tiny.safetensors'));
  t.deepEqual(report.missing, []);
  t.deepEqual(report.mismatched, []);
  t.deepEqual(report.unused.sort(), ['head.bias', 'head.weight']);
  const out = vit.forward({ frontal: tf.tensor4d(fx.images, fx.imageShape) });
  const [b, n1, w] = fx.tokensShape;
  const expected = tf.tensor3d(fx.tokens, fx.tokensShape);
  const expGlobal = tf.reshape(tf.slice(expected, [0, 0, 0], [b, 1, w]), [b, w]);
  const expLocal = tf.slice(expected, [0, 1, 0], [b, n1 - 1, w]);
  const eg = maxRelativeError(out.global.dataSync(), expGlobal.dataSync());
  const el = maxRelativeError(out.local.dataSync(), expLocal.dataSync());
  t.log(`timm parity: global ${eg.toExponential(2)}, local ${el.toExponential(2)} (max relative)`);
  t.true(eg < 1e-4 && el < 1e-4);
  t.deepEqual(out.localMask.shape, [b, n1 - 1]);
  t.is(tf.sum(out.localMask).dataSync()[0], b * (n1 - 1));
  tf.dispose([out.global, out.local, out.localMask, expected, expGlobal, expLocal]);
  vit.dispose();
});

test('two views with an absent lateral match the independent PyTorch MoVE reference', async (t) => {
  const fx = loadJson<MoveFixture>('move_tiny.json');
  const vit = new VisionTransformer(new ParameterSet(2), fx.config);
  const report = importTimmViT(vit, await loadWeights('move_tiny.safetensors'));
  t.deepEqual([report.missing, report.unused, report.mismatched], [[], [], []]);
  const frontal = tf.tensor4d(fx.frontal, fx.imageShape);
  const lateral = tf.tensor4d(fx.lateral, fx.imageShape);
  const out = vit.forward({ frontal, lateral, lateralPresent: fx.lateralPresent });
  const [b, n, w] = fx.tokensShape;
  const p = n - 1;
  const expected = tf.tensor3d(fx.tokens, fx.tokensShape);
  const eg = maxRelativeError(out.global.dataSync(), tf.slice(expected, [0, 0, 0], [b, 1, w]).dataSync());
  const el = maxRelativeError(out.local.dataSync(), tf.slice(expected, [0, 1, 0], [b, p, w]).dataSync());
  t.log(`MoVE parity: global ${eg.toExponential(2)}, local ${el.toExponential(2)} (max relative)`);
  t.true(eg < 1e-4 && el < 1e-4);
  t.deepEqual(Array.from(out.localMask.dataSync()), [...new Array(p).fill(1), ...new Array(p / 2).fill(1), ...new Array(p / 2).fill(0)]);

  // Absent lateral: the frontal tokens are those of the single-view forward.
  const single = vit.forward({ frontal: tf.slice(frontal, [1, 0, 0, 0], [1, 32, 32, 1]) });
  const twoViewSample1 = tf.slice(out.local, [1, 0, 0], [1, p / 2, w]);
  t.true(maxRelativeError(twoViewSample1.dataSync(), single.local.dataSync()) < 1e-5);
  t.true(maxRelativeError(tf.slice(out.global, [1, 0], [1, w]).dataSync(), single.global.dataSync()) < 1e-5);
  tf.dispose([frontal, lateral, expected, out.global, out.local, out.localMask, single.global, single.local, single.localMask, twoViewSample1]);
  vit.dispose();
});

test('lateral experts are initialised from the frontal expert when importing a plain ViT', async (t) => {
  const vit = new VisionTransformer(new ParameterSet(3), { ...tinyConfig, inChannels: 1 });
  importTimmViT(vit, await loadWeights('vit_tiny.safetensors'));
  for (const [lat, front] of [['blocks.1.mlp_l.fc1.weight', 'blocks.1.mlp.fc1.weight'], ['blocks.0.norm2_l.bias', 'blocks.0.norm2.bias']] as const) {
    t.deepEqual(Array.from(vit.params.get(lat).dataSync()), Array.from(vit.params.get(front).dataSync()));
  }
  vit.dispose();
});

test('shapes, masks, bad inputs, gradients and memory', (t) => {
  const vit = new VisionTransformer(new ParameterSet(4), { ...tinyConfig, inChannels: 1 });
  const x = tf.randomUniform([2, 32, 32, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  t.throws(() => vit.forward({ frontal: tf.zeros([2, 16, 16, 1]) as tf.Tensor4D }), { message: /\[2,16,16,1\]/ });
  t.throws(() => vit.forward({ frontal: x, lateral: x, lateralPresent: [1] }), { message: /lateralPresent/ });
  t.throws(() => vit.forward({ frontal: x, lateralPresent: [1, 1] }), { message: /without a lateral/ });
  tf.tidy(() => vit.forward({ frontal: x, lateral: x }).global); // warm-up (cached scalar constants)
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    tf.tidy(() => {
      vit.forward({ frontal: x, lateral: x, lateralPresent: tf.tensor1d([1, 0]) });
      vit.forward({ frontal: x });
    });
  }
  t.is(tf.memory().numTensors, before);
  const out = vit.forward({ frontal: x, lateral: x });
  t.is(tf.memory().numTensors, before + 3);
  t.deepEqual([out.global.shape, out.local.shape, out.localMask.shape], [[2, 32], [2, 32, 32], [2, 32]]);
  tf.dispose([out.global, out.local, out.localMask]);
  const { value, grads } = tf.variableGrads(() => {
    const o = vit.forward({ frontal: x, lateral: x, lateralPresent: [1, 0] });
    return tf.add(tf.sum(tf.square(o.global)), tf.sum(tf.mul(o.local, tf.expandDims(o.localMask, 2)))) as tf.Scalar;
  }, vit.params.trainable());
  t.true(Number.isFinite(value.dataSync()[0]));
  t.is(Object.keys(grads).length, vit.params.trainable().length);
  for (const g of Object.values(grads)) t.true(tf.all(tf.isFinite(g)).dataSync()[0] === 1);
  tf.dispose([value, ...Object.values(grads)]);
  x.dispose();
  vit.dispose();
});

test('forwardVisible (MAE-style): all patches visible equals forward; masked patches are never seen; bad indices are refused', (t) => {
  const vit = new VisionTransformer(new ParameterSet(5), { ...tinyConfig, inChannels: 1 });
  const x = tf.randomUniform([2, 32, 32, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
  const n = vit.numPatches; // 16 patches of 8×8
  const all = Int32Array.from({ length: 2 * n }, (_, i) => i % n);
  tf.tidy(() => {
    const full = vit.forward({ frontal: x });
    const seen = vit.forwardVisible(x, all, n);
    t.true(tf.max(tf.abs(tf.sub(full.global, seen.global))).dataSync()[0]! < 1e-5);
    t.true(tf.max(tf.abs(tf.sub(full.local, seen.local))).dataSync()[0]! < 1e-5);
    // Row 0 sees patches 0, 5, 10, 15; row 1 sees 1, 2, 3, 4.
    const visible = Int32Array.from([0, 5, 10, 15, 1, 2, 3, 4]);
    const base = vit.forwardVisible(x, visible, 4);
    t.deepEqual(base.local.shape, [2, 4, 32]);
    // Patch 1 (pixels rows 0–7, columns 8–15) is masked in row 0 and visible in row 1.
    const bump = tf.pad(tf.ones([2, 8, 8, 1]), [[0, 0], [0, 24], [8, 16], [0, 0]]);
    const changed = vit.forwardVisible(tf.add(x, bump) as tf.Tensor4D, visible, 4);
    const rowDiff = (a: tf.Tensor, b: tf.Tensor, r: number) => tf.max(tf.abs(tf.sub(tf.gather(a, [r]), tf.gather(b, [r])))).dataSync()[0]!;
    t.is(rowDiff(base.local, changed.local, 0), 0, 'a masked patch changes nothing');
    t.is(rowDiff(base.global, changed.global, 0), 0);
    t.true(rowDiff(base.local, changed.local, 1) > 1e-3, 'a visible patch does');
  });
  t.throws(() => vit.forwardVisible(x, Int32Array.from([0, 1, 2]), 2), { message: /expected 2×2 visible indices, got 3/ });
  t.throws(() => vit.forwardVisible(x, Int32Array.from([0, 1, 2, 16]), 2), { message: /patch indices must be in \[0, 16\)/ });
  x.dispose();
  vit.dispose();
});
