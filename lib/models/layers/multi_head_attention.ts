/**
 * Multi-head attention with separate query, key and value inputs (cross
 * attention, attention pooling): torch.nn.MultiheadAttention's computation with
 * its in-projection split into `q`, `k`, `v` linears and an `out` projection.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet } from '../params.ts';
import { keyBiasFromMask } from './attention.ts';
import { scalar } from './constants.ts';
import { createLinear, linear, type LinearParams } from './linear.ts';

/** Projections of one multi-head attention layer. */
export interface MultiHeadAttentionParams {
  /** [Dq, D] */
  q: LinearParams;
  /** [Dk, D] */
  k: LinearParams;
  /** [Dk, D] */
  v: LinearParams;
  /** [D, Dout] */
  out: LinearParams;
  numHeads: number;
}

/** Creates `name.{q,k,v,out}`: queries of width `queryWidth`, keys/values of width `keyWidth`, attention width `width`, output `outputWidth`. */
export function createMultiHeadAttention(
  params: ParameterSet,
  name: string,
  dims: { queryWidth: number; keyWidth: number; width: number; outputWidth: number },
  numHeads: number,
): MultiHeadAttentionParams {
  if (dims.width % numHeads !== 0) throw new Error(`createMultiHeadAttention: width ${dims.width} is not divisible by ${numHeads} heads`);
  return {
    q: createLinear(params, `${name}.q`, dims.queryWidth, dims.width),
    k: createLinear(params, `${name}.k`, dims.keyWidth, dims.width),
    v: createLinear(params, `${name}.v`, dims.keyWidth, dims.width),
    out: createLinear(params, `${name}.out`, dims.width, dims.outputWidth),
    numHeads,
  };
}

/**
 * softmax(q kᵀ/√Dh + mask) v per head, then the output projection.
 * @param query [B, Nq, Dq]
 * @param keys [B, Nk, Dk] (also the values' input)
 * @param keyMask optional [B, Nk]: 1 = attend, 0 = masked
 * @returns [B, Nq, Dout]
 */
export function multiHeadAttention(query: tf.Tensor3D, keys: tf.Tensor3D, p: MultiHeadAttentionParams, keyMask: tf.Tensor2D | null = null): tf.Tensor3D {
  const [b, nq] = query.shape;
  const nk = keys.shape[1];
  if (keys.shape[0] !== b) throw new Error(`multiHeadAttention: query batch ${b} ≠ key batch ${keys.shape[0]}`);
  const d = p.q.weight.shape[1] as number;
  const h = p.numHeads;
  const dh = d / h;
  return tf.tidy('multiHeadAttention', () => {
    const split = (x: tf.Tensor, n: number) => tf.transpose(tf.reshape(x, [b, n, h, dh]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, H, N, Dh]
    const q = tf.mul(split(linear(query, p.q), nq), scalar(1 / Math.sqrt(dh)));
    const k = split(linear(keys, p.k), nk);
    const v = split(linear(keys, p.v), nk);
    let scores: tf.Tensor = tf.matMul(q, k, false, true); // [B, H, Nq, Nk]
    if (keyMask) scores = tf.add(scores, keyBiasFromMask(keyMask));
    const context = tf.matMul(tf.softmax(scores), v); // [B, H, Nq, Dh]
    return linear(tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [b, nq, d]), p.out) as tf.Tensor3D;
  });
}
