import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { fmcLoss, rmrLoss, temporalLoss, VARIANCE_EPS, type TemporalLossOutput } from '../../lib/objectives/temporal.ts';
import { l2Normalize } from '../../lib/objectives/ops.ts';
import { assertClose, assertFinite, assertNoLeak, ErrorLog, loadFixture, unpack, type PackedTensor } from './reference.ts';

type Grads = { u: PackedTensor; v: PackedTensor };

interface TemporalCase {
  name: string;
  temperature: number;
  varianceLambda: number;
  inputs: { u: PackedTensor; v: PackedTensor };
  outputs: { loss: number; fmcUToV: number; fmcVToU: number; rmrUToV: number; rmrVToU: number };
  grads: { fmc: Grads; rmr: Grads; loss: Grads };
}

const fixture = loadFixture<{ cases: TemporalCase[] }>('temporal');
const errors = new ErrorLog();
const TERMS = ['fmcUToV', 'fmcVToU', 'rmrUToV', 'rmrVToU'] as const;
/**
 * Gradients through RMR are ill-conditioned in float32 (they divide by the
 * round-trip variance σ², and elements come out of cancellation between terms
 * ~30× larger): PyTorch's own float32 gradients on these fixture inputs miss
 * the float64 ones by 2.6e-5 under the same combined measure. So the
 * RMR-carrying gradients at τ = 0.1 use |a−b| ≤ 1e-4·max(1,|b|); every value,
 * the FMC gradients and all gradients of the τ = 0.3 case keep 1e-5.
 */
const RMR_GRAD_TOLERANCE = 1e-4;

test.before(async () => {
  await nativeBackend();
});

test.after(() => {
  console.log(`temporal max error vs PyTorch: ${errors.summary()}`);
});

function outputTensors(out: TemporalLossOutput): tf.Tensor[] {
  return [out.loss, ...TERMS.map((k) => out[k])].filter((x): x is tf.Scalar => x !== undefined);
}

for (const c of fixture.cases) {
  test(`matches the PyTorch float64 reference: ${c.name} (FMC, RMR, both directions; values and FMC gradients |a−b| ≤ 1e-5·max(1,|b|), RMR gradients at τ=0.1: 1e-4)`, (t) => {
    const u = unpack<tf.Rank.R3>(c.inputs.u);
    const v = unpack<tf.Rank.R3>(c.inputs.v);
    const options = { temperature: c.temperature, varianceLambda: c.varianceLambda };
    const out = temporalLoss(u, v, options, { fmc: true, rmr: true });
    errors.add('value', assertClose(t, out.loss, c.outputs.loss, 'loss'));
    for (const key of TERMS) errors.add('value', assertClose(t, out[key]!, c.outputs[key], key));
    const cases = {
      fmc: (a: tf.Tensor, b: tf.Tensor) => fmcLoss(a as tf.Tensor3D, b as tf.Tensor3D, options),
      rmr: (a: tf.Tensor, b: tf.Tensor) => rmrLoss(a as tf.Tensor3D, b as tf.Tensor3D, options),
      loss: (a: tf.Tensor, b: tf.Tensor) => temporalLoss(a as tf.Tensor3D, b as tf.Tensor3D, options, { fmc: true, rmr: true }).loss,
    };
    for (const [name, fn] of Object.entries(cases) as Array<[keyof typeof cases, (a: tf.Tensor, b: tf.Tensor) => tf.Scalar]>) {
      const [gu, gv] = tf.grads(fn)([u, v]);
      // At τ = 0.3 the round trip is soft enough for the plain 1e-5 check.
      const tol = name === 'fmc' || c.temperature >= 0.3 ? 1e-5 : RMR_GRAD_TOLERANCE;
      errors.add(`grad ${name} τ=${c.temperature}`, assertClose(t, gu!, c.grads[name].u, `d${name}/du`, tol));
      errors.add(`grad ${name} τ=${c.temperature}`, assertClose(t, gv!, c.grads[name].v, `d${name}/dv`, tol));
      assertFinite(t, [gu!, gv!], `${name} gradients`);
      tf.dispose([gu!, gv!]);
    }
    tf.dispose([u, v, ...outputTensors(out)]);
  });
}

test('FMC analytic values: all steps identical → log T; orthonormal u = v → log(1 + (T−1)·e^{−2/τ})', (t) => {
  const steps = 4;
  const same = tf.div(tf.ones([2, steps, 8]), Math.sqrt(8)) as tf.Tensor3D;
  const uniform = fmcLoss(same, same, { temperature: 0.1 });
  t.true(Math.abs(uniform.dataSync()[0]! - Math.log(steps)) < 1e-6);
  const orthonormal = tf.tile(tf.expandDims(tf.eye(steps, 8), 0), [3, 1, 1]) as tf.Tensor3D;
  for (const tau of [0.1, 0.5, 2]) {
    const value = fmcLoss(orthonormal, orthonormal, { temperature: tau });
    const expected = Math.log(1 + (steps - 1) * Math.exp(-2 / tau));
    t.true(Math.abs(value.dataSync()[0]! - expected) <= 1e-6 * Math.max(1, expected), `τ=${tau}: ${value.dataSync()[0]} vs ${expected}`);
    value.dispose();
  }
  tf.dispose([same, uniform, orthonormal]);
});

test('RMR analytic values: all steps identical → uniform β, loss = mean_j (t_j − μ)²/(σ²+ε) + λ·log(σ²+ε)', (t) => {
  const steps = 4;
  const lambda = 0.001;
  const same = tf.div(tf.ones([1, steps, 8]), Math.sqrt(8)) as tf.Tensor3D;
  const time = Array.from({ length: steps }, (_, k) => k / steps);
  const mu = time.reduce((a, b) => a + b, 0) / steps;
  const variance = time.reduce((a, b) => a + (b - mu) ** 2, 0) / steps;
  const expected = variance / (variance + VARIANCE_EPS) + lambda * Math.log(variance + VARIANCE_EPS);
  const value = rmrLoss(same, same, { temperature: 0.1, varianceLambda: lambda });
  t.true(Math.abs(value.dataSync()[0]! - expected) < 1e-6, `${value.dataSync()[0]} vs ${expected}`);
  // Perfect, sharp round trip: μ_j = t_j, σ² → 0, so the loss is λ·log(ε) (−0.0161).
  const orthonormal = tf.expandDims(tf.eye(steps, 8), 0) as tf.Tensor3D;
  const sharp = rmrLoss(orthonormal, orthonormal, { temperature: 0.01, varianceLambda: lambda });
  t.true(Math.abs(sharp.dataSync()[0]! - lambda * Math.log(VARIANCE_EPS)) < 1e-4, `${sharp.dataSync()[0]}`);
  tf.dispose([same, value, orthonormal, sharp]);
});

test('temporalLoss honours the active terms and sums them', (t) => {
  const u = l2Normalize(tf.randomNormal([2, 4, 8], 0, 1, 'float32', 1)) as tf.Tensor3D;
  const v = l2Normalize(tf.randomNormal([2, 4, 8], 0, 1, 'float32', 2)) as tf.Tensor3D;
  const options = { temperature: 0.1 };
  const none = temporalLoss(u, v, options, { fmc: false, rmr: false });
  t.deepEqual(Object.keys(none), ['loss']);
  t.is(none.loss.dataSync()[0], 0);
  const fmcOnly = temporalLoss(u, v, options, { fmc: true, rmr: false });
  t.deepEqual(Object.keys(fmcOnly).sort(), ['fmcUToV', 'fmcVToU', 'loss']);
  const rmrOnly = temporalLoss(u, v, options, { fmc: false, rmr: true });
  t.deepEqual(Object.keys(rmrOnly).sort(), ['loss', 'rmrUToV', 'rmrVToU']);
  const both = temporalLoss(u, v, options, { fmc: true, rmr: true });
  const sum = fmcOnly.loss.dataSync()[0]! + rmrOnly.loss.dataSync()[0]!;
  t.true(Math.abs(both.loss.dataSync()[0]! - sum) <= 1e-6 * Math.max(1, sum));
  // The default λ is 0.001.
  const explicit = rmrLoss(u, v, { temperature: 0.1, varianceLambda: 0.001 });
  t.is(explicit.dataSync()[0], rmrOnly.rmrUToV!.dataSync()[0]);
  tf.dispose([u, v, explicit, ...outputTensors(none), ...outputTensors(fmcOnly), ...outputTensors(rmrOnly), ...outputTensors(both)]);
});

test('no tensor leaks: only the returned scalars are new, flat across 5 calls', (t) => {
  const u = l2Normalize(tf.randomNormal([2, 4, 8], 0, 1, 'float32', 3)) as tf.Tensor3D;
  const v = l2Normalize(tf.randomNormal([2, 4, 8], 0, 1, 'float32', 4)) as tf.Tensor3D;
  assertNoLeak(t, () => fmcLoss(u, v, { temperature: 0.1 }), (x) => [x]);
  assertNoLeak(t, () => rmrLoss(u, v, { temperature: 0.1 }), (x) => [x]);
  assertNoLeak(t, () => temporalLoss(u, v, { temperature: 0.1 }, { fmc: true, rmr: true }), (out) => {
    t.is(outputTensors(out).length, 5);
    return outputTensors(out);
  });
  assertNoLeak(t, () => temporalLoss(u, v, { temperature: 0.1 }, { fmc: false, rmr: false }), outputTensors);
  tf.dispose([u, v]);
});

test('bad shapes and options throw with the actual shape, naming the argument', (t) => {
  const u = tf.zeros([2, 4, 8]) as tf.Tensor3D;
  const flat = tf.zeros([4, 8]) as unknown as tf.Tensor3D;
  const shorter = tf.zeros([2, 3, 8]) as tf.Tensor3D;
  t.throws(() => fmcLoss(flat, u, { temperature: 0.1 }), { message: /fmcLoss: u must have shape \[S, T, d\], got \[4, 8\]/ });
  t.throws(() => rmrLoss(u, shorter, { temperature: 0.1 }), { message: /rmrLoss: v must have shape \[S=2, T=4, d=8\], got \[2, 3, 8\]/ });
  t.throws(() => temporalLoss(u, flat, { temperature: 0.1 }, { fmc: true, rmr: true }), { message: /temporalLoss: v must have shape \[S=2, T=4, d=8\], got \[4, 8\]/ });
  t.throws(() => fmcLoss(u, u, { temperature: Number.NaN }), { message: /temperature must be a positive finite number/ });
  t.throws(() => rmrLoss(u, u, { temperature: 0.1, varianceLambda: -1 }), { message: /varianceLambda must be a finite number ≥ 0, got -1/ });
  tf.dispose([u, flat, shorter]);
});

test('alignment maps: rows are distributions, and a perfect pairing maps each step to itself', async (t) => {
  const { temporalAlignmentMaps } = await import('../../lib/objectives/temporal_maps.ts');
  const { tf } = await import('../helpers/tf.ts');
  // Orthonormal steps, u = v: forward and round trip concentrate on the diagonal.
  const u = tf.tensor3d([[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]]);
  const maps = temporalAlignmentMaps(u, u, 0.1);
  const forward = maps.forward.arraySync()[0]!;
  forward.forEach((row, j) => {
    t.true(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    t.true(row[j]! > 0.99);
  });
  const recovered = maps.recoveredTime.arraySync()[0]!;
  recovered.forEach((mu, j) => t.true(Math.abs(mu - j / 4) < 0.01, `step ${j}: ${mu}`));
  tf.dispose([u, maps.forward, maps.roundTrip, maps.recoveredTime]);
  t.throws(() => temporalAlignmentMaps(u, tf.zeros([1, 3, 4]) as never, 0.1), { message: /must both be \[S, T, d\]/ });
});
