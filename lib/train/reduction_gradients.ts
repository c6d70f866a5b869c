/**
 * Gradients of `tf.sum` and `tf.mean` without a tensor of ones.
 *
 * tfjs differentiates a reduction as dy·ones(x.shape): it fills a JavaScript
 * array the size of x on every backward pass, uploads it, and multiplies by
 * it. On a Med-ST `cpu` step that was 16 ms of JavaScript alone (lab notebook
 * §38). Broadcasting dy to x's shape gives the same values (·1 is exact; the
 * mean's 1/n is applied to dy before it is broadcast, one division per value
 * as before) in one op. `initBackend` registers these for every backend.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The reduced axes, non-negative (no axis: all of them). */
function reducedAxes(axis: number | number[] | null | undefined, rank: number): number[] {
  if (axis === null || axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  return (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));
}

/** dy reshaped to x's rank with 1 on the reduced axes, then broadcast to x's shape. */
function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axis: number | number[] | null | undefined): tf.Tensor {
  if (x.size === 0) return tf.zeros(x.shape); // an empty axis: nothing to broadcast to (tf.broadcastTo cannot repeat 0 times)
  const axes = reducedAxes(axis, x.rank);
  const expanded = x.shape.map((size, i) => (axes.includes(i) ? 1 : size));
  return tf.broadcastTo(tf.reshape(dy, expanded), x.shape);
}

let registered = false;

/** The gradient of a sum (divide 1) or a mean (divide by the reduced count) over `axis`. */
function reductionGradient(kernelName: string, mean: boolean): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const { axis } = attrs as unknown as tf.SumAttrs;
      const count = mean ? reducedAxes(axis, x.rank).reduce((n, a) => n * x.shape[a]!, 1) : 1;
      return { x: () => broadcastBack(mean ? tf.div(dy as tf.Tensor, count) : (dy as tf.Tensor), x, axis) };
    },
  };
}

/** Replaces tfjs's Sum and Mean gradients (idempotent). */
export function registerReductionGradients(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient(reductionGradient(tf.Sum, false));
  tf.registerGradient(reductionGradient(tf.Mean, true));
}
