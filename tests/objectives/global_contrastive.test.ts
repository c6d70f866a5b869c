import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { globalContrastiveLoss } from '../../lib/objectives/global_contrastive.ts';
import { assertClose, assertFinite, assertNoLeak, ErrorLog, loadFixture, unpack, type PackedTensor } from './reference.ts';

interface GlobalCase {
  name: string;
  temperature: number;
  /** [B, B] 1 where an off-diagonal pair is not a negative (absent: every pair is). */
  exclude?: number[][];
  inputs: { image: PackedTensor; text: PackedTensor };
  outputs: { loss: number; imageToText: number; textToImage: number };
  grads: { image: PackedTensor; text: PackedTensor };
}

const fixture = loadFixture<{ cases: GlobalCase[] }>('global_contrastive');
const errors = new ErrorLog();

test.before(async () => {
  await nativeBackend();
});

test.after(() => {
  console.log(`globalContrastiveLoss max error vs PyTorch: ${errors.summary()}`);
});

for (const c of fixture.cases) {
  test(`matches the PyTorch float64 reference: ${c.name} (values and gradients, |a−b| ≤ 1e-5·max(1,|b|))`, (t) => {
    const image = unpack<tf.Rank.R2>(c.inputs.image);
    const text = unpack<tf.Rank.R2>(c.inputs.text);
    const exclude = c.exclude ? tf.tensor2d(c.exclude, undefined, 'bool') : undefined;
    const options = { temperature: c.temperature, ...(exclude ? { excludeNegatives: exclude } : {}) };
    const out = globalContrastiveLoss(image, text, options);
    for (const key of ['loss', 'imageToText', 'textToImage'] as const) {
      errors.add('value', assertClose(t, out[key], c.outputs[key], key));
    }
    const [gImage, gText] = tf.grads((a: tf.Tensor, b: tf.Tensor) => globalContrastiveLoss(a as tf.Tensor2D, b as tf.Tensor2D, options).loss)([image, text]);
    exclude?.dispose();
    errors.add('grad', assertClose(t, gImage!, c.grads.image, 'd/d image'));
    errors.add('grad', assertClose(t, gText!, c.grads.text, 'd/d text'));
    assertFinite(t, [gImage!, gText!], 'gradients');
    tf.dispose([image, text, out.loss, out.imageToText, out.textToImage, gImage!, gText!]);
  });
}

test('identical embeddings give uniform logits: loss = 2·log B', (t) => {
  const batch = 6;
  const image = tf.ones([batch, 8]) as tf.Tensor2D;
  const out = globalContrastiveLoss(image, image, { temperature: 0.07 });
  t.true(Math.abs(out.loss.dataSync()[0]! - 2 * Math.log(batch)) < 1e-5);
  t.true(Math.abs(out.imageToText.dataSync()[0]! - Math.log(batch)) < 1e-5);
  tf.dispose([image, out.loss, out.imageToText, out.textToImage]);
});

test('perfectly aligned orthogonal pairs with a tiny temperature give a loss near 0', (t) => {
  const image = tf.mul(tf.eye(4, 8), 3) as tf.Tensor2D; // scale must not matter: normalised inside
  const text = tf.eye(4, 8) as tf.Tensor2D;
  const out = globalContrastiveLoss(image, text, { temperature: 0.01 });
  // Each direction: log(1 + 3·e^{−100}) ≈ 0.
  t.true(out.loss.dataSync()[0]! < 1e-6);
  // With τ = 1 the analytic value is 2·log(1 + 3/e) per pair.
  const warm = globalContrastiveLoss(image, text, { temperature: 1 });
  t.true(Math.abs(warm.loss.dataSync()[0]! - 2 * Math.log(1 + 3 * Math.exp(-1))) < 1e-5);
  tf.dispose([image, text, out.loss, out.imageToText, out.textToImage, warm.loss, warm.imageToText, warm.textToImage]);
});

test('no tensor leaks: only the three returned scalars are new, flat across 5 calls', (t) => {
  const image = tf.randomNormal([5, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
  const text = tf.randomNormal([5, 8], 0, 1, 'float32', 2) as tf.Tensor2D;
  assertNoLeak(t, () => globalContrastiveLoss(image, text, { temperature: 0.07 }), (out) => [out.loss, out.imageToText, out.textToImage]);
  tf.dispose([image, text]);
});

test('bad shapes and options throw with the actual shape', (t) => {
  const image = tf.zeros([4, 8]) as tf.Tensor2D;
  const text = tf.zeros([3, 8]) as tf.Tensor2D;
  const flat = tf.zeros([8]) as unknown as tf.Tensor2D;
  t.throws(() => globalContrastiveLoss(image, text, { temperature: 0.07 }), { message: /text must have shape \[B=4, d=8\], got \[3, 8\]/ });
  t.throws(() => globalContrastiveLoss(flat, image, { temperature: 0.07 }), { message: /image must have shape \[B, d\], got \[8\]/ });
  t.throws(() => globalContrastiveLoss(image, image, { temperature: 0 }), { message: /temperature must be a positive finite number, got 0/ });
  tf.dispose([image, text, flat]);
});

test('excluding no pair is the plain loss; excluding a pair lowers it only by that negative, and a wrong-shaped mask is refused', (t) => {
  const image = tf.tensor2d([[1, 0], [0.9, 0.1], [0, 1]]);
  const text = tf.tensor2d([[1, 0.1], [0.8, 0.2], [0.1, 1]]);
  const plain = globalContrastiveLoss(image, text, { temperature: 0.1 });
  const none = globalContrastiveLoss(image, text, { temperature: 0.1, excludeNegatives: tf.zeros([3, 3], 'bool') as tf.Tensor2D });
  t.true(Math.abs(plain.loss.dataSync()[0]! - none.loss.dataSync()[0]!) < 1e-6);
  const pair = globalContrastiveLoss(image, text, { temperature: 0.1, excludeNegatives: tf.tensor2d([[0, 1, 0], [1, 0, 0], [0, 0, 0]], undefined, 'bool') });
  t.true(pair.loss.dataSync()[0]! < plain.loss.dataSync()[0]! - 0.1, 'rows 0 and 1 are near-duplicates: without each other as negatives the loss falls');
  t.throws(() => globalContrastiveLoss(image, text, { temperature: 0.1, excludeNegatives: tf.zeros([3, 2], 'bool') as tf.Tensor2D }), { message: /excludeNegatives must have shape \[B=3, B=3\]/ });
});
