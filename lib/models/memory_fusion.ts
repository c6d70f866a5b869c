/**
 * MPMA's cross-modal fusion (methods §4): post-norm cross-attention layers in
 * which queries of one modality attend to the other's tokens; with memory
 * (MA-CMF), M learnable slots are appended to the keys, so text queries can
 * read visual patterns the masked image no longer shows.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createLayerNorm, layerNorm, type LayerNormParams } from './layers/layer_norm.ts';
import { createMlp, mlp, type MlpParams } from './layers/mlp.ts';
import { createMultiHeadAttention, multiHeadAttention, type MultiHeadAttentionParams } from './layers/multi_head_attention.ts';
import type { ParameterSet } from './params.ts';

/** Shape of a fusion block. */
export interface FusionConfig {
  /** Width of queries, keys and memory slots. */
  width: number;
  heads: number;
  layers: number;
  /** M learnable memory slots appended to the keys (0: plain cross-attention). */
  memorySlots: number;
  /** Hidden width of each layer's MLP. */
  mlpHidden: number;
  layerNormEps: number;
}

interface FusionLayer {
  attention: MultiHeadAttentionParams;
  norm1: LayerNormParams;
  mlp: MlpParams;
  norm2: LayerNormParams;
}

export class CrossModalFusion {
  readonly config: FusionConfig;
  /** [1, M, W] the memory slots, or null without memory. */
  readonly memory: tf.Variable | null;
  readonly layers: FusionLayer[];

  constructor(params: ParameterSet, config: FusionConfig) {
    const { width: w, heads, layers, memorySlots, mlpHidden, layerNormEps } = config;
    if (w % heads !== 0) throw new Error(`CrossModalFusion: width ${w} is not divisible by ${heads} heads`);
    if (!(Number.isInteger(layers) && layers >= 1)) throw new Error(`CrossModalFusion: layers must be a positive integer, got ${layers}`);
    if (!(Number.isInteger(memorySlots) && memorySlots >= 0)) throw new Error(`CrossModalFusion: memorySlots must be a non-negative integer, got ${memorySlots}`);
    this.config = config;
    this.memory = memorySlots > 0 ? params.create('memory', [1, memorySlots, w], { kind: 'truncatedNormal', std: 0.02 }) : null;
    this.layers = Array.from({ length: layers }, (_, i) => ({
      attention: createMultiHeadAttention(params, `layers.${i}.attn`, { queryWidth: w, keyWidth: w, width: w, outputWidth: w }, heads),
      norm1: createLayerNorm(params, `layers.${i}.norm1`, w, layerNormEps),
      mlp: createMlp(params, `layers.${i}.mlp`, w, mlpHidden, 0.02),
      norm2: createLayerNorm(params, `layers.${i}.norm2`, w, layerNormEps),
    }));
  }

  /**
   * @param queries [B, Nq, W]
   * @param context [B, Nk, W] the other modality's tokens
   * @param contextMask optional [B, Nk], 1 = attend (memory slots are always attended)
   * @returns [B, Nq, W]
   */
  forward(queries: tf.Tensor3D, context: tf.Tensor3D, contextMask: tf.Tensor2D | null = null): tf.Tensor3D {
    const [b, , w] = queries.shape;
    if (context.shape[0] !== b || context.shape[2] !== w) throw new Error(`CrossModalFusion: context must be [${b}, Nk, ${w}], got [${context.shape}]`);
    if (contextMask && (contextMask.rank !== 2 || contextMask.shape[0] !== b || contextMask.shape[1] !== context.shape[1])) throw new Error(`CrossModalFusion: contextMask must be [${b}, ${context.shape[1]}], got [${contextMask.shape}]`);
    return tf.tidy('crossModalFusion', () => {
      let keys = context;
      let mask = contextMask;
      if (this.memory) {
        const m = this.memory.shape[1]!;
        keys = tf.concat([context, tf.tile(this.memory, [b, 1, 1])], 1) as tf.Tensor3D;
        if (mask) mask = tf.concat([mask, tf.ones([b, m])], 1) as tf.Tensor2D;
      }
      let x = queries;
      for (const layer of this.layers) {
        x = layerNorm(tf.add(x, multiHeadAttention(x, keys, layer.attention, mask)), layer.norm1) as tf.Tensor3D;
        x = layerNorm(tf.add(x, mlp(x, layer.mlp)), layer.norm2) as tf.Tensor3D;
      }
      return x;
    });
  }
}
