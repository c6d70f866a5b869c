/**
 * What the trainer needs from a pre-training method: its parameters and, for a
 * batch, the unweighted loss terms. A method composes encoders (features) with
 * objectives (pure losses); the weighted total is computed in one place, the
 * trainer, from the active stage's weights.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { HostBatch, TensorBatch } from '../data/batches.ts';
import type { ParameterSet } from '../models/params.ts';
import type { LossName, StageConfig } from '../train/schedule.ts';
import type { Rng } from '../util/rng.ts';

/** Inputs of one training step. */
export interface StepInput {
  batch: HostBatch;
  tensors: TensorBatch;
  stage: StageConfig;
  /** The step's index in the run (0-based). */
  step: number;
  /** A random source seeded by the run's seed and the step (masking, Gumbel noise, dropout): the same step draws the same numbers after a resume. */
  random: Rng;
}

/** Unweighted loss terms of a step; only the stage's active terms need be present. */
export type LossTerms = Partial<Record<LossName, tf.Scalar>>;

export interface PretrainingMethod {
  readonly name: string;
  /** The loss terms this method computes, in reporting order: a schedule may switch on only these. */
  readonly lossNames: readonly LossName[];
  /** Why this method cannot run a stage (e.g. temporal losses on chunks of 1), or null: checked before training starts. */
  checkStage?(stage: StageConfig): string | null;
  /** C: the side of the square crops the image encoder takes (training and evaluation crop to it). */
  readonly inputSize: number;
  /** Every variable of the method (encoders, heads, learnable loss layers, BatchNorm statistics). */
  readonly params: ParameterSet;
  /**
   * The loss terms of a training batch. Called inside a gradient tape; must not
   * dispose its inputs. BatchNorm statistics may be updated here.
   */
  lossTerms(input: StepInput): LossTerms;
  /**
   * [B, W] global features of frontal images [B, C, C, 1] (eval mode): what
   * probes, temporal classification and learning curves read.
   */
  imageFeatures(frontal: tf.Tensor4D): tf.Tensor2D;
  /** JSON-serialisable description stored with checkpoints (architecture, presets). */
  describe(): unknown;
  dispose(): void;
}
