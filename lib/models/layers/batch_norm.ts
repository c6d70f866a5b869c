/**
 * BatchNorm over the last (channel) axis, for [N, C] (BatchNorm1d) and NHWC
 * [B, H, W, C] (BatchNorm2d) alike, with PyTorch semantics:
 *   - train: normalise by the batch mean and biased variance over every axis
 *     but the last; update the running statistics as
 *     `running ← (1 − momentum)·running + momentum·batch` with the UNBIASED
 *     variance (n / (n − 1)), momentum 0.1;
 *   - eval: normalise by the running statistics.
 *
 * Running statistics are non-trainable variables (`running_mean`,
 * `running_var`, plus `num_batches_tracked` for PyTorch name parity). They are
 * updated with `Variable.assign` inside the forward pass, in its own
 * `tf.tidy`. `assign` is not a recorded kernel, and the variables are
 * non-trainable, so this is invisible to gradient tapes: calling a train-mode
 * forward inside `tf.variableGrads` / `optimizer.minimize` is safe, and the
 * statistics advance once per forward call (as in PyTorch).
 *
 * Masked statistics (rank-2 input only): with `mask` [N], the batch statistics
 * are taken over the rows where mask = 1 only (e.g. real tokens of a padded
 * token batch); every row is still normalised by them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet } from '../params.ts';
import { scalar } from './constants.ts';
import { nativeCpuOps, type FusedNormReserve, type NativeCpuOps } from './native_ops.ts';

/** Settings of one BatchNorm layer. */
export interface BatchNormOptions {
  /** Learnable scale/shift (`weight`/`bias`). Default true. */
  affine?: boolean;
  /** Added to the variance. Default 1e-5 (PyTorch). */
  eps?: number;
  /** Running-statistics momentum (PyTorch convention). Default 0.1. */
  momentum?: number;
}

/** Forward options. */
export interface BatchNormForwardOptions {
  /** Batch statistics + running update (true) or running statistics (false). */
  training: boolean;
  /** Rank-2 input only: [N] 1 for rows that count in the batch statistics. */
  mask?: tf.Tensor1D;
}

/** One BatchNorm layer over the last axis. */
export class BatchNorm {
  readonly weight: tf.Variable | null;
  readonly bias: tf.Variable | null;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly numBatchesTracked: tf.Variable;
  readonly eps: number;
  readonly momentum: number;
  readonly channels: number;

  /** Creates `name.{weight,bias,running_mean,running_var,num_batches_tracked}`. */
  constructor(params: ParameterSet, name: string, channels: number, options: BatchNormOptions = {}) {
    this.channels = channels;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    const affine = options.affine ?? true;
    this.weight = affine ? params.create(`${name}.weight`, [channels], { kind: 'ones' }) : null;
    this.bias = affine ? params.create(`${name}.bias`, [channels], { kind: 'zeros' }) : null;
    this.runningMean = params.create(`${name}.running_mean`, [channels], { kind: 'zeros' }, { trainable: false });
    this.runningVar = params.create(`${name}.running_var`, [channels], { kind: 'ones' }, { trainable: false });
    this.numBatchesTracked = params.create(`${name}.num_batches_tracked`, [], { kind: 'zeros' }, { trainable: false });
  }

  /**
   * Normalises x per channel.
   * @param x [N, C] or [B, H, W, C] (any rank ≥ 2, channels last)
   * @returns same shape as x
   */
  forward(x: tf.Tensor, options: BatchNormForwardOptions): tf.Tensor {
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.channels) {
      throw new Error(`BatchNorm: expected [..., ${this.channels}], got [${x.shape}]`);
    }
    if (options.mask && (x.rank !== 2 || options.mask.rank !== 1 || options.mask.shape[0] !== x.shape[0])) {
      throw new Error(`BatchNorm: a mask needs x [N, C] and mask [N], got x [${x.shape}], mask [${options.mask.shape}]`);
    }
    return tf.tidy('batchNorm', () => {
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      let count: number | tf.Tensor;
      if (!options.training) {
        mean = this.runningMean;
        variance = this.runningVar;
      } else if (options.mask) {
        const m = tf.reshape(tf.cast(options.mask, 'float32'), [-1, 1]); // [N, 1]
        count = tf.sum(m); // [] (a tensor: no sync read)
        mean = tf.div(tf.sum(tf.mul(x, m), 0), count); // [C]
        variance = tf.div(tf.sum(tf.mul(tf.square(tf.sub(x, mean)), m), 0), count); // [C]
        this.updateRunning(mean, variance, count);
      } else {
        count = x.size / this.channels;
        if (count < 2) throw new Error(`BatchNorm: training needs more than 1 value per channel, got ${count}`);
        const ops = nativeCpuOps();
        if (ops) return this.fusedTrainForward(x, ops);
        const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
        ({ mean, variance } = tf.moments(x, axes));
        this.updateRunning(mean, variance, count);
        return normaliseWithBatchStats(x, mean, variance, this.eps, this.weight, this.bias);
      }
      const scale = this.weight ? tf.mul(tf.rsqrt(tf.add(variance, scalar(this.eps))), this.weight) : tf.rsqrt(tf.add(variance, scalar(this.eps)));
      const shifted = tf.mul(tf.sub(x, mean), scale);
      return this.bias ? tf.add(shifted, this.bias) : shifted;
    });
  }

  private updateRunning(mean: tf.Tensor, variance: tf.Tensor, count: number | tf.Tensor): void {
    // n / (n − 1); with a mask, n is a tensor (fewer than 2 real rows gives inf/NaN, as PyTorch warns).
    tf.tidy(() => this.updateRunningUnbiased(mean, typeof count === 'number' ? tf.mul(variance, count / (count - 1)) : tf.mul(variance, tf.div(count, tf.sub(count, 1)))));
  }

  private updateRunningUnbiased(mean: tf.Tensor, unbiased: tf.Tensor): void {
    tf.tidy(() => {
      const m = this.momentum;
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
      this.numBatchesTracked.assign(tf.add(this.numBatchesTracked, 1));
    });
  }

  /**
   * Train mode on the native fused batch norm (x as NHWC [n, 1, 1, C]): one op
   * forward (statistics, normalisation, scale and shift) and one backward, the
   * running statistics from its batch mean and unbiased variance.
   */
  private fusedTrainForward(x: tf.Tensor, ops: NativeCpuOps): tf.Tensor {
    const shape = x.shape;
    const c = this.channels;
    const rows = x.size / c;
    const { weight, bias } = this;
    const normalise = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const [input, gamma, beta] = args.slice(0, -1) as [tf.Tensor, tf.Tensor | undefined, tf.Tensor | undefined];
      const x4 = tf.reshape(input, [rows, 1, 1, c]) as tf.Tensor4D;
      const scale = (gamma ?? tf.ones([c])) as tf.Tensor1D;
      const { y, mean, unbiasedVariance, reserve } = ops.fusedBatchNorm(x4, scale, (beta ?? tf.zeros([c])) as tf.Tensor1D, this.eps);
      this.updateRunningUnbiased(mean, unbiasedVariance);
      save([x4, scale, ...reserve]);
      return {
        value: tf.reshape(y, shape),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sScale, ...kept] = saved as [tf.Tensor4D, tf.Tensor1D, ...FusedNormReserve];
          const { dx, dScale, dOffset } = ops.fusedBatchNormGrad(tf.reshape(dy, [rows, 1, 1, c]) as tf.Tensor4D, sx, sScale, kept, this.eps);
          return [tf.reshape(dx, shape), ...(gamma ? [dScale] : []), ...(beta ? [dOffset] : [])];
        },
      };
    });
    return normalise(...([x, weight, bias].filter((t): t is tf.Tensor => t !== null) as [tf.Tensor]));
  }
}

/**
 * Train-mode BatchNorm with the batch's own statistics, its gradient written
 * out (the textbook closed form) instead of differentiated through the
 * moments: a few passes over the activations instead of a dozen, which is
 * most of a ResNet step's backward. `mean` and `variance` are the forward's;
 * the gradient reaches x (through them too), weight and bias.
 */
function normaliseWithBatchStats(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, eps: number, weight: tf.Variable | null, bias: tf.Variable | null): tf.Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const normalise = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const inputs = args.slice(0, -1) as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [input, gamma, beta] = inputs as [tf.Tensor, tf.Tensor | undefined, tf.Tensor | undefined];
    const inverseStd = tf.rsqrt(tf.add(variance, scalar(eps))); // [C]
    const normalised = tf.mul(tf.sub(input, mean), inverseStd); // x̂
    save([normalised, inverseStd]);
    let value = gamma ? tf.mul(normalised, gamma) : normalised;
    if (beta) value = tf.add(value, beta);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xHat, inverseStd] = saved as [tf.Tensor, tf.Tensor];
        const dxHat = gamma ? tf.mul(dy, gamma) : dy;
        // dx = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), the mean and variance's own paths included.
        const centred = tf.sub(dxHat, tf.mean(dxHat, axes));
        const dx = tf.mul(tf.sub(centred, tf.mul(xHat, tf.mean(tf.mul(dxHat, xHat), axes))), inverseStd);
        const grads: tf.Tensor[] = [dx];
        if (gamma) grads.push(tf.sum(tf.mul(dy, xHat), axes));
        if (beta) grads.push(tf.sum(dy, axes));
        return grads;
      },
    };
  });
  return normalise(...([x, weight, bias].filter((t): t is tf.Tensor => t !== null) as [tf.Tensor]));
}
