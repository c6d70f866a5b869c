/**
 * PRIOR's non-autoregressive report decoder (§2, stage 3): Q learned queries
 * pass through post-norm transformer decoder layers (self-attention without a
 * causal mask, cross-attention to the image's local tokens, feed-forward) and
 * come out as Q predicted sentence prototypes [B, Q, d].
 */
import * as tf from '@tensorflow/tfjs-core';
import { createAttention, selfAttention, type AttentionParams } from './layers/attention.ts';
import { createLayerNorm, layerNorm, type LayerNormParams } from './layers/layer_norm.ts';
import { createMlp, mlp, type MlpParams } from './layers/mlp.ts';
import { createMultiHeadAttention, multiHeadAttention, type MultiHeadAttentionParams } from './layers/multi_head_attention.ts';
import type { ParameterSet } from './params.ts';

interface DecoderLayer {
  self: AttentionParams;
  norm1: LayerNormParams;
  cross: MultiHeadAttentionParams;
  norm2: LayerNormParams;
  mlp: MlpParams;
  norm3: LayerNormParams;
}

export interface SentenceDecoderConfig {
  /** Q: sentences generated per report. */
  queries: number;
  /** d */
  width: number;
  layers: number;
  heads: number;
}

export class SentenceDecoder {
  readonly queries: tf.Variable;
  readonly layers: DecoderLayer[];

  constructor(params: ParameterSet, readonly config: SentenceDecoderConfig) {
    const { width: d, heads } = config;
    this.queries = params.create('queries', [config.queries, d], { kind: 'normal', std: 0.02 });
    this.layers = Array.from({ length: config.layers }, (_, i) => {
      const p = params.child(`layers.${i}`);
      return {
        self: createAttention(p, 'self', d, heads, 0.02),
        norm1: createLayerNorm(p, 'norm1', d, 1e-5),
        cross: createMultiHeadAttention(p, 'cross', { queryWidth: d, keyWidth: d, width: d, outputWidth: d }, heads),
        norm2: createLayerNorm(p, 'norm2', d, 1e-5),
        mlp: createMlp(p, 'mlp', d, 4 * d, 0.02),
        norm3: createLayerNorm(p, 'norm3', d, 1e-5),
      };
    });
  }

  /**
   * @param memory [B, P, d] the image's local tokens
   * @returns [B, Q, d]
   */
  forward(memory: tf.Tensor3D): tf.Tensor3D {
    const b = memory.shape[0];
    return tf.tidy('sentenceDecoder', () => {
      let x = tf.tile(tf.expandDims(this.queries, 0), [b, 1, 1]) as tf.Tensor3D; // [B, Q, d]
      for (const layer of this.layers) {
        x = layerNorm(tf.add(x, selfAttention(x, layer.self)), layer.norm1) as tf.Tensor3D;
        x = layerNorm(tf.add(x, multiHeadAttention(x, memory, layer.cross)), layer.norm2) as tf.Tensor3D;
        x = layerNorm(tf.add(x, mlp(x, layer.mlp)), layer.norm3) as tf.Tensor3D;
      }
      return x;
    });
  }
}
