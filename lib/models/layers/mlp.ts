/** Transformer feed-forward: Linear(D→H) → exact GELU → Linear(H→D) (timm `Mlp`, BERT intermediate/output). */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet } from '../params.ts';
import { gelu } from './activations.ts';
import { createLinear, linear, type LinearParams } from './linear.ts';

/** The two linear layers of a feed-forward block. */
export interface MlpParams {
  /** [D, H]. */
  fc1: LinearParams;
  /** [H, D]. */
  fc2: LinearParams;
}

/** Creates `name.fc1` [D, H] and `name.fc2` [H, D]. */
export function createMlp(params: ParameterSet, name: string, dim: number, hidden: number, std: number): MlpParams {
  return { fc1: createLinear(params, `${name}.fc1`, dim, hidden, { std }), fc2: createLinear(params, `${name}.fc2`, hidden, dim, { std }) };
}

/**
 * fc2(gelu(fc1(x))).
 * @param x [..., D]
 * @returns [..., D]
 */
export function mlp(x: tf.Tensor, p: MlpParams): tf.Tensor {
  return tf.tidy('mlp', () => linear(gelu(linear(x, p.fc1)), p.fc2));
}
