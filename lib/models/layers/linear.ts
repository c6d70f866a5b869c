/**
 * Fully connected layer stored as `weight` [In, Out] (the transpose of
 * PyTorch's `nn.Linear.weight` [Out, In]; converters transpose on import) and
 * `bias` [Out], so the forward pass is one `matMul` with no transpose.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet } from '../params.ts';
import { nativeCpuOps } from './native_ops.ts';

/** Weight and bias variables of one linear layer. */
export interface LinearParams {
  /** [In, Out]. */
  weight: tf.Variable;
  /** [Out], or null without bias. */
  bias: tf.Variable | null;
}

/** Options of `createLinear`. */
export interface CreateLinearOptions {
  /** Std of the truncated-normal weight init (timm/BERT: 0.02). Default: Kaiming-uniform as PyTorch's nn.Linear. */
  std?: number;
  /** Add a bias (zeros). Default true. */
  bias?: boolean;
}

/**
 * Creates `name.weight` [In, Out] and `name.bias` [Out] under `params`.
 * @example createLinear(params, 'mlp.fc1', 192, 768, { std: 0.02 })
 */
export function createLinear(params: ParameterSet, name: string, inFeatures: number, outFeatures: number, options: CreateLinearOptions = {}): LinearParams {
  const weight = params.create(
    `${name}.weight`,
    [inFeatures, outFeatures],
    options.std === undefined ? { kind: 'uniform', bound: 1 / Math.sqrt(inFeatures) } : { kind: 'truncatedNormal', std: options.std },
  );
  const bias = options.bias === false ? null : params.create(`${name}.bias`, [outFeatures], { kind: 'zeros' });
  return { weight, bias };
}

/**
 * y = x·W + b over the last axis.
 * @param x [..., In]
 * @returns [..., Out]
 */
export function linear(x: tf.Tensor, p: LinearParams): tf.Tensor {
  const inFeatures = p.weight.shape[0] as number;
  const outFeatures = p.weight.shape[1] as number;
  if (x.shape[x.rank - 1] !== inFeatures) {
    throw new Error(`linear: expected last dim ${inFeatures}, got input shape [${x.shape}]`);
  }
  return tf.tidy('linear', () => {
    const lead = x.shape.slice(0, -1);
    const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inFeatures]); // [N, In]
    let y: tf.Tensor = tf.matMul(flat as tf.Tensor2D, p.weight as tf.Tensor2D); // [N, Out]
    if (p.bias) y = nativeCpuOps() ? nativeBiasAdd(y, p.bias) : tf.add(y, p.bias);
    return x.rank === 2 ? y : tf.reshape(y, [...lead, outFeatures]); // [..., Out]
  });
}

/** y + b on TensorFlow's BiasAdd, with BiasAddGrad for b's gradient (native CPU only). */
const nativeBiasAdd = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [y, b] = args as [tf.Tensor, tf.Tensor];
  const ops = nativeCpuOps()!;
  return { value: ops.biasAdd(y, b), gradFunc: (dy: tf.Tensor) => [dy, ops.biasAddGrad(dy)] };
}) as (y: tf.Tensor, b: tf.Tensor) => tf.Tensor;
