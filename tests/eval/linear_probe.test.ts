import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { Rng } from '../../lib/util/rng.ts';
import { matrix } from '../../lib/eval/matrix.ts';
import { accuracy } from '../../lib/eval/metrics.ts';
import { fitLinearProbe, probeGradient, probeObjective, probePredict, probeValueAndGradient, probeScores, rawSpaceWeights, type LinearProbeConfig } from '../../lib/eval/linear_probe.ts';
import { sampleFraction } from '../../lib/eval/sample_fraction.ts';

test.before(async () => {
  await nativeBackend();
});

/** Gaussian blobs: class c centred at 4·e_c (plus an offset on every axis), unit noise. */
function blobs(n: number, d: number, k: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % k;
    for (let j = 0; j < d; j++) x[i * d + j] = rng.normal() * 0.5 + (j === y[i] ? 4 : 0) + 10;
  }
  return { x, y };
}

/** Rows x ~ N(0, I) [N, D] labelled by the half-space x·w + 0.3 > 0. */
function halfSpace(n: number, w: number[], seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const d = w.length;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0.3;
    for (let j = 0; j < d; j++) {
      // Unequal scales, so that the standardisation has to be undone correctly.
      x[i * d + j] = rng.normal() * (1 + j) + j;
      s += x[i * d + j]! * w[j]!;
    }
    y[i] = s > 0 ? 1 : 0;
  }
  return { x, y };
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

for (const config of [
  { loss: 'softmax', optimizer: 'lbfgs' },
  { loss: 'squaredHinge', optimizer: 'lbfgs' },
  { loss: 'softmax', optimizer: 'adamw', maxIterations: 100, learningRate: 0.05, batchSize: 32 },
] as Array<Partial<LinearProbeConfig>>) {
  test(`separates linearly separable blobs (${config.loss}, ${config.optimizer})`, (t) => {
    const train = blobs(120, 5, 3, 1);
    const testSet = blobs(90, 5, 3, 2);
    const model = fitLinearProbe(matrix(train.x, 120, 5), train.y, config);
    t.is(model.outputs, 3);
    t.is(accuracy(train.y, probePredict(model, matrix(train.x, 120, 5))), 1);
    t.true(accuracy(testSet.y, probePredict(model, matrix(testSet.x, 90, 5))) >= 0.97);
  });
}

test('recovers the direction of the separating weights (softmax, sigmoid, SVM) in raw feature space', (t) => {
  const w = [1, -2, 0.5, 0, 1.5, -0.7];
  const { x, y } = halfSpace(600, w, 3);
  const features = matrix(x, 600, 6);
  for (const loss of ['softmax', 'squaredHinge'] as const) {
    const raw = rawSpaceWeights(fitLinearProbe(features, y, { loss, l2: 1e-4 }));
    const direction = w.map((_, j) => raw.weights[j * 2 + 1]! - raw.weights[j * 2]!); // class 1 − class 0
    t.true(cosine(direction, w) > 0.97, `${loss}: cosine ${cosine(direction, w)}`);
  }
  const labels = matrix(Float32Array.from(y), 600, 1);
  const sigmoid = fitLinearProbe(features, labels, { loss: 'sigmoid', l2: 1e-4 });
  t.true(cosine(rawSpaceWeights(sigmoid).weights, w) > 0.97);
  // The raw-space weights reproduce the probe's own scores.
  const scores = probeScores(sigmoid, features);
  const raw = rawSpaceWeights(sigmoid);
  let z = raw.bias[0]!;
  for (let j = 0; j < 6; j++) z += x[j]! * raw.weights[j]!;
  t.true(Math.abs(1 / (1 + Math.exp(-z)) - scores.data[0]!) < 1e-4);
});

test('closed-form probe gradient equals tf autodiff of the objective (all three losses, with a label mask)', (t) => {
  const rng = new Rng(9);
  const x = tf.tensor2d(Float32Array.from({ length: 8 * 4 }, () => rng.normal()), [8, 4]);
  const w = tf.tensor2d(Float32Array.from({ length: 4 * 3 }, () => rng.normal()), [4, 3]);
  const b = tf.tensor1d([0.1, -0.2, 0.3]);
  const target = tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 2, 1], 'int32'), 3), 'float32') as tf.Tensor2D;
  const mask = tf.tensor2d(Float32Array.from({ length: 24 }, (_, i) => (i % 5 === 0 ? 0 : 1)), [8, 3]);
  for (const [loss, m] of [['softmax', null], ['squaredHinge', null], ['sigmoid', mask]] as const) {
    const [gw, gb] = tf.grads((wi: tf.Tensor, bi: tf.Tensor) => probeObjective(loss, 0.3, x, wi, bi, target, m))([w, b]);
    const expected = [...gw!.dataSync(), ...gb!.dataSync()];
    const actual = probeGradient(loss, 0.3, x, w, b, target, m).dataSync();
    t.true(expected.every((v, i) => Math.abs(v - actual[i]!) < 1e-5), `${loss}: ${actual} vs ${expected}`);
    // The packed form L-BFGS reads: (objective, gradient) from one product.
    const packed = probeValueAndGradient(loss, 0.3, x, w, b, target, m).dataSync();
    t.is(packed.length, 1 + 4 * 3 + 3);
    t.true(Math.abs(packed[0]! - probeObjective(loss, 0.3, x, w, b, target, m).dataSync()[0]!) < 1e-5, `${loss}: packed objective ${packed[0]}`);
    t.true(expected.every((v, i) => Math.abs(v - packed[1 + i]!) < 1e-5), `${loss}: packed gradient ${packed.subarray(1)} vs ${expected}`);
  }
});

test('multi-label sigmoid ignores NaN targets', (t) => {
  const { x, y } = halfSpace(400, [1, -1, 0.5], 4);
  const labels = new Float32Array(400 * 2);
  for (let i = 0; i < 400; i++) {
    labels[i * 2] = y[i]!;
    // Label 1 is the complement, except that half the rows carry a WRONG label marked missing.
    labels[i * 2 + 1] = i % 2 === 0 ? Number.NaN : 1 - y[i]!;
  }
  const model = fitLinearProbe(matrix(x, 400, 3), matrix(labels, 400, 2), { loss: 'sigmoid' });
  const predicted = probePredict(model, matrix(x, 400, 3));
  let correct = 0;
  for (let i = 0; i < 400; i++) correct += Number(predicted[i * 2] === y[i]) + Number(predicted[i * 2 + 1] === 1 - y[i]!);
  t.true(correct / 800 > 0.97, `label accuracy ${correct / 800}`);
});

test('deterministic by seed: L-BFGS is bit-identical; AdamW mini-batches follow the seed', (t) => {
  const { x, y } = blobs(90, 4, 3, 5);
  const features = matrix(x, 90, 4);
  const a = fitLinearProbe(features, y);
  const b = fitLinearProbe(features, y);
  t.deepEqual(a.weights, b.weights);
  const adam = (seed: number) => fitLinearProbe(features, y, { optimizer: 'adamw', maxIterations: 5, batchSize: 16, seed });
  t.deepEqual(adam(7).weights, adam(7).weights);
  t.notDeepEqual(adam(7).weights, adam(8).weights);
});

test('standardises with the training statistics only, and a constant feature gets scale 1', (t) => {
  const x = Float32Array.from([1, 5, 3, 5, 5, 5, 7, 5]); // column 0: 1,3,5,7; column 1 constant
  const model = fitLinearProbe(matrix(x, 4, 2), [0, 0, 1, 1]);
  t.deepEqual(Array.from(model.mean), [4, 5]);
  t.true(Math.abs(model.scale[0]! - Math.sqrt(5)) < 1e-6);
  t.is(model.scale[1], 1);
});

test('bad inputs throw with the actual sizes', (t) => {
  const features = matrix(new Float32Array(6), 3, 2);
  t.throws(() => fitLinearProbe(features, [0, 1]), { message: /2 labels for 3 feature rows/ });
  t.throws(() => fitLinearProbe(features, [0, 1, 1], { loss: 'sigmoid' }), { message: /label matrix/ });
  t.throws(() => fitLinearProbe(features, [0, 1, 5], { numClasses: 3 }), { message: /≥ numClasses 3/ });
  const model = fitLinearProbe(features, [0, 1, 1]);
  t.throws(() => probeScores(model, matrix(new Float32Array(3), 1, 3)), { message: /3 columns.*2/ });
});

test('no tensor leaks across fits and predictions', (t) => {
  const { x, y } = blobs(60, 4, 3, 6);
  const features = matrix(x, 60, 4);
  fitLinearProbe(features, y, { maxIterations: 5 }); // warm-up
  const before = tf.memory().numTensors;
  for (const optimizer of ['lbfgs', 'adamw'] as const) {
    const model = fitLinearProbe(features, y, { optimizer, maxIterations: 5, batchSize: 20 });
    probeScores(model, features);
    probePredict(model, features);
  }
  const labels = matrix(Float32Array.from(y, (v) => (v === 0 ? 1 : 0)), 60, 1);
  fitLinearProbe(features, labels, { loss: 'sigmoid', maxIterations: 5 });
  t.is(tf.memory().numTensors, before);
});

test('sampleFraction: counts, stratification (every class at 1%), determinism', (t) => {
  const labels = [...new Array<number>(480).fill(0), ...new Array<number>(15).fill(1), ...new Array<number>(5).fill(2)];
  for (const [fraction, expected] of [[0.01, 5], [0.1, 50], [1, 500]] as const) {
    const rows = sampleFraction(labels, fraction, 42);
    t.is(rows.length, expected);
    t.is(new Set(rows).size, rows.length, 'no duplicates');
    t.deepEqual(rows, [...rows].sort((a, b) => a - b), 'sorted');
    t.deepEqual(new Set(rows.map((r) => labels[r])), new Set([0, 1, 2]), `every class present at ${fraction}`);
  }
  // 10% of a 480/15/5 split: one each first, then the 47 left proportionally to the remaining room.
  const counts = [0, 0, 0];
  for (const r of sampleFraction(labels, 0.1, 42)) counts[labels[r]!]!++;
  t.deepEqual(counts, [46, 2, 2]);
  t.deepEqual(sampleFraction(labels, 0.1, 42), sampleFraction(labels, 0.1, 42));
  t.notDeepEqual(sampleFraction(labels, 0.1, 42), sampleFraction(labels, 0.1, 43));
  t.deepEqual(sampleFraction(labels, 1, 42), labels.map((_, i) => i));
  // Without labels: a plain seeded draw of round(f·N) rows; 2 rows for 3 classes keeps the largest classes.
  t.is(sampleFraction(1000, 0.01, 1).length, 10);
  t.deepEqual(new Set(sampleFraction(labels, 0.004, 1).map((r) => labels[r])), new Set([0, 1]));
  t.throws(() => sampleFraction(labels, 0, 1), { message: /fraction/ });
});
