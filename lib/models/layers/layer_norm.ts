/**
 * LayerNorm over the last axis with a learnable scale (`weight`) and shift
 * (`bias`). On native TensorFlow on the CPU it is one fused kernel each way
 * (`lib/native/fused_kernels.ts`); elsewhere it is composed of tfjs ops with
 * the backward pass written out (one formula instead of differentiating
 * through `tf.moments`, which roughly halves its op count).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet } from '../params.ts';
import { scalar } from './constants.ts';
import { fusedKernels, type FusedKernels } from '../../native/fused_kernels.ts';

/** Scale and shift of one LayerNorm, each [D]. */
export interface LayerNormParams {
  weight: tf.Variable;
  bias: tf.Variable;
  /** Added to the variance (ViT 1e-6, BERT 1e-12). */
  eps: number;
}

/** Creates `name.weight` (ones) and `name.bias` (zeros), each [D]. */
export function createLayerNorm(params: ParameterSet, name: string, dim: number, eps: number): LayerNormParams {
  return {
    weight: params.create(`${name}.weight`, [dim], { kind: 'ones' }),
    bias: params.create(`${name}.bias`, [dim], { kind: 'zeros' }),
    eps,
  };
}

type LayerNormFn = (x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor) => tf.Tensor;
const kernels = new Map<number, LayerNormFn>();
const fusedKernelsByEps = new Map<number, { fused: FusedKernels; fn: LayerNormFn }>();

/**
 * The LayerNorm on the fused CPU kernels for one epsilon: one pass each way,
 * with the rows' mean and rstd kept from the forward pass for the gradient.
 */
function fusedLayerNormKernel(eps: number, fused: FusedKernels): LayerNormFn {
  const cached = fusedKernelsByEps.get(eps);
  if (cached?.fused === fused) return cached.fn;
  const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, weight, bias, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { y, mean, rstd } = fused.layerNorm(x, weight, bias, eps);
    save([x, weight, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, w, m, r] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const { dx, dGamma, dBeta } = fused.layerNormGrad(dy, sx, w, m, r);
        return [dx, dGamma, dBeta];
      },
    };
  }) as LayerNormFn;
  fusedKernelsByEps.set(eps, { fused, fn });
  return fn;
}

/** The custom-gradient LayerNorm in tfjs ops for one epsilon (cached: eps is a constant of the op). */
function layerNormKernel(eps: number): LayerNormFn {
  let fn = kernels.get(eps);
  if (fn) return fn;
  fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, weight, bias, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const mean = tf.mean(x, -1, true); // [..., 1]
    const centered = tf.sub(x, mean); // [..., D]
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), scalar(eps))); // [..., 1]
    const normed = tf.mul(centered, rstd); // x̂ [..., D]
    save([normed, rstd, weight]);
    return {
      value: tf.add(tf.mul(normed, weight), bias),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhat, r, w] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const lead = Array.from({ length: dy.rank - 1 }, (_, i) => i);
        const dxhat = tf.mul(dy, w); // [..., D]
        // dx = r · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂))
        const dx = tf.mul(r, tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), -1, true))));
        return [dx, tf.sum(tf.mul(dy, xhat), lead), tf.sum(dy, lead)];
      },
    };
  }) as LayerNormFn;
  kernels.set(eps, fn);
  return fn;
}

/**
 * (x − mean) / √(var + eps) · weight + bias, statistics over the last axis
 * (biased variance, as PyTorch).
 * @param x [..., D]
 * @returns [..., D]
 */
export function layerNorm(x: tf.Tensor, p: LayerNormParams): tf.Tensor {
  const dim = p.weight.shape[0] as number;
  if (x.shape[x.rank - 1] !== dim) throw new Error(`layerNorm: expected last dim ${dim}, got input shape [${x.shape}]`);
  const fused = fusedKernels();
  return tf.tidy('layerNorm', () => (fused ? fusedLayerNormKernel(p.eps, fused) : layerNormKernel(p.eps))(x, p.weight, p.bias));
}
