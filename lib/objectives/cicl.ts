/**
 * IMITATE's clinical-informed contrastive loss (methods §3), a pure function
 * of embeddings: pairs whose prior text embeddings correlate are soft
 * positives, so two reports saying the same thing are not pushed apart as
 * hard negatives.
 *
 * S = norm(x) norm(y)ᵀ / τ; C = PearsonCorr(E) between samples, negatives and
 * the diagonal set to 0; C' = 1 − exp(−r·C); Y = I + τ·C' (rows not
 * renormalised, as in the released code); ℓ = CE_soft(S, Y) + CE_soft(Sᵀ, Y),
 * each a sum over columns and a mean over rows. Without a prior, Y = I: plain
 * InfoNCE in both directions (IMITATE's findings image–image term).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkAtLeast, checkPositive, checkShape, l2Normalize, stopGradient } from './ops.ts';

/** Settings of `ciclLoss`. */
export interface CiclOptions {
  /** τ that divides the cosine similarities (IMITATE: 0.07 image–text, 0.2 image–image); also scales the soft positives. */
  temperature: number;
  /** [B, D] prior embeddings of the batch (IMITATE: raw text CLS features), or null for plain InfoNCE. */
  prior?: tf.Tensor2D | null;
  /** r in 1 − exp(−r·C) (IMITATE: 0.2). */
  priorRatio?: number;
  /** [B] 1 where a sample's prior is real: pairs with an absent prior (an empty section) get no soft positive. */
  priorMask?: tf.Tensor1D | null;
}

/** IMITATE's r. */
export const DEFAULT_PRIOR_RATIO = 0.2;

const FN = 'ciclLoss';

/**
 * [B, B] Pearson correlation between the rows of `e` (torch.corrcoef): each
 * sample's features centred and scaled by their own spread. Row i against row
 * j uses only those two rows, so dropping a sample leaves the others' values.
 * @param e [B, D], D ≥ 2
 */
export function pearsonCorrelation(e: tf.Tensor2D): tf.Tensor2D {
  checkShape('pearsonCorrelation', 'e', e, [null, null], ['B', 'D']);
  checkAtLeast('pearsonCorrelation', 'e', 'D', e.shape[1], 2);
  return tf.tidy(() => {
    const centred = tf.sub(e, tf.mean(e, 1, true));
    const unit = tf.div(centred, tf.sqrt(tf.maximum(tf.sum(tf.square(centred), 1, true), 1e-24)));
    return tf.clipByValue(tf.matMul(unit, unit, false, true), -1, 1) as tf.Tensor2D; // corrcoef clips to [−1, 1] too
  });
}

/**
 * Y = I + τ·(1 − exp(−r·C⁺)), C⁺ the correlation with negatives and the
 * diagonal zeroed (and pairs with an absent prior zeroed). No gradient flows
 * into the prior: it is a target.
 */
export function clinicalSoftTargets(prior: tf.Tensor2D, temperature: number, priorRatio: number = DEFAULT_PRIOR_RATIO, priorMask: tf.Tensor1D | null = null): tf.Tensor2D {
  const b = prior.shape[0];
  return tf.tidy(() => {
    let c: tf.Tensor = tf.relu(pearsonCorrelation(stopGradient(prior)));
    const offDiagonal = tf.sub(1, tf.eye(b));
    c = tf.mul(c, offDiagonal);
    if (priorMask) c = tf.mul(c, tf.outerProduct(priorMask, priorMask));
    const smooth = tf.sub(1, tf.exp(tf.mul(c, -priorRatio)));
    return tf.add(tf.eye(b), tf.mul(smooth, temperature)) as tf.Tensor2D;
  });
}

/** Mean over rows of −Σⱼ Yᵢⱼ log softmax(Sᵢ)ⱼ (PyTorch's cross_entropy with probability targets). */
function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits, 1)), 1))) as tf.Scalar);
}

/**
 * CE_soft(S, Y) + CE_soft(Sᵀ, Y) with S = norm(x) norm(y)ᵀ / τ (directions summed, as in the released code).
 * @param x [B, d]
 * @param y [B, d], row b paired with x's row b
 */
export function ciclLoss(x: tf.Tensor2D, y: tf.Tensor2D, options: CiclOptions): tf.Scalar {
  checkShape(FN, 'x', x, [null, null], ['B', 'd']);
  checkShape(FN, 'y', y, [x.shape[0], x.shape[1]], ['B', 'd']);
  checkAtLeast(FN, 'x', 'B', x.shape[0], 1);
  checkPositive(FN, 'options.temperature', options.temperature);
  const b = x.shape[0];
  if (options.prior) checkShape(FN, 'options.prior', options.prior, [b, null], ['B', 'D']);
  if (options.priorMask) checkShape(FN, 'options.priorMask', options.priorMask, [b], ['B']);
  return tf.tidy(() => {
    const logits = tf.div(tf.matMul(l2Normalize(x), l2Normalize(y), false, true), options.temperature) as tf.Tensor2D; // [B, B]
    const targets = options.prior ? clinicalSoftTargets(options.prior, options.temperature, options.priorRatio ?? DEFAULT_PRIOR_RATIO, options.priorMask ?? null) : (tf.eye(b) as tf.Tensor2D);
    return tf.add(softCrossEntropy(logits, targets), softCrossEntropy(tf.transpose(logits), targets)) as tf.Scalar;
  });
}
