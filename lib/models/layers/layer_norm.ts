/**
 * LayerNorm over the last axis with a learnable scale (`weight`) and shift
 * (`bias`). On native TensorFlow on the CPU the normalisation is one fused
 * native op each way (`native_ops.ts`); elsewhere it is composed of tfjs ops
 * with the backward pass written out (one formula instead of differentiating
 * through `tf.moments`, which roughly halves its op count).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet } from '../params.ts';
import { scalar } from './constants.ts';
import { nativeCpuOps, type FusedNormReserve, type NativeCpuOps } from './native_ops.ts';

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
const nativeKernels = new Map<number, LayerNormFn>();

/**
 * The LayerNorm on the native fused normalisation, for one epsilon: the rows
 * [R, D] as NCHW channels [1, R, 1, D] (unit scale, zero offset), so the
 * per-channel statistics are per-row ones; the affine part in tfjs ops.
 */
function nativeLayerNormKernel(eps: number, ops: NativeCpuOps): LayerNormFn {
  let fn = nativeKernels.get(eps);
  if (fn) return fn;
  fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, weight, bias, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const shape = x.shape;
    const dim = shape[shape.length - 1]!;
    const rows = x.size / dim;
    const x4 = tf.reshape(x, [1, rows, 1, dim]) as tf.Tensor4D;
    const ones = tf.ones([rows]) as tf.Tensor1D;
    const { y, reserve } = ops.fusedBatchNorm(x4, ones, tf.zeros([rows]), eps, 'NCHW');
    const normed = tf.reshape(y, [rows, dim]); // x̂ [R, D]
    save([x4, normed, weight, ones, ...reserve]);
    return {
      value: tf.reshape(tf.add(tf.mul(normed, weight), bias), shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, xhat, w, unit, ...kept] = saved as [tf.Tensor4D, tf.Tensor, tf.Tensor, tf.Tensor1D, ...FusedNormReserve];
        const dy2 = tf.reshape(dy, [rows, dim]);
        const { dx } = ops.fusedBatchNormGrad(tf.reshape(tf.mul(dy2, w), [1, rows, 1, dim]) as tf.Tensor4D, sx, unit, kept, eps, 'NCHW');
        return [tf.reshape(dx, shape), tf.sum(tf.mul(dy2, xhat), 0), tf.sum(dy2, 0)];
      },
    };
  }) as LayerNormFn;
  nativeKernels.set(eps, fn);
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
  const ops = nativeCpuOps();
  return tf.tidy('layerNorm', () => (ops ? nativeLayerNormKernel(p.eps, ops) : layerNormKernel(p.eps))(x, p.weight, p.bias));
}
