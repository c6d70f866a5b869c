/**
 * The ViT's convolutional stem against a naive JavaScript convolution
 * (3×3, stride 2, TensorFlow "same" padding: the extra row/column at the
 * bottom/right), and the training-side options that came with the CPU regime:
 * gradients reach the stem, a learned global temperature.
 */
import test from 'ava';
import { convStemChannels, resolveViTConfig } from '../../lib/configs/vit.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { VisionTransformer } from '../../lib/models/vit.ts';
import { globalContrastiveLoss } from '../../lib/objectives/global_contrastive.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

test.before(async () => {
  await nativeBackend();
});

/** [H, W, Cin] ⊛ [3, 3, Cin, Cout] + bias, stride 2, TF "same" padding, then ReLU. */
function naiveConvRelu(x: Float32Array, h: number, w: number, cin: number, k: Float32Array, bias: Float32Array, cout: number): Float32Array {
  const oh = Math.ceil(h / 2);
  const ow = Math.ceil(w / 2);
  const padTop = Math.floor(Math.max((oh - 1) * 2 + 3 - h, 0) / 2);
  const padLeft = Math.floor(Math.max((ow - 1) * 2 + 3 - w, 0) / 2);
  const out = new Float32Array(oh * ow * cout);
  for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < cout; o++) {
    let s = bias[o]!;
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const y = oy * 2 + ky - padTop;
      const xx = ox * 2 + kx - padLeft;
      if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
      for (let c = 0; c < cin; c++) s += x[(y * w + xx) * cin + c]! * k[((ky * 3 + kx) * cin + c) * cout + o]!;
    }
    out[(oy * ow + ox) * cout + o] = Math.max(0, s);
  }
  return out;
}

test('conv-stem patch tokens equal a naive convolution stack followed by the 1×1 projection', (t) => {
  const config = { imageSize: 16, patchSize: 4, width: 32, depth: 1, heads: 2, stem: 'conv' as const };
  const W = 32;
  const vit = new VisionTransformer(new ParameterSet(3).child('image'), config);
  t.deepEqual(convStemChannels(vit.config), [8, 16]);
  t.deepEqual(vit.params.named().map(([n]) => n.replace(/^image\./, '')).filter((n) => n.startsWith('patch_embed')).sort(), ['patch_embed.proj.bias', 'patch_embed.proj.weight', 'patch_embed.stem.0.bias', 'patch_embed.stem.0.weight', 'patch_embed.stem.1.bias', 'patch_embed.stem.1.weight']);
  // Non-zero biases so that padding and bias order matter.
  vit.stem.forEach((conv, i) => conv.bias.assign(tf.linspace(-0.1, 0.2 + i, conv.bias.shape[0]!)));
  vit.patchBias.assign(tf.linspace(-0.3, 0.3, W));
  const image = Float32Array.from({ length: 16 * 16 }, (_, i) => Math.sin(i * 0.37));
  const tokens = tf.tidy(() => vit.embedPatches(tf.tensor4d(image, [1, 16, 16, 1])).dataSync() as Float32Array);
  let x: Float32Array = image;
  let side = 16;
  let channels = 1;
  for (const conv of vit.stem) {
    const cout = conv.bias.shape[0]!;
    x = naiveConvRelu(x, side, side, channels, conv.weight.dataSync() as Float32Array, conv.bias.dataSync() as Float32Array, cout);
    side /= 2;
    channels = cout;
  }
  const proj = vit.patchWeight.dataSync() as Float32Array; // [1, 1, C, W]
  const pb = vit.patchBias.dataSync() as Float32Array;
  t.is(tokens.length, 16 * W);
  for (let p = 0; p < side * side; p++) for (let o = 0; o < W; o++) {
    let s = pb[o]!;
    for (let c = 0; c < channels; c++) s += x[p * channels + c]! * proj[c * W + o]!;
    t.true(Math.abs(tokens[p * W + o]! - s) < 1e-5, `token ${p}, channel ${o}`);
  }
  vit.dispose();
});

test('gradients reach every stem convolution', (t) => {
  const vit = new VisionTransformer(new ParameterSet(4).child('image'), { imageSize: 32, patchSize: 8, width: 16, depth: 1, heads: 2, stem: 'conv' });
  const images = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
  const stemVars = vit.stem.flatMap((c) => [c.weight, c.bias]);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(vit.forward({ frontal: images }).global)) as tf.Scalar, stemVars);
  for (const v of stemVars) t.true(tf.norm(grads[v.name]!).dataSync()[0]! > 0, v.name);
  tf.dispose([value, images, ...Object.values(grads)]);
  vit.dispose();
});

test('the conv stem needs a power-of-two patch; unknown stems are refused', (t) => {
  t.throws(() => resolveViTConfig({ imageSize: 36, patchSize: 6, stem: 'conv' }), { message: /power-of-two patchSize/ });
  t.throws(() => resolveViTConfig({ stem: 'pixels' as never }), { message: /stem must be/ });
  t.is(resolveViTConfig({}).stem, 'patch');
});

test('a tensor temperature gives the number temperature\'s loss and a gradient to it', (t) => {
  const image = tf.randomNormal([6, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
  const text = tf.randomNormal([6, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
  const fixed = globalContrastiveLoss(image, text, { temperature: 0.07 }).loss.dataSync()[0]!;
  const logitScale = tf.variable(tf.scalar(Math.log(1 / 0.07)));
  const { value, grads } = tf.variableGrads(() => globalContrastiveLoss(image, text, { temperature: tf.exp(tf.neg(logitScale)) as tf.Scalar }).loss, [logitScale]);
  t.true(Math.abs(value.dataSync()[0]! - fixed) < 1e-4);
  t.true(Math.abs(grads[logitScale.name]!.dataSync()[0]!) > 0);
  t.throws(() => globalContrastiveLoss(image, text, { temperature: tf.tensor1d([0.1]) as unknown as tf.Scalar }), { message: /temperature/ });
  tf.dispose([image, text, logitScale, value, ...Object.values(grads)]);
});
