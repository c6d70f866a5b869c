/**
 * Native TensorFlow ops that tfjs does not expose, called directly through the
 * tfjs-node backend for hot paths. Only on native TensorFlow on the CPU
 * (`initBackend` chose `tfjs-node`); elsewhere `nativeCpuOps()` is null and
 * callers use their composed tfjs version, which computes the same function.
 *
 * Why: on the CPU every tfjs op is one native op call plus a pass over memory,
 * so a LayerNorm written in tfjs ops costs ~20 passes (forward and backward).
 * TensorFlow's FusedBatchNormV3 in NCHW layout, with the rows as channels,
 * computes the same per-row statistics in one op each way (2–2.5× faster on
 * a [32·129, 192] ViT activation). The GPU build is left out on purpose: cuDNN
 * clamps epsilon to ≥ 1e-5, which would change LayerNorm(eps 1e-6 / 1e-12).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { activeBackend } from '../../backend.ts';

/** The saved outputs of a fused normalisation that its gradient needs. */
export type FusedNormReserve = [tf.Tensor, tf.Tensor, tf.Tensor];

/** What the native CPU backend offers. */
export interface NativeCpuOps {
  /**
   * Normalises each row of `x` [R, D] to zero mean and unit (biased) variance over D, with eps.
   * @returns the normalised rows [R, D] and what `normaliseRowsGrad` needs.
   */
  normaliseRows(x: tf.Tensor2D, eps: number): { normed: tf.Tensor2D; reserve: FusedNormReserve };
  /** d(loss)/d(x) of `normaliseRows`, given d(loss)/d(normed) [R, D]. */
  normaliseRowsGrad(dNormed: tf.Tensor2D, x: tf.Tensor2D, reserve: FusedNormReserve, eps: number): tf.Tensor2D;
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

/** The native CPU ops of the active backend, or null (pure JS, GPU, or before `initBackend`). */
export function nativeCpuOps(): NativeCpuOps | null {
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
    { name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NCHW' },
    { name: 'is_training', type: binding.TF_ATTR_BOOL, value: true },
  ];
  // Rows as NCHW channels: [1, R, 1, D], statistics per channel over H·W = D.
  return {
    normaliseRows(x, eps) {
      const [rows, dim] = x.shape;
      const x4 = tf.reshape(x, [1, rows, 1, dim]);
      // Unit scale and zero offset per channel (row); no running statistics in training mode.
      const [scale, offset, none] = [tf.ones([rows]), tf.zeros([rows]), tf.zeros([0])];
      const outputs = backend.executeMultipleOutputs('FusedBatchNormV3', attrs(eps, true), [x4, scale, offset, none, none], 6);
      const [y, batchMean, batchVariance, r1, r2, r3] = outputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      tf.dispose([x4, scale, offset, none, batchMean, batchVariance]);
      const normed = tf.reshape(y, [rows, dim]) as tf.Tensor2D;
      y.dispose();
      return { normed, reserve: [r1, r2, r3] };
    },
    normaliseRowsGrad(dNormed, x, reserve, eps) {
      const [rows, dim] = x.shape;
      const dy4 = tf.reshape(dNormed, [1, rows, 1, dim]);
      const x4 = tf.reshape(x, [1, rows, 1, dim]);
      const scale = tf.ones([rows]);
      const outputs = backend.executeMultipleOutputs('FusedBatchNormGradV3', attrs(eps, false), [dy4, x4, scale, ...reserve], 5);
      const dx = tf.reshape(outputs[0]!, [rows, dim]) as tf.Tensor2D;
      tf.dispose([dy4, x4, scale, ...outputs]);
      return dx;
    },
  };
}
