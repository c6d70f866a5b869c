/**
 * BERT-style text encoder (Med-ST §1.2): token ids → last-layer hidden states,
 * `[CLS]` as the global feature and whole-word features (pieces summed, see
 * word_aggregation.ts) as local features.
 *
 * Embeddings (word + position + token type) → LayerNorm (eps 1e-12) → N
 * post-LN layers: `h = LN(x + Attn(x)); out = LN(h + FFN(h))` with exact GELU.
 * Padding keys are masked by the attention mask. No dropout: `training`
 * changes nothing here.
 *
 * Parameter names (converted from Hugging Face `BertModel` by
 * weights/convert_hf_bert.ts): `embeddings.{word,position,token_type}_embeddings.weight`,
 * `embeddings.norm`, `layers.N.attn.qkv` (q|k|v fused, [W, 3W]), `layers.N.attn.proj`,
 * `layers.N.norm1`, `layers.N.mlp.fc1`, `layers.N.mlp.fc2`, `layers.N.norm2`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveBertConfig, type BertConfig, type BertConfigInput } from '../configs/bert.ts';
import type { ParameterSet } from './params.ts';
import { createAttention, keyBiasFromMask, selfAttention, type AttentionParams } from './layers/attention.ts';
import { createLayerNorm, layerNorm, type LayerNormParams } from './layers/layer_norm.ts';
import { createMlp, mlp, type MlpParams } from './layers/mlp.ts';
import type { EncoderOutput } from './types.ts';
import { aggregateWords, buildWordAggregation } from './word_aggregation.ts';

/** A batch of token rows as flat [B, L] arrays (what `WordPieceTokenizer.encodeBatch` returns). */
export interface BertInput {
  /** [B, L] flattened token ids. */
  inputIds: ArrayLike<number>;
  /** [B, L] flattened, 1 = real token, 0 = padding. */
  attentionMask: ArrayLike<number>;
  /** [B, L] flattened word indices (−1 for specials/padding); needed by `forward` for word features. */
  wordIds?: ArrayLike<number>;
  /** [B, L] flattened token types; default all 0. */
  tokenTypeIds?: ArrayLike<number>;
  batchSize: number;
  seqLength: number;
}

interface BertLayer {
  attn: AttentionParams;
  norm1: LayerNormParams;
  mlp: MlpParams;
  norm2: LayerNormParams;
}

/** BERT encoder; owns its parameters inside a `ParameterSet` view. */
export class BertEncoder {
  readonly kind = 'bert';
  readonly config: BertConfig;
  readonly params: ParameterSet;
  readonly wordEmbeddings: tf.Variable;
  readonly positionEmbeddings: tf.Variable;
  readonly tokenTypeEmbeddings: tf.Variable;
  readonly embeddingNorm: LayerNormParams;
  readonly layers: BertLayer[];

  /**
   * @param params where the weights live (e.g. `root.child('text')`)
   * @param config overrides of `resolveBertConfig`
   */
  constructor(params: ParameterSet, config: BertConfigInput = {}) {
    this.config = resolveBertConfig(config);
    this.params = params;
    const c = this.config;
    const std = { kind: 'truncatedNormal', std: c.initStd } as const;
    this.wordEmbeddings = params.create('embeddings.word_embeddings.weight', [c.vocabSize, c.width], std);
    this.positionEmbeddings = params.create('embeddings.position_embeddings.weight', [c.maxPositions, c.width], std);
    this.tokenTypeEmbeddings = params.create('embeddings.token_type_embeddings.weight', [c.typeVocabSize, c.width], std);
    this.embeddingNorm = createLayerNorm(params, 'embeddings.norm', c.width, c.layerNormEps);
    this.layers = Array.from({ length: c.layers }, (_, i) => {
      const p = params.child(`layers.${i}`);
      return {
        attn: createAttention(p, 'attn', c.width, c.heads, c.initStd),
        norm1: createLayerNorm(p, 'norm1', c.width, c.layerNormEps),
        mlp: createMlp(p, 'mlp', c.width, c.intermediateSize, c.initStd),
        norm2: createLayerNorm(p, 'norm2', c.width, c.layerNormEps),
      };
    });
  }

  private check(input: BertInput): void {
    const { batchSize: b, seqLength: l } = input;
    const n = b * l;
    if (!(Number.isInteger(b) && b > 0 && Number.isInteger(l) && l > 0)) throw new Error(`BertEncoder: bad batchSize ${b} / seqLength ${l}`);
    for (const key of ['inputIds', 'attentionMask', 'wordIds', 'tokenTypeIds'] as const) {
      const arr = input[key];
      if (arr !== undefined && arr.length !== n) throw new Error(`BertEncoder: ${key} has ${arr.length} values, expected B·L = ${b}·${l} = ${n}`);
    }
    if (l > this.config.maxPositions) throw new Error(`BertEncoder: seqLength ${l} exceeds maxPositions ${this.config.maxPositions}`);
  }

  /**
   * Last-layer hidden states.
   * @param input ids and attention mask [B, L]
   * @returns [B, L, W]
   */
  hiddenStates(input: BertInput): tf.Tensor3D {
    this.check(input);
    const { batchSize: b, seqLength: l } = input;
    const { width, vocabSize } = this.config;
    for (let i = 0; i < input.inputIds.length; i++) {
      const id = input.inputIds[i] as number;
      if (!(id >= 0 && id < vocabSize)) throw new Error(`BertEncoder: token id ${id} at flat index ${i} is outside the vocab [0, ${vocabSize})`);
    }
    return tf.tidy('bertHiddenStates', () => {
      const ids = tf.tensor1d(Int32Array.from(input.inputIds), 'int32'); // [B·L]
      let x: tf.Tensor = tf.reshape(tf.gather(this.wordEmbeddings, ids), [b, l, width]); // [B, L, W]
      x = tf.add(x, tf.slice(this.positionEmbeddings, [0, 0], [l, width])); // + [L, W]
      if (input.tokenTypeIds) {
        const types = tf.tensor1d(Int32Array.from(input.tokenTypeIds), 'int32');
        x = tf.add(x, tf.reshape(tf.gather(this.tokenTypeEmbeddings, types), [b, l, width])); // [B, L, W]
      } else {
        x = tf.add(x, tf.slice(this.tokenTypeEmbeddings, [0, 0], [1, width])); // type 0
      }
      x = layerNorm(x, this.embeddingNorm);
      const keyBias = keyBiasFromMask(tf.tensor2d(Float32Array.from(input.attentionMask), [b, l])); // [B, 1, 1, L]
      for (const layer of this.layers) {
        const h = layerNorm(tf.add(x, selfAttention(x as tf.Tensor3D, layer.attn, keyBias)), layer.norm1);
        x = layerNorm(tf.add(h, mlp(h, layer.mlp)), layer.norm2);
      }
      return x as tf.Tensor3D;
    });
  }

  /**
   * [B, W] the `[CLS]` hidden state of each row: the global text feature, without word features.
   * @param input ids and attention mask [B, L]
   */
  clsFeature(input: BertInput): tf.Tensor2D {
    return tf.tidy('bertCls', () => clsOf(this.hiddenStates(input), this.config.width));
  }

  /**
   * Encodes a batch of reports.
   * @param input ids, attention mask and word ids [B, L] (without `wordIds`, local = token features 1..L−1 masked by attention)
   * @returns global [B, W] (`[CLS]`); local [B, L−1, W] whole-word features; localMask [B, L−1]
   */
  forward(input: BertInput): EncoderOutput {
    this.check(input);
    const { batchSize: b, seqLength: l } = input;
    if (l < 2) throw new Error(`BertEncoder.forward: need seqLength ≥ 2, got ${l}`);
    const aggregation = input.wordIds ? buildWordAggregation(input.wordIds, input.attentionMask, b, l) : null;
    return tf.tidy('bertForward', () => {
      const hidden = this.hiddenStates(input); // [B, L, W]
      const w = this.config.width;
      const global = clsOf(hidden, w); // [B, W]
      if (aggregation) {
        const { words, mask } = aggregateWords(hidden, aggregation);
        return { global, local: words, localMask: mask };
      }
      const local = tf.slice(hidden, [0, 1, 0], [b, l - 1, w]) as tf.Tensor3D; // [B, L−1, W]
      const localMask = tf.slice(tf.tensor2d(Float32Array.from(input.attentionMask), [b, l]), [0, 1], [b, l - 1]) as tf.Tensor2D; // [B, L−1]
      return { global, local, localMask };
    });
  }

  /** Disposes this encoder's parameters. */
  dispose(): void {
    this.params.dispose();
  }
}

/** [B, W] the first position of [B, L, W] hidden states. */
function clsOf(hidden: tf.Tensor3D, width: number): tf.Tensor2D {
  const b = hidden.shape[0];
  return tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, width]), [b, width]) as tf.Tensor2D;
}
