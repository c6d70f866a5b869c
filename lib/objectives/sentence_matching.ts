/**
 * PRIOR's report reconstruction terms (methods §2, stage 3): the decoder's Q
 * predicted prototypes are matched one-to-one to the report's real sentence
 * prototypes by a per-sample Hungarian assignment on the mean-L1 cost
 * (`munkres`, a maintained solver that takes rectangular costs), then scored
 * by L1 on the matched pairs and by the KL divergence between their
 * distributions over the prototype bank. Targets carry no gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { munkres } from 'munkres';
import { checkShape, stopGradient } from './ops.ts';

/**
 * Optimal one-to-one assignment minimising the total cost.
 * @param cost [rows, cols] row-major
 * @returns [row, col] pairs, min(rows, cols) of them, sorted by column
 */
export function optimalAssignment(cost: ArrayLike<number>, rows: number, cols: number): Array<[number, number]> {
  if (rows === 0 || cols === 0) return [];
  const matrix = Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => cost[r * cols + c]!));
  return munkres(matrix)
    .map(([r, c]) => [r, c] as [number, number])
    .sort((a, b) => a[1] - b[1]);
}

/** The matched-pair terms and the matching itself. */
export interface SentenceReconstructionOutput {
  /** Mean |predicted − target| over the matched pairs' entries. */
  l1: tf.Scalar;
  /** Mean over matched pairs of KL(softmax(t Wᵀ) ‖ softmax(p Wᵀ)). */
  kl: tf.Scalar;
  /** Per sample, the [prediction, sentence] pairs. */
  matches: Array<Array<[number, number]>>;
}

/**
 * @param predicted [B, Q, d] the decoder's outputs
 * @param targets [B, S, d] the report's sentence prototypes
 * @param mask [B, S] 1 for real sentences
 * @param prototypes [K, d] the prototype bank
 */
export function sentenceReconstructionLoss(predicted: tf.Tensor3D, targets: tf.Tensor3D, mask: tf.Tensor2D, prototypes: tf.Tensor2D): SentenceReconstructionOutput {
  const [b, q, d] = predicted.shape;
  const s = targets.shape[1];
  checkShape('sentenceReconstructionLoss', 'targets', targets, [b, null, d], ['B', 'S', 'd']);
  checkShape('sentenceReconstructionLoss', 'mask', mask, [b, s], ['B', 'S']);
  checkShape('sentenceReconstructionLoss', 'prototypes', prototypes, [null, d], ['K', 'd']);
  const real = mask.dataSync();
  const cost = tf.tidy(() => tf.mean(tf.abs(tf.sub(tf.expandDims(predicted, 2), tf.expandDims(targets, 1))), -1).dataSync()); // [B, Q, S]
  const matches: Array<Array<[number, number]>> = [];
  const predRows: number[] = [];
  const targetRows: number[] = [];
  for (let i = 0; i < b; i++) {
    const sentences = Array.from({ length: s }, (_, j) => j).filter((j) => real[i * s + j]! > 0.5);
    const sub = new Float32Array(q * sentences.length);
    for (let r = 0; r < q; r++) sentences.forEach((j, c) => (sub[r * sentences.length + c] = cost[(i * q + r) * s + j]!));
    const pairs = optimalAssignment(sub, q, sentences.length).map(([r, c]) => [r, sentences[c]!] as [number, number]);
    matches.push(pairs);
    for (const [r, j] of pairs) {
      predRows.push(i * q + r);
      targetRows.push(i * s + j);
    }
  }
  return tf.tidy(() => {
    if (predRows.length === 0) return { l1: tf.scalar(0), kl: tf.scalar(0), matches };
    const p = tf.gather(tf.reshape(predicted, [b * q, d]), tf.tensor1d(predRows, 'int32')) as tf.Tensor2D; // [M, d]
    const t = stopGradient(tf.gather(tf.reshape(targets, [b * s, d]), tf.tensor1d(targetRows, 'int32'))) as tf.Tensor2D; // [M, d]
    const l1 = tf.mean(tf.abs(tf.sub(p, t))) as tf.Scalar;
    const logP = tf.logSoftmax(tf.matMul(p, prototypes, false, true)); // [M, K]
    const logT = tf.logSoftmax(tf.matMul(t, stopGradient(prototypes), false, true)); // [M, K]
    const kl = tf.mean(tf.sum(tf.mul(tf.exp(logT), tf.sub(logT, logP)), -1)) as tf.Scalar;
    return { l1, kl, matches };
  });
}
