/**
 * CLIP-style attention pooling (PRIOR §2): the mean of the tokens is
 * prepended as a query token, learned positional embeddings are added (when
 * the pool has them), and multi-head attention from that token over all of
 * them gives one vector. PRIOR pools the 7×7 layer4 map of its ResNet this
 * way, and the sentence embeddings of a report without positions (the
 * released code's SentenceAttentionPool has `pos_embed=False`), with a mask
 * for absent sentences.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet } from './params.ts';
import { createMultiHeadAttention, multiHeadAttention, type MultiHeadAttentionParams } from './layers/multi_head_attention.ts';

/** Parameters of one attention pool. */
export interface AttentionPoolParams {
  /** [N + 1, C]: the mean token's position first, then the tokens'; null for a pool without positions. */
  positional: tf.Variable | null;
  attention: MultiHeadAttentionParams;
}

/**
 * Creates `name.positional` [N+1, C] (normal, std C^−½ as CLIP; unless `positional` is false) and `name.attention.{q,k,v,out}`.
 * @param tokens N, the largest number of tokens pooled
 */
export function createAttentionPool(params: ParameterSet, name: string, dims: { tokens: number; width: number; outputWidth: number; positional?: boolean }, numHeads: number): AttentionPoolParams {
  return {
    positional: dims.positional === false ? null : params.create(`${name}.positional`, [dims.tokens + 1, dims.width], { kind: 'normal', std: 1 / Math.sqrt(dims.width) }),
    attention: createMultiHeadAttention(params, `${name}.attention`, { queryWidth: dims.width, keyWidth: dims.width, width: dims.width, outputWidth: dims.outputWidth }, numHeads),
  };
}

/**
 * @param tokens [B, N, C] with N ≤ the pool's N
 * @param mask optional [B, N]: 1 for real tokens (the mean and the attention skip the rest; a row needs at least one)
 * @returns [B, Cout]
 */
export function attentionPool(tokens: tf.Tensor3D, p: AttentionPoolParams, mask: tf.Tensor2D | null = null): tf.Tensor2D {
  const [b, n, c] = tokens.shape;
  if (p.positional && n + 1 > p.positional.shape[0]!) throw new Error(`attentionPool: ${n} tokens, but the pool has positions for ${p.positional.shape[0]! - 1}`);
  return tf.tidy('attentionPool', () => {
    const m = mask ? tf.expandDims(mask, 2) : null; // [B, N, 1]
    const mean = m ? tf.div(tf.sum(tf.mul(tokens, m), 1, true), tf.maximum(tf.sum(m, 1, true), 1)) : tf.mean(tokens, 1, true); // [B, 1, C]
    const joined = tf.concat([mean, tokens], 1) as tf.Tensor3D; // [B, N+1, C]
    const sequence = p.positional ? (tf.add(joined, tf.slice(p.positional, [0, 0], [n + 1, c])) as tf.Tensor3D) : joined;
    const keyMask = mask ? (tf.concat([tf.ones([b, 1]), mask], 1) as tf.Tensor2D) : null; // the mean token is always attended
    const pooled = multiHeadAttention(tf.slice(sequence, [0, 0, 0], [b, 1, c]) as tf.Tensor3D, sequence, p.attention, keyMask); // [B, 1, Cout]
    return tf.squeeze(pooled, [1]) as tf.Tensor2D;
  });
}
