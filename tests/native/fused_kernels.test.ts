import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { FUSED_KERNELS_FILE, fusedKernels, loadFusedKernels, type FusedKernels } from '../../lib/native/fused_kernels.ts';

let kernels: FusedKernels;

test.before(async () => {
  const info = await nativeBackend();
  if (info.fusedKernelsOff !== null) throw new Error(`the fused kernels are off: ${info.fusedKernelsOff}`);
  kernels = fusedKernels()!;
});

/** max |a − b| / max(1, |ref|) over the elements (float32 rounding of values up to ~10 is ~1e-6). */
function maxScaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  return worst;
}

/** Exact GELU and its gradient in tfjs ops (TensorFlow's own erf): the independent reference. */
function referenceGelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

function referenceLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

test('a missing or foreign library file is refused with the reason and the fix', (t) => {
  const missing = loadFusedKernels(2, '/nonexistent/fused_ops.node');
  t.regex(missing ?? '', /\/nonexistent\/fused_ops\.node is not built \(run `npm run setup`\)/);
  const dir = mkdtempSync(join(tmpdir(), 'medst-fused-'));
  const foreign = join(dir, 'fused_ops.node');
  writeFileSync(foreign, 'not a shared library');
  t.regex(loadFusedKernels(2, foreign) ?? '', /fused_ops\.node does not load: .*run `npm run setup`/);
  t.true(FUSED_KERNELS_FILE.endsWith(join('build', 'native', 'fused_ops.node')));
  t.not(fusedKernels(), null, 'a refused file leaves the loaded kernels alone');
});

test('gelu over [-12, 12] and at extremes: values and gradient equal the erf formula within float32 rounding', (t) => {
  tf.tidy(() => {
    // 100,001 points: more than one thread's share, so the split runs too.
    const x = tf.concat([tf.linspace(-12, 12, 100_001), tf.tensor1d([0, -0, 1e-30, -1e-30, 40, -40, 1e4, -1e4])]);
    const dy = tf.randomNormal(x.shape, 0, 1, 'float32', 7);
    const ref = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(referenceGelu(v), dy)))(x);
    t.true(maxScaledError(kernels.gelu(x).dataSync(), referenceGelu(x).dataSync()) < 2e-6, 'values');
    t.true(maxScaledError(kernels.geluGrad(dy, x).dataSync(), ref.dataSync()) < 2e-6, 'gradient');
    const nan = kernels.gelu(tf.tensor1d([Number.NaN, 1])).dataSync();
    t.true(Number.isNaN(nan[0]!), 'NaN stays NaN');
    t.true(Math.abs(nan[1]! - 0.8413447) < 1e-6);
  });
});

test('layerNorm: values and gradients equal autodiff of tf.moments for 1, 7, 128 and 192 features, at tiny variance and on constant rows', (t) => {
  for (const [shape, scale, eps] of [
    [[3, 1], 1, 1e-5],
    [[2, 5, 7], 3, 1e-6],
    [[64, 9, 128], 1, 1e-12], // 576 rows: several threads' rows
    [[33, 192], 1e-4, 1e-6], // variance (1e-8) under eps: an ignored eps shows
    [[4, 192], 0, 1e-6], // constant rows: y = beta, dx = 0
  ] as const) {
    tf.tidy(() => {
      const dim = shape[shape.length - 1]!;
      // An offset makes the mean non-zero; not at tiny variance, where float32 inputs near 0.5 would quantise the deviations for the reference too.
      const x = tf.add(tf.randomNormal([...shape], 0, scale, 'float32', 1), scale > 0 && scale < 1 ? 0 : 0.5);
      const gamma = tf.randomNormal([dim], 1, 0.3, 'float32', 2);
      const beta = tf.randomNormal([dim], 0, 0.3, 'float32', 3);
      const dy = tf.randomNormal([...shape], 0, 1, 'float32', 4);
      const label = `[${shape}] scale ${scale} eps ${eps}`;
      const { y, mean, rstd } = kernels.layerNorm(x, gamma, beta, eps);
      t.deepEqual(mean.shape, shape.slice(0, -1), `mean shape, ${label}`);
      t.true(maxScaledError(y.dataSync(), referenceLayerNorm(x, gamma, beta, eps).dataSync()) < 1e-5, `values, ${label}`);
      const refs = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => referenceLayerNorm(a, g, b, eps))([x, gamma, beta], dy);
      const { dx, dGamma, dBeta } = kernels.layerNormGrad(dy, x, gamma, mean, rstd);
      const dxScale = Math.max(1, ...Array.from(tf.abs(refs[0]!).dataSync()));
      t.true(maxScaledError(dx.dataSync(), refs[0]!.dataSync()) / dxScale < 1e-4, `dx, ${label}`);
      const gScale = Math.max(1, ...Array.from(tf.abs(refs[1]!).dataSync()));
      t.true(maxScaledError(dGamma.dataSync(), refs[1]!.dataSync()) < 1e-4 * gScale, `dgamma, ${label}`);
      t.true(maxScaledError(dBeta.dataSync(), refs[2]!.dataSync()) < 1e-5 * Math.max(1, (shape as readonly number[]).slice(0, -1).reduce((a, b) => a * b, 1)), `dbeta, ${label}`);
    });
  }
});

test('the kernels are deterministic: the same inputs give bit-identical outputs', (t) => {
  tf.tidy(() => {
    const x = tf.randomNormal([300, 192], 0, 2, 'float32', 5);
    const gamma = tf.randomNormal([192], 1, 0.3, 'float32', 6);
    const dy = tf.randomNormal([300, 192], 0, 1, 'float32', 8);
    const once = () => {
      const { y, mean, rstd } = kernels.layerNorm(x, gamma, tf.zerosLike(gamma), 1e-6);
      const { dx, dGamma, dBeta } = kernels.layerNormGrad(dy, x, gamma, mean, rstd);
      return [y, dx, dGamma, dBeta, kernels.gelu(x), kernels.geluGrad(dy, x)].map((v) => Array.from(v.dataSync()));
    };
    t.deepEqual(once(), once());
  });
});

test('bad inputs are errors that name the op and the expected shape; no tensors leak', (t) => {
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const x = tf.zeros([4, 8]);
    t.throws(() => kernels.layerNorm(x, tf.ones([5]), tf.zeros([8]), 1e-6), { message: /MedstLayerNorm: gamma and beta must be \[8\], the last axis of x/ });
    t.throws(() => kernels.layerNorm(x, tf.ones([8]), tf.zeros([7]), 1e-6), { message: /MedstLayerNorm: gamma and beta must be \[8\]/ });
    t.throws(() => kernels.geluGrad(tf.zeros([4, 7]), x), { message: /MedstGeluGrad: dy and x differ in shape/ });
    t.throws(() => kernels.layerNorm(tf.zeros([4, 0]), tf.ones([0]), tf.zeros([0]), 1e-6), { message: /MedstLayerNorm: the last axis of x is empty/ });
    const { mean, rstd } = kernels.layerNorm(x, tf.ones([8]), tf.zeros([8]), 1e-6);
    t.throws(() => kernels.layerNormGrad(x, x, tf.ones([8]), tf.slice(mean, 0, 3), rstd), { message: /MedstLayerNormGrad: mean and rstd must hold one value per row/ });
    t.throws(() => kernels.gelu(tf.zeros([3], 'int32')), { message: /MedstGelu|float/ });
  });
  tf.tidy(() => {
    const x = tf.randomNormal([16, 32]);
    kernels.geluGrad(kernels.gelu(x), x);
    const { mean, rstd } = kernels.layerNorm(x, tf.ones([32]), tf.zeros([32]), 1e-6);
    kernels.layerNormGrad(x, x, tf.ones([32]), mean, rstd);
  });
  t.is(tf.memory().numTensors, before);
});

test('adamW: one step equals the formula in float64 for a per-element mask and for scalar masks; sumSquares equals Σ x² in float64', (t) => {
  tf.tidy(() => {
    const n = 70_001; // more than one thread's share
    const rand = (seed: number, scale = 1) => tf.randomNormal([n], 0, scale, 'float32', seed) as tf.Tensor1D;
    const [param, grad, m] = [rand(1), rand(2), rand(3, 0.1)];
    const v = tf.abs(rand(4, 0.01)) as tf.Tensor1D;
    const hyperValues = [0.7, 0.9, 1 - 0.9, 0.999, 1 - 0.999, 1e-3 / (1 - 0.9 ** 3), Math.sqrt(1 - 0.999 ** 3), 1e-8, 1 - 1e-3 * 0.05];
    const hyper = tf.tensor1d(hyperValues);
    const [clip, b1, , b2, , stepSize, sqrtBc2, eps, decay] = hyperValues as number[] as [number, number, number, number, number, number, number, number, number];
    const [p0, g0, m0, v0] = [param, grad, m, v].map((x) => Float64Array.from(x.dataSync()));
    const perElement = tf.tensor1d(Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1)));
    for (const [label, mask, decayed] of [
      ['per-element mask', perElement, (i: number) => i % 3 !== 0],
      ['all decayed', tf.scalar(1), () => true],
      ['none decayed', tf.scalar(0), () => false],
    ] as const) {
      const out = kernels.adamW(param, grad, m, v, mask, hyper);
      const [pOut, mOut, vOut] = [out.param, out.m, out.v].map((x) => x.dataSync());
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const g = g0[i]! * clip;
        const mi = b1 * m0[i]! + (1 - b1) * g;
        const vi = b2 * v0[i]! + (1 - b2) * g * g;
        const pi = p0[i]! * (decayed(i) ? decay : 1) - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
        worst = Math.max(worst, Math.abs(pOut[i]! - pi) / Math.max(1, Math.abs(pi)), Math.abs(mOut[i]! - mi), Math.abs(vOut[i]! - vi) / Math.max(1e-6, vi));
      }
      t.true(worst < 5e-6, `${label}: worst error ${worst}`);
    }
    const squares = g0.reduce((sum, x) => sum + x * x, 0);
    t.true(Math.abs(kernels.sumSquares(grad).dataSync()[0]! - squares) / squares < 1e-6);
    t.throws(() => kernels.adamW(param, grad, m, tf.zeros([5]) as tf.Tensor1D, tf.scalar(1), hyper), { message: /MedstAdamW: param, grad, m and v must be 1-D of one length/ });
    t.throws(() => kernels.adamW(param, grad, m, v, tf.zeros([7]), hyper), { message: /MedstAdamW: decay_mask must hold 1 value or one per parameter/ });
    t.throws(() => kernels.adamW(param, grad, m, v, tf.scalar(1), tf.zeros([7]) as tf.Tensor1D), { message: /MedstAdamW: hyper must hold 9 values/ });
  });
});
