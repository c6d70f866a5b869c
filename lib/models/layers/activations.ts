/** Activations shared by the encoders. */
import * as tf from '@tensorflow/tfjs-core';
import { fusedKernels, type FusedKernels } from '../../native/fused_kernels.ts';
import { scalar } from './constants.ts';
import { nativeCpuOps } from './native_ops.ts';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact (erf) GELU, as PyTorch `nn.GELU()` and BERT: x·Φ(x) with
 * Φ(x) = 0.5·(1 + erf(x/√2)) (not the tanh approximation). The gradient is
 * written out, Φ(x) + x·φ(x) with φ the standard normal density, which is
 * cheaper than differentiating through erf. On native TensorFlow on the CPU
 * each way is one fused kernel (`lib/native/fused_kernels.ts`).
 * @param x any shape
 * @returns same shape as x
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  const kernels = fusedKernels();
  return tf.tidy('gelu', () => (kernels ? fusedGelu(kernels) : geluWithGrad)(x));
}

let fusedGeluFn: { kernels: FusedKernels; fn: (x: tf.Tensor) => tf.Tensor } | null = null;

/** GELU on the fused kernels, with their gradient (cached per kernel set). */
function fusedGelu(kernels: FusedKernels): (x: tf.Tensor) => tf.Tensor {
  if (fusedGeluFn?.kernels === kernels) return fusedGeluFn.fn;
  const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return { value: kernels.gelu(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [kernels.geluGrad(dy, saved[0]!)] };
  }) as (x: tf.Tensor) => tf.Tensor;
  fusedGeluFn = { kernels, fn };
  return fn;
}

const geluWithGrad = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const half = scalar(0.5);
  const cdf = tf.add(tf.mul(tf.erf(tf.mul(x, scalar(Math.SQRT1_2))), half), half); // Φ(x)
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input, phi] = saved as [tf.Tensor, tf.Tensor];
      const density = tf.mul(tf.exp(tf.mul(tf.square(input), scalar(-0.5))), scalar(INV_SQRT_2PI)); // φ(x)
      return [tf.mul(dy, tf.add(phi, tf.mul(input, density)))];
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * max(x, 0) whose gradient is dy·[x > 0] through a comparison and a cast: the
 * backend's `Step` kernel, which tfjs' own ReLU gradient uses, is about three
 * times slower than that on the large maps of a ResNet's backward pass.
 * @param x any shape
 * @returns same shape as x
 */
export function relu(x: tf.Tensor): tf.Tensor {
  return reluWithGrad(x);
}

const reluWithGrad = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.relu(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const native = nativeCpuOps(); // one pass (ReluGrad) where TensorFlow is native
      return [native ? native.reluGrad(dy, saved[0]!) : tf.mul(dy, tf.cast(tf.greater(saved[0]!, scalar(0)), dy.dtype))];
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;
