/**
 * The reconstruction losses of masked modelling (MPMA, methods §4; Med-ST's
 * optional reconstruction term), pure functions: MAE's mean squared error on
 * the masked patches against per-patch normalised pixels, and the
 * masked-language-model cross-entropy on the chosen tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkShape } from './ops.ts';

/**
 * [B, P, p²] the non-overlapping p×p patches of single-channel images in raster
 * order (patch y·g + x), each flattened row-major: the layout a ViT's patch
 * grid and a pixel decoder share.
 * @param images [B, S, S, 1], S a multiple of p
 */
export function patchify(images: tf.Tensor4D, p: number): tf.Tensor3D {
  const [b, s, , c] = images.shape;
  if (c !== 1 || s % p !== 0 || images.shape[2] !== s) throw new Error(`patchify: expected [B, S, S, 1] with S a multiple of ${p}, got [${images.shape}]`);
  const g = s / p;
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(images, [b, g, p, g, p]), [0, 1, 3, 2, 4]), [b, g * g, p * p]) as tf.Tensor3D);
}

/**
 * [B, S, S, 1] the images with their masked p×p patches set to 0 (mid-grey on
 * the [−1, 1] scale): masking before the stem, so that a convolutional stem
 * cannot see a masked patch either.
 * @param masked Float32Array [B, P], 1 = masked, patches in raster order
 */
export function hideMaskedPatches(images: tf.Tensor4D, masked: Float32Array, p: number): tf.Tensor4D {
  const [b, s] = images.shape;
  const g = s / p;
  if (images.shape[3] !== 1 || s % p !== 0 || masked.length !== b * g * g) throw new Error(`hideMaskedPatches: expected [B, S, S, 1] with S a multiple of ${p} and ${b}×${g * g} mask entries, got [${images.shape}] and ${masked.length}`);
  return tf.tidy(() => {
    const keepGrid = tf.sub(1, tf.tensor(masked, [b, g, 1, g, 1])); // [B, g, 1, g, 1]
    const keepPixels = tf.reshape(tf.tile(keepGrid, [1, 1, p, 1, p]), [b, s, s, 1]);
    return tf.mul(images, keepPixels) as tf.Tensor4D;
  });
}

/**
 * MAE's loss: per patch, the mean squared error between the prediction and the
 * target pixels (normalised by the patch's own mean and variance when
 * `normalise`), averaged over the masked patches.
 * @param predicted [B, P, p²]
 * @param target [B, P, p²] (`patchify` of the input)
 * @param masked [B, P], 1 = masked (scored)
 */
export function maskedPatchLoss(predicted: tf.Tensor3D, target: tf.Tensor3D, masked: tf.Tensor2D, options: { normalise: boolean }): tf.Scalar {
  checkShape('maskedPatchLoss', 'target', target, predicted.shape, ['B', 'P', 'p²']);
  checkShape('maskedPatchLoss', 'masked', masked, [predicted.shape[0], predicted.shape[1]], ['B', 'P']);
  if (options.normalise && target.shape[2] < 2) throw new Error('maskedPatchLoss: normalising needs patches of 2 or more pixels');
  return tf.tidy(() => {
    let t: tf.Tensor = target;
    if (options.normalise) {
      const { mean, variance } = tf.moments(target, -1, true);
      // The unbiased variance, as MAE's `var(dim=-1)`.
      const n = target.shape[2];
      t = tf.div(tf.sub(target, mean), tf.sqrt(tf.add(tf.mul(variance, n / (n - 1)), 1e-6)));
    }
    const perPatch = tf.mean(tf.square(tf.sub(predicted, t)), -1); // [B, P]
    return tf.div(tf.sum(tf.mul(perPatch, masked)), tf.maximum(tf.sum(masked), 1)) as tf.Scalar;
  });
}

/**
 * Cross-entropy of the MLM head on the chosen tokens (labels ≥ 0), averaged over them.
 * @param logits [B, L, V]
 * @param labels Int32Array [B, L]: the original id, −1 where not chosen
 */
export function maskedTokenLoss(logits: tf.Tensor3D, labels: Int32Array): tf.Scalar {
  const [b, l, v] = logits.shape;
  if (labels.length !== b * l) throw new Error(`maskedTokenLoss: expected ${b}×${l} labels, got ${labels.length}`);
  const rows: number[] = [];
  const targets: number[] = [];
  labels.forEach((id, i) => {
    if (id < 0) return;
    if (id >= v) throw new Error(`maskedTokenLoss: label ${id} at position ${i} is outside the vocabulary of ${v}`);
    rows.push(i);
    targets.push(id);
  });
  return tf.tidy(() => {
    if (rows.length === 0) return tf.scalar(0);
    const picked = tf.gather(tf.reshape(logits, [b * l, v]), tf.tensor1d(rows, 'int32')); // [N, V]
    const logProbs = tf.logSoftmax(picked, -1);
    const chosen = tf.sum(tf.mul(logProbs, tf.oneHot(tf.tensor1d(targets, 'int32'), v)), -1); // [N]
    return tf.neg(tf.mean(chosen)) as tf.Scalar;
  });
}
