/**
 * Global image–report alignment of Med-ST (methods.md §1.3): a symmetric
 * InfoNCE over every image–report pair of the batch, summed over directions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkAtLeast, checkPositive, checkShape, diagonalCrossEntropy, l2Normalize } from './ops.ts';

/** Settings of `globalContrastiveLoss`. */
export interface GlobalContrastiveOptions {
  /**
   * τ that divides the cosine similarities. Med-ST uses 0.07
   * (`DEFAULT_GLOBAL_TEMPERATURE`); a scalar tensor (e.g. CLIP's learnable
   * `exp(−logit_scale)`) lets gradients reach τ.
   */
  temperature: number | tf.Scalar;
  /**
   * `[B, B]` bool, true where the off-diagonal pair (image i, report j) is not
   * a negative and leaves both softmaxes (e.g. two studies of one patient,
   * whose images and reports look alike); the diagonal is always the target.
   * Absent: every other pair of the batch is a negative (the paper's loss).
   */
  excludeNegatives?: tf.Tensor2D;
}

/** Med-ST's global temperature (methods.md §1.3); callers pass it in explicitly. */
export const DEFAULT_GLOBAL_TEMPERATURE = 0.07;

/** Named terms; every field is a scalar. */
export type GlobalContrastiveOutput = {
  /** `imageToText + textToImage`. */
  loss: tf.Scalar;
  /** `CE(S, I)`: each image picks its report among the batch. */
  imageToText: tf.Scalar;
  /** `CE(Sᵀ, I)`: each report picks its image. */
  textToImage: tf.Scalar;
};

const FN = 'globalContrastiveLoss';

/**
 * Symmetric contrastive loss between paired image and report embeddings:
 *
 *     S = norm(image) · norm(text)ᵀ / τ                 [B, B]
 *     L = CE(S, I) + CE(Sᵀ, I)                          (the sum, not the mean)
 *
 * where CE is the mean over the B rows of the cross entropy with the diagonal
 * as target and `norm(x) = x / max(‖x‖, 1e-12)`. Inputs need not be
 * normalised. With identical embeddings (uniform logits) L = 2·log B.
 *
 * @param image `[B, d]` projected image embeddings
 * @param text `[B, d]` projected report embeddings, row b paired with image row b
 * @param options `{temperature}` (Med-ST: 0.07)
 * @returns `{loss, imageToText, textToImage}`, scalars
 */
export function globalContrastiveLoss(image: tf.Tensor2D, text: tf.Tensor2D, options: GlobalContrastiveOptions): GlobalContrastiveOutput {
  checkShape(FN, 'image', image, [null, null], ['B', 'd']);
  checkShape(FN, 'text', text, [image.shape[0], image.shape[1]], ['B', 'd']);
  checkAtLeast(FN, 'image', 'B', image.shape[0], 1);
  if (!(options?.temperature instanceof tf.Tensor)) checkPositive(FN, 'options.temperature', options?.temperature);
  else checkShape(FN, 'options.temperature', options.temperature, [], []);
  if (options.excludeNegatives) checkShape(FN, 'options.excludeNegatives', options.excludeNegatives, [image.shape[0], image.shape[0]], ['B', 'B']);
  return tf.tidy(() => {
    const batch = image.shape[0];
    const logits = tf.div(tf.matMul(l2Normalize(image), l2Normalize(text), false, true), options.temperature); // [B, B]
    const all = tf.ones([1, batch], 'bool') as tf.Tensor2D; // every report is a class
    // Per query row, the excluded pairs leave its softmax.
    const rowKeep = options.excludeNegatives ? (tf.expandDims(tf.logicalNot(tf.cast(options.excludeNegatives, 'bool')), 0) as tf.Tensor3D) : undefined; // [1, B, B]
    const imageToText = tf.mean(diagonalCrossEntropy(tf.expandDims(logits, 0) as tf.Tensor3D, all, rowKeep)) as tf.Scalar;
    const textToImage = tf.mean(diagonalCrossEntropy(tf.expandDims(tf.transpose(logits), 0) as tf.Tensor3D, all, rowKeep && (tf.transpose(rowKeep, [0, 2, 1]) as tf.Tensor3D))) as tf.Scalar;
    return { loss: tf.add(imageToText, textToImage) as tf.Scalar, imageToText, textToImage };
  });
}
