/**
 * Cached scalar constants. On the native backend, `tf.mul(x, 0.5)` makes and
 * uploads a new scalar tensor on every call, which costs about as much as the
 * multiplication itself on activation-sized tensors; hot paths use
 * `scalar(0.5)` instead. The cache fills lazily (nothing is created at
 * import); its tensors are kept out of every `tf.tidy` and live for the
 * process (a handful of floats).
 */
import * as tf from '@tensorflow/tfjs-core';

const cache = new Map<number, tf.Scalar>();

/** A kept float32 scalar tensor holding `value`, shared by all callers (never dispose it). */
export function scalar(value: number): tf.Scalar {
  let s = cache.get(value);
  if (!s || s.isDisposed) {
    s = tf.keep(tf.scalar(value, 'float32'));
    cache.set(value, s);
  }
  return s;
}
