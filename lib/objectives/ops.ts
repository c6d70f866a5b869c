/**
 * Small tensor helpers shared by the objectives: L2 normalisation with an
 * explicit eps, masking of logits, masked (log-)softmax, and the entry checks
 * that report the actual shape of a bad argument.
 *
 * Every helper is a plain composition of functional tfjs-core ops; callers run
 * them inside their own `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Floor on the L2 norm in `l2Normalize`: `norm(x) = x / max(‖x‖, 1e-12)`, the
 * value of PyTorch's `F.normalize`. A zero vector (a padded word) maps to zero.
 */
export const L2_EPS = 1e-12;

/**
 * What a masked logit is replaced by before a softmax. Finite (not −∞) so that
 * a row with every entry masked yields a uniform softmax instead of NaN, and
 * exp(−1e9 − max) is exactly 0 in float32, so masked entries get zero weight.
 */
export const MASKED_LOGIT = -1e9;

/**
 * L2-normalises along the last axis: `x / sqrt(max(Σ x², eps²))`.
 *
 * Written on the squared norm so that the backward pass never takes the
 * derivative of `sqrt` at 0 (which would be ∞·0 = NaN for zero vectors); the
 * value and the gradient equal `x / max(‖x‖, eps)` wherever ‖x‖ > eps.
 *
 * @param x `[..., d]`
 * @returns `[..., d]`
 */
export function l2Normalize<T extends tf.Tensor>(x: T, eps: number = L2_EPS): T {
  const squared = tf.sum(tf.square(x), -1, true); // [..., 1]
  return tf.mul(x, tf.rsqrt(tf.maximum(squared, eps * eps))) as T;
}

/**
 * Replaces logits where `keep` is false by `MASKED_LOGIT`. `keep` is a bool
 * tensor broadcastable to `logits`. Masked positions receive zero gradient.
 */
export function maskLogits<T extends tf.Tensor>(logits: T, keep: tf.Tensor): T {
  return tf.where(keep, logits as tf.Tensor, tf.scalar(MASKED_LOGIT)) as T;
}

/** Softmax over the last axis restricted to the positions where `keep` is true. */
export function maskedSoftmax<T extends tf.Tensor>(logits: T, keep: tf.Tensor): T {
  return tf.softmax(maskLogits(logits, keep)) as T;
}

/** Log-softmax over the last axis restricted to the positions where `keep` is true. */
export function maskedLogSoftmax<T extends tf.Tensor>(logits: T, keep: tf.Tensor): T {
  return tf.logSoftmax(maskLogits(logits, keep)) as T;
}

/**
 * Per-row cross entropy with the diagonal as target, over a batch of square
 * logit matrices, excluding masked classes: for row j of sample b,
 * `ce[b, j] = −log softmax_{i: keep[b,i] ∧ rowKeep[b,j,i]}(logits[b, j, :])[j]`,
 * and 0 where `keep[b, j]` is false (a masked row has no target).
 *
 * @param logits `[B, N, N]` (row = query, column = class)
 * @param keep `[B, N]` bool: which classes (and rows) are real
 * @param rowKeep optional `[B, N, N]` bool: per query row, which classes stay
 *   (e.g. a patient's other studies left out of one row's negatives); the
 *   diagonal always stays
 * @returns `[B, N]`
 */
export function diagonalCrossEntropy(logits: tf.Tensor3D, keep: tf.Tensor2D, rowKeep?: tf.Tensor3D): tf.Tensor2D {
  const n = logits.shape[1];
  const classes = rowKeep ? tf.logicalAnd(tf.expandDims(keep, 1), tf.logicalOr(rowKeep, tf.cast(tf.eye(n), 'bool'))) : tf.expandDims(keep, 1); // [B, 1 | N, N]
  const logProb = maskedLogSoftmax(logits, classes); // [B, N, N]
  const diagonal = tf.sum(tf.mul(logProb, tf.eye(n)), -1); // [B, N]
  return tf.where(keep, tf.neg(diagonal), tf.zerosLike(diagonal)) as tf.Tensor2D;
}

/** `[a,b,c]` for messages. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Throws unless `x` has the given rank and, where `expected[i]` is a number,
 * that size on axis i. `labels` name the axes symbolically for the message.
 */
export function checkShape(fn: string, name: string, x: tf.Tensor, expected: ReadonlyArray<number | null>, labels: readonly string[]): void {
  const wanted = `[${labels.join(', ')}]`;
  if (!(x instanceof tf.Tensor)) throw new Error(`${fn}: ${name} must be a tf.Tensor of shape ${wanted}`);
  const ok = x.rank === expected.length && expected.every((size, i) => size === null || x.shape[i] === size);
  if (!ok) {
    const sizes = expected.map((size, i) => (size === null ? labels[i] : `${labels[i]}=${size}`));
    throw new Error(`${fn}: ${name} must have shape [${sizes.join(', ')}], got ${shapeText(x.shape)}`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') {
    throw new Error(`${fn}: ${name} has unsupported dtype ${x.dtype}`);
  }
}

/** Throws unless every named axis size is at least `min`. */
export function checkAtLeast(fn: string, name: string, label: string, size: number, min: number): void {
  if (size < min) throw new Error(`${fn}: ${name} needs ${label} ≥ ${min}, got ${label}=${size}`);
}

/** Throws unless `value` is a positive finite number. */
export function checkPositive(fn: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${fn}: ${name} must be a positive finite number, got ${String(value)}`);
  }
}

/** A 0/1 (or bool) mask as a bool tensor: true where `mask > 0.5`. */
export function toKeep(mask: tf.Tensor): tf.Tensor {
  return mask.dtype === 'bool' ? mask : tf.greater(tf.cast(mask, 'float32'), 0.5);
}

const stopGradientOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)] };
}) as (x: tf.Tensor) => tf.Tensor;

/** The value of x with no gradient flowing back (PyTorch's `x.detach()`). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}
