/**
 * PRIOR's alignment terms (methods §2), pure functions of features:
 * the global CLIP loss with a learnable logit scale, sigmoid cross-modal
 * attention, the SimSiam-style local image loss and the same-report local
 * text loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import { globalContrastiveLoss } from './global_contrastive.ts';
import { checkShape, diagonalCrossEntropy, l2Normalize, stopGradient, toKeep } from './ops.ts';

/**
 * CLIP's loss: ½[CE(s·v tᵀ, I) + CE(s·t vᵀ, I)] on L2-normalised rows, s = exp(logitScale).
 * @param image [B, d]
 * @param text [B, d], row b paired with image row b
 * @param logitScale scalar log s (PRIOR: learnable, initialised at ln 100)
 */
export function clipLoss(image: tf.Tensor2D, text: tf.Tensor2D, logitScale: tf.Scalar | number): tf.Scalar {
  return tf.tidy(() => {
    const temperature = typeof logitScale === 'number' ? Math.exp(-logitScale) : (tf.exp(tf.neg(logitScale)) as tf.Scalar);
    return tf.mul(globalContrastiveLoss(image, text, { temperature }).loss, 0.5) as tf.Scalar;
  });
}

/**
 * Cross-modal attention with sigmoid weights: σ(q kᵀ/√d) v, each key weighted
 * on its own (no competition between keys, unlike softmax).
 * @param query [B, Nq, d] (already projected)
 * @param keys [B, Nk, d]
 * @param values [B, Nk, d]
 * @param keyMask optional [B, Nk]: absent keys get weight 0
 * @returns [B, Nq, d]
 */
export function sigmoidCrossAttention(query: tf.Tensor3D, keys: tf.Tensor3D, values: tf.Tensor3D, keyMask: tf.Tensor2D | null = null): tf.Tensor3D {
  const d = query.shape[2];
  checkShape('sigmoidCrossAttention', 'keys', keys, [query.shape[0], null, d], ['B', 'Nk', 'd']);
  checkShape('sigmoidCrossAttention', 'values', values, [query.shape[0], keys.shape[1], null], ['B', 'Nk', 'dv']);
  return tf.tidy(() => {
    let weights: tf.Tensor = tf.sigmoid(tf.div(tf.matMul(query, keys, false, true), Math.sqrt(d))); // [B, Nq, Nk]
    if (keyMask) weights = tf.mul(weights, tf.expandDims(tf.cast(keyMask, 'float32'), 1));
    return tf.matMul(weights, values) as tf.Tensor3D; // [B, Nq, dv]
  });
}

/** Mean over the real tokens of per-token values [B, N] (all real without a mask). */
function maskedMean(values: tf.Tensor2D, mask: tf.Tensor2D | null): tf.Scalar {
  if (!mask) return tf.mean(values) as tf.Scalar;
  const m = tf.cast(mask, 'float32');
  return tf.div(tf.sum(tf.mul(values, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
}

/**
 * SimSiam's symmetric negative cosine: −½[cos(P(x), sg(y)) + cos(P(y), sg(x))],
 * averaged over tokens. PRIOR: x = image patches, y = their text contexts (T2I).
 * @param px [B, N, d] predictor output of x
 * @param py [B, N, d] predictor output of y
 * @param mask optional [B, N]
 */
export function simsiamLoss(px: tf.Tensor3D, py: tf.Tensor3D, x: tf.Tensor3D, y: tf.Tensor3D, mask: tf.Tensor2D | null = null): tf.Scalar {
  for (const [name, t] of [['py', py], ['x', x], ['y', y]] as const) checkShape('simsiamLoss', name, t, px.shape, ['B', 'N', 'd']);
  return tf.tidy(() => {
    const cosine = (a: tf.Tensor3D, b: tf.Tensor3D) => tf.sum(tf.mul(l2Normalize(a), l2Normalize(stopGradient(b))), -1) as tf.Tensor2D; // [B, N]
    return tf.mul(tf.add(maskedMean(cosine(px, y), mask), maskedMean(cosine(py, x), mask)), -0.5) as tf.Scalar;
  });
}

/**
 * InfoNCE between each sentence and its image context with the other
 * sentences of the same report as negatives, in both directions:
 * ½[CE(s·norm(S) norm(C)ᵀ, I) + CE(s·norm(C) norm(S)ᵀ, I)] averaged over the real sentences.
 * @param sentences [B, S, d]
 * @param contexts [B, S, d] (I2T: the patches attended by each sentence)
 * @param mask [B, S] 1 for real sentences
 * @param logitScale log s (PRIOR: s learnable, initialised at 100)
 */
export function sameReportContrastiveLoss(sentences: tf.Tensor3D, contexts: tf.Tensor3D, mask: tf.Tensor2D, logitScale: tf.Scalar | number): tf.Scalar {
  checkShape('sameReportContrastiveLoss', 'contexts', contexts, sentences.shape, ['B', 'S', 'd']);
  checkShape('sameReportContrastiveLoss', 'mask', mask, [sentences.shape[0], sentences.shape[1]], ['B', 'S']);
  return tf.tidy(() => {
    const scale = typeof logitScale === 'number' ? tf.scalar(Math.exp(logitScale)) : tf.exp(logitScale);
    const logits = tf.mul(tf.matMul(l2Normalize(sentences), l2Normalize(contexts), false, true), scale) as tf.Tensor3D; // [B, S, S]
    const keep = toKeep(mask) as tf.Tensor2D;
    const both = tf.add(diagonalCrossEntropy(logits, keep), diagonalCrossEntropy(tf.transpose(logits, [0, 2, 1]) as tf.Tensor3D, keep)); // [B, S]
    return tf.mul(maskedMean(both as tf.Tensor2D, mask), 0.5) as tf.Scalar;
  });
}
