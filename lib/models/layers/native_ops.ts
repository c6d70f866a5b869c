/**
 * Native TensorFlow ops that tfjs does not expose, called directly through the
 * tfjs-node backend for hot paths. Only on native TensorFlow on the CPU
 * (`initBackend` chose `tfjs-node`); elsewhere `nativeCpuOps()` is null and
 * callers use their composed tfjs version, which computes the same function.
 *
 * Why: on the CPU every tfjs op is one native op call plus a pass over memory,
 * so a normalisation written in tfjs ops costs ~20 passes (forward and
 * backward). TensorFlow's FusedBatchNormV3 does BatchNorm (NHWC) in one op each
 * way; ReluGrad, BiasAdd and BiasAddGrad replace two or three tfjs ops each.
 * (LayerNorm, GELU: medst's own fused kernels, `lib/native/fused_kernels.ts`.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { activeBackend } from '../../backend.ts';

/** The saved outputs of a fused normalisation that its gradient needs (opaque). */
export type FusedNormReserve = [tf.Tensor, tf.Tensor, tf.Tensor];

/** What the native CPU backend offers. */
export interface NativeCpuOps {
  /**
   * Training-mode batch normalisation (FusedBatchNormV3): per channel, the
   * batch mean and biased variance over the other axes, then scale and offset.
   * @param x [N, H, W, C] (NHWC)
   * @returns y (x's shape), the batch mean and UNBIASED variance [C] (what running statistics take), and what the gradient needs
   */
  fusedBatchNorm(x: tf.Tensor4D, scale: tf.Tensor1D, offset: tf.Tensor1D, eps: number): { y: tf.Tensor4D; mean: tf.Tensor1D; unbiasedVariance: tf.Tensor1D; reserve: FusedNormReserve };
  /** Gradients of `fusedBatchNorm` (FusedBatchNormGradV3) with respect to x, scale and offset, given dy. */
  fusedBatchNormGrad(dy: tf.Tensor4D, x: tf.Tensor4D, scale: tf.Tensor1D, reserve: FusedNormReserve, eps: number): { dx: tf.Tensor4D; dScale: tf.Tensor1D; dOffset: tf.Tensor1D };
  /** dy·[x > 0] in one pass (ReluGrad; tfjs composes it of a comparison, a cast and a product). */
  reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor;
  /**
   * y + b over the last axis (BiasAdd: 2× faster than a broadcasting add on [4128, 576]).
   * @param y [..., C]; b [C]
   */
  biasAdd(y: tf.Tensor, b: tf.Tensor): tf.Tensor;
  /** Σ dy over every axis but the last (BiasAddGrad): the gradient of `biasAdd` for b, [C]. */
  biasAddGrad(dy: tf.Tensor): tf.Tensor;
}

interface TfeAttr {
  name: string;
  type: number;
  value: unknown;
}

interface NodeBackend {
  binding: { TF_ATTR_FLOAT: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number };
  executeMultipleOutputs(name: string, attrs: TfeAttr[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
}

let cached: { backend: tf.KernelBackend; ops: NativeCpuOps | null } | null = null;

/**
 * The native CPU ops of the active backend, or null (pure JS, GPU, before
 * `initBackend`, or `MEDST_NATIVE_OPS=0`, which keeps every layer on its
 * composed tfjs version, e.g. to compare the two).
 */
export function nativeCpuOps(): NativeCpuOps | null {
  if (process.env.MEDST_NATIVE_OPS === '0') return null;
  const backend = tf.backend();
  if (cached?.backend === backend) return cached.ops;
  const info = activeBackend();
  const ops = info && info.package === '@tensorflow/tfjs-node' && tf.getBackend() === 'tensorflow' ? makeOps(backend as unknown as NodeBackend) : null;
  cached = { backend, ops };
  return ops;
}

function makeOps(backend: NodeBackend): NativeCpuOps {
  const require = createRequire(import.meta.url);
  const { createTensorsTypeOpAttr } = require('@tensorflow/tfjs-node/dist/nodejs_kernel_backend.js') as { createTensorsTypeOpAttr(name: string, dtype: string): TfeAttr };
  const { binding } = backend;
  const attrs = (eps: number, forward: boolean): TfeAttr[] => [
    createTensorsTypeOpAttr('T', 'float32'),
    createTensorsTypeOpAttr('U', 'float32'),
    { name: 'epsilon', type: binding.TF_ATTR_FLOAT, value: eps },
    ...(forward ? [{ name: 'exponential_avg_factor', type: binding.TF_ATTR_FLOAT, value: 1 }] : []),
    { name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: binding.TF_ATTR_BOOL, value: true },
  ];
  const float32 = [createTensorsTypeOpAttr('T', 'float32')];
  const channelsLast = [...float32, { name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC' }];
  return {
    reluGrad: (dy, x) => backend.executeMultipleOutputs('ReluGrad', float32, [dy, x], 1)[0]!,
    biasAdd: (y, b) => backend.executeMultipleOutputs('BiasAdd', channelsLast, [y, b], 1)[0]!,
    biasAddGrad: (dy) => backend.executeMultipleOutputs('BiasAddGrad', channelsLast, [dy], 1)[0]!,
    fusedBatchNorm(x, scale, offset, eps) {
      const none = tf.zeros([0]); // no running statistics in training mode
      const [y, mean, unbiasedVariance, r1, r2, r3] = backend.executeMultipleOutputs('FusedBatchNormV3', attrs(eps, true), [x, scale, offset, none, none], 6) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor, tf.Tensor, tf.Tensor];
      none.dispose();
      return { y, mean, unbiasedVariance, reserve: [r1, r2, r3] };
    },
    fusedBatchNormGrad(dy, x, scale, reserve, eps) {
      const [dx, dScale, dOffset, r4, r5] = backend.executeMultipleOutputs('FusedBatchNormGradV3', attrs(eps, false), [dy, x, scale, ...reserve], 5) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor, tf.Tensor];
      tf.dispose([r4, r5]);
      return { dx, dScale, dOffset };
    },
  };
}
