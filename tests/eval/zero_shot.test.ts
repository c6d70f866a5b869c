import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { classEmbeddings, zeroShotBinary, zeroShotMultiClass } from '../../lib/eval/zero_shot.ts';
import { rocAuc } from '../../lib/eval/metrics.ts';

test.before(async () => {
  await nativeBackend();
});

const close = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol;

test('class embeddings: mean of normalised prompts, re-normalised', (t) => {
  const out = classEmbeddings([[[2, 1, 0], [3, -1.5, 0]], [[0, 0, 5]]]);
  // Normalised prompts (2,1)/√5 and (2,−1)/√5 average to (2/√5, 0), re-normalised to (1, 0).
  t.true([1, 0, 0, 0, 0, 1].every((v, i) => close(out.data[i]!, v)), `${out.data}`);
  t.throws(() => classEmbeddings([[[1, 0]], []]), { message: /class 1 has no prompts/ });
});

test('binary zero-shot: positive iff closer to the positive prompts; AUROC on scores, not hard labels', (t) => {
  const positive = [[1, 0.1, 0], [1, -0.1, 0]]; // class direction e0
  const negative = [[0, 1, 0]]; // e1
  // Images at angles from e1 (negative) towards e0: all but the last are closer to the negative class,
  // yet the positives are ranked above the negatives, so AUROC is 1 while hard labels are poor.
  const angles = [0.1, 0.2, 0.5, 0.6, 0.7, 1.2];
  const images = angles.map((a) => [Math.sin(a), Math.cos(a), 0]);
  const labels = [0, 0, 1, 1, 1, 1];
  const out = zeroShotBinary(images, { negative, positive }, labels, { temperature: 0.1 });
  angles.forEach((a, i) => {
    t.true(close(out.similarities[i]![0]!, Math.cos(a)) && close(out.similarities[i]![1]!, Math.sin(a)));
    t.true(close(out.scores[i]!, 1 / (1 + Math.exp(-(Math.sin(a) - Math.cos(a)) / 0.1)), 1e-5));
  });
  t.deepEqual(out.predicted, [0, 0, 0, 0, 0, 1]);
  t.is(out.accuracy, 3 / 6);
  t.is(out.f1, (2 * 1) / (2 * 1 + 0 + 3));
  t.is(out.rocAuc, 1);
  t.is(rocAuc(labels, out.predicted), 0.625, 'what the hard-label AUROC would have said');
  t.is(zeroShotBinary(images, { negative, positive }, labels, { temperature: 5 }).rocAuc, 1, 'temperature-free for two classes');
});

test('multi-class zero-shot: arg-max, macro F1, one-vs-rest AUROC and confusion', (t) => {
  const prompts = [[[1, 0, 0]], [[0, 1, 0], [0, 2, 0]], [[0, 0, 1]]];
  const images = [[0.9, 0.1, 0], [0.2, 0.8, 0.1], [0, 0.3, 0.7], [0.6, 0, 0.5], [0, 0.1, 0.9]];
  const labels = [0, 1, 2, 2, 2];
  const out = zeroShotMultiClass(images, prompts, labels);
  t.deepEqual(out.predicted, [0, 1, 2, 0, 2]);
  t.is(out.accuracy, 0.8);
  t.deepEqual(out.confusion, [[1, 0, 0], [0, 1, 0], [1, 0, 2]]);
  // F1: class 0 = 2/3, class 1 = 1, class 2 = 0.8.
  t.true(close(out.macroF1, (2 / 3 + 1 + 0.8) / 3));
  t.true(out.probabilities.every((p) => close(p.reduce((a, b) => a + b, 0), 1)));
  t.is(out.rocAuc.perClass.length, 3);
  t.true(out.rocAuc.macro > 0.8 && out.rocAuc.macro <= 1);
  // A class absent from the labels is skipped in the AUROC (NaN), not fatal.
  const absent = zeroShotMultiClass(images, prompts, [0, 0, 2, 2, 2]);
  t.true(Number.isNaN(absent.rocAuc.perClass[1]!));
  t.throws(() => zeroShotMultiClass(images, prompts, [0, 1, 3, 2, 2]), { message: /label 3/ });
});

test('zero-shot leaks no tensors', (t) => {
  const run = () => zeroShotMultiClass([[1, 0], [0, 1]], [[[1, 0]], [[0, 1]]], [0, 1]);
  run();
  const before = tf.memory().numTensors;
  run();
  t.is(tf.memory().numTensors, before);
});
