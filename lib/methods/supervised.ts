/**
 * The supervised ceiling: the pre-training image encoder (same ViT config,
 * frontal view) with a linear head, trained end to end on the training split's
 * ground-truth labels (the 14 CheXpert observations, positive = 1, anything
 * else = 0) by binary cross-entropy. Its frozen features show what the
 * architecture can reach on the cohort with the same budget; a pre-trained
 * model should land between the raw pixels and this row.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/rng.ts';
import { resolveViTConfig, type ViTConfigInput } from '../configs/vit.ts';
import { CHEXPERT_LABELS } from '../data/labels.ts';
import type { ManifestRecord } from '../data/manifest.ts';
import { createLinear, linear, type LinearParams } from '../models/layers/linear.ts';
import { ParameterSet } from '../models/params.ts';
import { VisionTransformer } from '../models/vit.ts';
import type { BatchContents, LossTerms, StepInput, TrainableMethod } from './method.ts';

/** Everything that defines the supervised ceiling model. */
export interface SupervisedConfig {
  vision: ViTConfigInput;
  seed: number;
}

/** [B, 14] targets of a batch's records. */
export function supervisedTargets(records: readonly ManifestRecord[]): Float32Array {
  const out = new Float32Array(records.length * CHEXPERT_LABELS.length);
  records.forEach((r, i) => CHEXPERT_LABELS.forEach((label, j) => (out[i * CHEXPERT_LABELS.length + j] = r.labels?.[label] === 1 ? 1 : 0)));
  return out;
}

export class SupervisedClassifier implements TrainableMethod {
  readonly name = 'supervised';
  readonly lossNames = ['supervised'] as const;
  readonly batchContents: BatchContents = { lateral: false, sentences: 0 };
  readonly config: SupervisedConfig;
  readonly params: ParameterSet;
  readonly image: VisionTransformer;
  readonly head: LinearParams;

  get inputSize(): number {
    return this.image.config.imageSize;
  }

  constructor(config: SupervisedConfig) {
    this.config = { ...config, vision: { ...resolveViTConfig(config.vision), viewExperts: false } };
    this.params = new ParameterSet(config.seed);
    this.image = new VisionTransformer(this.params.child('image'), this.config.vision);
    this.head = createLinear(this.params.child('classifier'), 'fc', this.image.config.width, CHEXPERT_LABELS.length);
  }

  /** [B, W] global features of frontal images (what evaluation probes). */
  imageFeatures(frontal: tf.Tensor4D, options: { training?: boolean; random?: Rng } = {}): tf.Tensor2D {
    return tf.tidy(() => this.image.forward({ frontal, training: options.training ?? false, ...(options.random ? { random: options.random } : {}) }).global);
  }

  lossTerms({ batch, tensors, random }: StepInput): LossTerms {
    return tf.tidy(() => {
      const logits = linear(this.imageFeatures(tensors.frontal, { training: true, random }), this.head) as tf.Tensor2D; // [B, 14]
      const targets = tf.tensor2d(supervisedTargets(batch.records), [batch.rows, CHEXPERT_LABELS.length]);
      // Numerically stable BCE with logits: max(z, 0) − z·y + log(1 + e^(−|z|)).
      const loss = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
      return { supervised: tf.mean(loss) as tf.Scalar };
    });
  }

  describe(): { method: string } & Record<string, unknown> {
    return { method: this.name, ...this.config, vision: this.image.config };
  }

  dispose(): void {
    this.params.dispose();
  }
}
