/** The supervised ceiling: targets from the manifest labels, BCE against a direct computation, gradients into the encoder. */
import test from 'ava';
import { Rng } from '../../lib/util/rng.ts';
import { CHEXPERT_LABELS } from '../../lib/data/labels.ts';
import type { HostBatch, TensorBatch } from '../../lib/data/batches.ts';
import type { ManifestRecord } from '../../lib/data/manifest.ts';
import { SupervisedClassifier, supervisedTargets } from '../../lib/methods/supervised.ts';
import { linear } from '../../lib/models/layers/linear.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

test.before(async () => {
  await nativeBackend();
});

const record = (labels: Record<string, 1 | 0 | -1 | null>) => ({ labels }) as unknown as ManifestRecord;

test('targets: positive = 1; negative, uncertain and missing = 0', (t) => {
  const y = supervisedTargets([record({ Cardiomegaly: 1, Edema: -1 }), record({ 'Pleural Effusion': 1, Cardiomegaly: 0 })]);
  const k = CHEXPERT_LABELS.length;
  t.is(y.length, 2 * k);
  t.is(y[CHEXPERT_LABELS.indexOf('Cardiomegaly')], 1);
  t.is(y[CHEXPERT_LABELS.indexOf('Edema')], 0);
  t.is(y[k + CHEXPERT_LABELS.indexOf('Pleural Effusion')], 1);
  t.is(y.reduce((a, b) => a + b, 0), 2);
});

test('the loss is the mean binary cross-entropy of the linear head on the frontal features; gradients reach the encoder; no leaks', (t) => {
  const model = new SupervisedClassifier({ vision: { imageSize: 32, patchSize: 8, width: 32, depth: 1, heads: 2, stem: 'conv' }, seed: 3 });
  const records = [record({ Cardiomegaly: 1 }), record({ Edema: 1, Atelectasis: 1 }), record({})];
  const frontal = tf.randomNormal([3, 32, 32, 1], 0, 0.5, 'float32', 9) as tf.Tensor4D;
  const tensors = { frontal } as TensorBatch;
  const batch = { rows: 3, records } as unknown as HostBatch;
  const stage = { name: 's', epochs: 1, losses: { supervised: 1 }, chunkLength: 1, learningRate: 1e-3, warmupFraction: 0 };
  const loss = tf.tidy(() => model.lossTerms({ batch, tensors, stage, step: 0, random: new Rng(0) }).supervised!.dataSync()[0]!);
  const logits = tf.tidy(() => linear(model.imageFeatures(frontal), model.head).dataSync() as Float32Array);
  const y = supervisedTargets(records);
  let expected = 0;
  logits.forEach((z, i) => (expected += -(y[i]! * Math.log(1 / (1 + Math.exp(-z))) + (1 - y[i]!) * Math.log(1 - 1 / (1 + Math.exp(-z))))));
  expected /= logits.length;
  t.true(Math.abs(loss - expected) < 1e-5, `${loss} vs ${expected}`);
  const trainable = model.params.named({ trainableOnly: true });
  // The first backward pass fills the caches of constant scalars; count from the second.
  const warm = tf.variableGrads(() => model.lossTerms({ batch, tensors, stage, step: 0, random: new Rng(0) }).supervised!, trainable.map(([, v]) => v));
  tf.dispose([warm.value, ...Object.values(warm.grads)]);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => model.lossTerms({ batch, tensors, stage, step: 0, random: new Rng(0) }).supervised!, trainable.map(([, v]) => v));
  for (const prefix of ['image.patch_embed.stem.0', 'image.blocks.0.attn', 'classifier.fc']) {
    const g = trainable.filter(([n]) => n.startsWith(prefix)).map(([, v]) => tf.tidy(() => tf.norm(grads[v.name]!).dataSync()[0]!));
    t.true(g.length > 0 && Math.max(...g) > 0, prefix);
  }
  tf.dispose([value, ...Object.values(grads)]);
  t.is(tf.memory().numTensors, before);
  t.is(model.describe() && (model.describe() as { method: string }).method, 'supervised');
  frontal.dispose();
  model.dispose();
});

test("the step's random source drives the encoder's stochastic depth in training only", (t) => {
  const model = new SupervisedClassifier({ vision: { imageSize: 32, patchSize: 8, width: 32, depth: 2, heads: 2, stem: 'conv', dropPath: 0.5 }, seed: 3 });
  const frontal = tf.randomNormal([6, 32, 32, 1], 0, 0.5, 'float32', 9) as tf.Tensor4D;
  const batch = { rows: 6, records: Array.from({ length: 6 }, (_, i) => record(i % 2 ? { Edema: 1 } : {})) } as unknown as HostBatch;
  const stage = { name: 's', epochs: 1, losses: { supervised: 1 }, chunkLength: 1, learningRate: 1e-3, warmupFraction: 0 };
  const loss = (seed: number) => tf.tidy(() => model.lossTerms({ batch, tensors: { frontal } as TensorBatch, stage, step: 0, random: new Rng(seed) }).supervised!.dataSync()[0]!);
  t.is(loss(1), loss(1));
  t.not(loss(1), loss(2));
  const evaluation = (seed: number) => tf.tidy(() => Array.from(model.imageFeatures(frontal, { random: new Rng(seed) }).dataSync()));
  t.deepEqual(evaluation(1), evaluation(2), 'evaluation draws nothing');
  frontal.dispose();
  model.dispose();
});
