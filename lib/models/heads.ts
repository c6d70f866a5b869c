/**
 * Med-ST projection heads (§1.1): Linear(W→hidden) → BatchNorm → ReLU →
 * Linear(hidden→d) → BatchNorm(no affine) → L2 normalisation.
 *
 * `GlobalProjectionHead` maps [B, W] → [B, d]. `LocalProjectionHead` applies
 * the same per token, [B, P, W] → [B, P, d], with BatchNorm statistics over
 * batch × tokens (as MGCA's Conv1d + BatchNorm1d); given a token mask [B, P],
 * the statistics count only real tokens (padding and absent views would
 * otherwise bias them), and masked tokens come out as zero vectors.
 *
 * BatchNorm running statistics are updated during train-mode forwards (see
 * layers/batch_norm.ts: safe inside `tf.variableGrads`).
 */
import { l2Normalize } from '../objectives/ops.ts';
import * as tf from '@tensorflow/tfjs-core';
import { resolveProjectionHeadConfig, type ProjectionHeadConfig, type ProjectionHeadConfigInput } from '../configs/heads.ts';
import type { ParameterSet } from './params.ts';
import { BatchNorm } from './layers/batch_norm.ts';
import { relu } from './layers/activations.ts';
import { createLinear, linear, type LinearParams } from './layers/linear.ts';

/** Options of a head forward pass. */
export interface HeadForwardOptions {
  /** Train mode (batch statistics + running update) or eval (running statistics). */
  training: boolean;
}

/** The shared MLP of both heads; parameters `fc1`, `bn1`, `fc2`, `bn2` (PyTorch-like names). */
class ProjectionMlp {
  readonly config: ProjectionHeadConfig;
  readonly fc1: LinearParams;
  readonly bn1: BatchNorm;
  readonly fc2: LinearParams;
  readonly bn2: BatchNorm;

  constructor(params: ParameterSet, config: ProjectionHeadConfigInput) {
    const c = (this.config = resolveProjectionHeadConfig(config));
    const bn = { eps: c.bnEps, momentum: c.bnMomentum };
    this.fc1 = createLinear(params, 'fc1', c.inputWidth, c.hiddenWidth);
    this.bn1 = new BatchNorm(params, 'bn1', c.hiddenWidth, bn);
    this.fc2 = createLinear(params, 'fc2', c.hiddenWidth, c.outputWidth);
    this.bn2 = new BatchNorm(params, 'bn2', c.outputWidth, { ...bn, affine: false });
  }

  /** [N, W] (+ optional row mask [N]) → [N, d] normalised. */
  project(x: tf.Tensor2D, training: boolean, mask?: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy('projectionMlp', () => {
      const h = relu(this.bn1.forward(linear(x, this.fc1), { training, mask }));
      return l2Normalize(this.bn2.forward(linear(h, this.fc2), { training, mask })) as tf.Tensor2D;
    });
  }
}

/** What both heads own: their parameters and the shared MLP. */
abstract class ProjectionHead {
  readonly mlp: ProjectionMlp;
  readonly params: ParameterSet;

  constructor(params: ParameterSet, config: ProjectionHeadConfigInput) {
    this.params = params;
    this.mlp = new ProjectionMlp(params, config);
  }

  get config(): ProjectionHeadConfig {
    return this.mlp.config;
  }
}

/** Global projection head: [B, W] → [B, d], unit norm. */
export class GlobalProjectionHead extends ProjectionHead {
  /**
   * @param x [B, W] global features
   * @returns [B, d] L2-normalised embeddings
   */
  forward(x: tf.Tensor2D, options: HeadForwardOptions): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.config.inputWidth) {
      throw new Error(`GlobalProjectionHead: expected [B, ${this.config.inputWidth}], got [${x.shape}]`);
    }
    return this.mlp.project(x, options.training);
  }
}

/** Local projection head: [B, P, W] → [B, P, d] per token, unit norm. */
export class LocalProjectionHead extends ProjectionHead {
  /**
   * @param x [B, P, W] local features
   * @param mask optional [B, P]: BatchNorm statistics over tokens with mask 1 only; masked tokens are zeroed
   * @returns [B, P, d] L2-normalised token embeddings
   */
  forward(x: tf.Tensor3D, options: HeadForwardOptions & { mask?: tf.Tensor2D }): tf.Tensor3D {
    const w = this.config.inputWidth;
    if (x.rank !== 3 || x.shape[2] !== w) throw new Error(`LocalProjectionHead: expected [B, P, ${w}], got [${x.shape}]`);
    const [b, p] = x.shape;
    if (options.mask && (options.mask.rank !== 2 || options.mask.shape[0] !== b || options.mask.shape[1] !== p)) {
      throw new Error(`LocalProjectionHead: mask must be [${b}, ${p}], got [${options.mask.shape}]`);
    }
    return tf.tidy('localProjectionHead', () => {
      const flatMask = options.mask ? (tf.reshape(tf.cast(options.mask, 'float32'), [b * p]) as tf.Tensor1D) : undefined; // [B·P]
      const flat = tf.reshape(x, [b * p, w]) as tf.Tensor2D; // [B·P, W]
      let out: tf.Tensor = this.mlp.project(flat, options.training, flatMask); // [B·P, d]
      if (flatMask) out = tf.mul(out, tf.reshape(flatMask, [b * p, 1]));
      return tf.reshape(out, [b, p, this.config.outputWidth]) as tf.Tensor3D; // [B, P, d]
    });
  }
}
