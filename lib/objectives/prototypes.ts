/**
 * PRIOR's sentence prototype bank (methods §2): each sentence embedding is
 * replaced by a soft mixture of K learned prototypes, q = softmax((x Wᵀ + g)/τ)
 * with Gumbel noise g in training and without it in evaluation (the original
 * samples noise at test time too — a defect), and pulled towards the
 * sentence by mean |qW − x|.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkPositive, checkShape } from './ops.ts';
import type { Rng } from '../util/rng.ts';

/** Assignment weights and the quantised sentences. */
export interface PrototypeAssignment {
  /** [N, K] softmax weights over the prototypes. */
  weights: tf.Tensor2D;
  /** [N, d] q W. */
  quantised: tf.Tensor2D;
}

/**
 * @param sentences [N, d]
 * @param prototypes [K, d]
 * @param tau τ of the (Gumbel-)softmax (PRIOR: 0.9)
 * @param gumbel [N, K] Gumbel noise −log(−log u) (training), or null (evaluation)
 */
export function assignPrototypes(sentences: tf.Tensor2D, prototypes: tf.Tensor2D, tau: number, gumbel: tf.Tensor2D | null): PrototypeAssignment {
  checkShape('assignPrototypes', 'prototypes', prototypes, [null, sentences.shape[1]], ['K', 'd']);
  checkPositive('assignPrototypes', 'tau', tau);
  if (gumbel) checkShape('assignPrototypes', 'gumbel', gumbel, [sentences.shape[0], prototypes.shape[0]], ['N', 'K']);
  return tf.tidy(() => {
    let logits: tf.Tensor = tf.matMul(sentences, prototypes, false, true); // [N, K]
    if (gumbel) logits = tf.add(logits, gumbel);
    const weights = tf.softmax(tf.div(logits, tau)) as tf.Tensor2D;
    return { weights, quantised: tf.matMul(weights, prototypes) as tf.Tensor2D };
  });
}

/** [rows, cols] Gumbel(0, 1) samples from a seeded source. */
export function gumbelNoise(rows: number, cols: number, random: Rng): tf.Tensor2D {
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < values.length; i++) values[i] = -Math.log(-Math.log(Math.min(1 - 1e-7, Math.max(1e-7, random.uniform()))));
  return tf.tensor2d(values, [rows, cols]);
}

/**
 * mean |quantised − sentences| over the real sentences' entries.
 * @param mask optional [N] 1 for real sentences
 */
export function prototypeLoss(quantised: tf.Tensor2D, sentences: tf.Tensor2D, mask: tf.Tensor1D | null = null): tf.Scalar {
  checkShape('prototypeLoss', 'sentences', sentences, quantised.shape, ['N', 'd']);
  return tf.tidy(() => {
    const perSentence = tf.mean(tf.abs(tf.sub(quantised, sentences)), -1); // [N]
    if (!mask) return tf.mean(perSentence) as tf.Scalar;
    return tf.div(tf.sum(tf.mul(perSentence, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}
