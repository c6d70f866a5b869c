/**
 * BERT's masked-language-model head: a dense layer with GELU and LayerNorm,
 * then logits over the vocabulary for every token.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gelu } from './layers/activations.ts';
import { createLayerNorm, layerNorm, type LayerNormParams } from './layers/layer_norm.ts';
import { createLinear, linear, type LinearParams } from './layers/linear.ts';
import type { ParameterSet } from './params.ts';

export class MlmHead {
  readonly transform: LinearParams;
  readonly norm: LayerNormParams;
  readonly decoder: LinearParams;

  /** @param width the tokens' width; @param vocabSize V */
  constructor(params: ParameterSet, width: number, vocabSize: number, layerNormEps = 1e-12) {
    this.transform = createLinear(params, 'transform.dense', width, width, { std: 0.02 });
    this.norm = createLayerNorm(params, 'transform.norm', width, layerNormEps);
    this.decoder = createLinear(params, 'decoder', width, vocabSize, { std: 0.02 });
  }

  /** @param tokens [B, L, W] @returns [B, L, V] logits */
  forward(tokens: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy('mlmHead', () => linear(layerNorm(gelu(linear(tokens, this.transform)), this.norm), this.decoder) as tf.Tensor3D);
  }
}
