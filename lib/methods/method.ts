/**
 * The one slot every pre-training method plugs into. A method composes
 * encoders (features) with objectives (pure losses) and declares what its
 * batches must hold; the trainer weights its terms by the active stage (one
 * place), the loader follows its batch declaration, and every evaluation,
 * notebook and `npm run evaluate` reads it through the embedding members.
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

/**
 * What a method's training batches must contain beyond frontal crops and
 * token ids (the chunk length comes from the stage, the token length from the
 * trainer config).
 */
export interface BatchContents {
  /** Read the lateral view of each study (false: the loader skips lateral images). */
  lateral: boolean;
  /** Give every token its sentence index (`HostBatch.sentenceIds`) for up to this many sentences per report (0: none). */
  sentences: number;
  /** Give the findings and the impression as token rows of their own (`HostBatch.sections`; default false). */
  sections?: boolean;
}

/** Token rows of free texts or reports, as the tokenizer gives them (plus sentence ids when the method declares sentences). */
export type TextInput = Pick<HostBatch, 'inputIds' | 'attentionMask' | 'wordIds' | 'rows' | 'maxTokens'> & Partial<Pick<HostBatch, 'sentenceIds'>>;

/** Image features for evaluation (eval mode, frontal view only). */
export interface ImageEmbedding {
  /** [B, W] the image encoder's global feature before any projection head (what probes read, as in MGCA / Med-ST). */
  features: tf.Tensor2D;
  /** [B, d] the image in the joint image–text space, L2-normalised (zero-shot, retrieval). */
  joint: tf.Tensor2D;
}

/** What the trainer needs: parameters, loss terms, batch declaration, and global image features for learning curves. */
export interface TrainableMethod {
  readonly name: string;
  /** The loss terms this method computes, in reporting order: a schedule may switch on only these. */
  readonly lossNames: readonly LossName[];
  /** Why this method cannot run a stage (e.g. temporal losses on chunks of 1), or null: checked before training starts. */
  checkStage?(stage: StageConfig): string | null;
  /** What its training batches must hold; the trainer's loader follows it. */
  readonly batchContents: BatchContents;
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
   * [B, W] global features of frontal images [B, C, C, 1]: what probes,
   * temporal classification, learning curves and fine-tuning (training = true) read.
   */
  imageFeatures(frontal: tf.Tensor4D, options?: { training?: boolean }): tf.Tensor2D;
  /** JSON-serialisable description stored with checkpoints: `method` (its registry name) and the full config that rebuilds it. */
  describe(): { method: string } & Record<string, unknown>;
  dispose(): void;
}

/** A vision–language pre-training method: trainable, and readable by every evaluation. */
export interface PretrainingMethod extends TrainableMethod {
  /** The image encoder's variables: what fine-tuning unfreezes. */
  readonly imageParams: ParameterSet;
  /** W: width of `imageFeatures` / `ImageEmbedding.features`. */
  readonly featureWidth: number;
  /** d: width of the joint image–text space. */
  readonly embeddingWidth: number;
  /** Global features and joint-space embeddings of frontal images (eval mode). */
  embedImages(frontal: tf.Tensor4D): ImageEmbedding;
  /** [B, d] texts in the joint space, L2-normalised (eval mode). */
  embedTexts(text: TextInput): tf.Tensor2D;
  /** [B, g·g, Wd] the image encoder's dense features on a g×g grid (segmentation), eval mode. */
  denseFeatures(frontal: tf.Tensor4D): { features: tf.Tensor3D; grid: number };
}
