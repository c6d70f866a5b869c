/**
 * The fine-tuning option of the classification evaluation (§6): the pre-trained
 * image encoder is trained together with a linear head on a fraction of the
 * training labels (the 5 CheXpert competition labels, BCE), then scored on the
 * held-out split by macro AUROC. The linear probe keeps the encoder frozen; this
 * unfreezes it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchLoader } from '../data/batches.ts';
import { CHEXPERT_COMPETITION_LABELS } from '../data/labels.ts';
import type { ManifestRecord } from '../data/manifest.ts';
import { imageStoreDir } from '../data/prepare.ts';
import { ParameterSet } from '../models/params.ts';
import { AdamW } from '../train/optim.ts';
import { loadFrozenModel } from './embed.ts';
import { rocAucMultiLabel } from './metrics.ts';
import { sampleFraction } from './sample_fraction.ts';
import type { SuiteData } from './suite.ts';

/** Fine-tuning settings. */
export interface FineTuneConfig {
  /** Fraction of the training labels used (0.01, 0.1, 1). */
  fraction: number;
  epochs: number;
  learningRate: number;
  batchSize: number;
  seed: number;
  maxTokens: number;
}

export const DEFAULT_FINE_TUNE: FineTuneConfig = { fraction: 1, epochs: 3, learningRate: 1e-4, batchSize: 16, seed: 0, maxTokens: 112 };

export interface FineTuneResult {
  /** Macro AUROC over the competition labels on the non-training records. */
  auroc: number;
  /** Mean BCE per epoch. */
  losses: number[];
  trainImages: number;
}

const labelsOf = (r: ManifestRecord) => CHEXPERT_COMPETITION_LABELS.map((l) => (r.labels?.[l] === 1 ? 1 : 0));

/** Fine-tunes a fresh copy of the checkpoint's image encoder with a linear head. */
export async function fineTuneProbe(modelDir: string, data: SuiteData, config: Partial<FineTuneConfig> = {}): Promise<FineTuneResult> {
  const c = { ...DEFAULT_FINE_TUNE, ...config };
  const model = await loadFrozenModel(modelDir, { maxTokens: c.maxTokens });
  const method = model.method;
  const width = method.featureWidth;
  const k = CHEXPERT_COMPETITION_LABELS.length;
  const head = new ParameterSet(c.seed);
  const weight = head.create('weight', [width, k], { kind: 'glorotUniform', fanIn: width, fanOut: k });
  const bias = head.create('bias', [k], { kind: 'zeros' });
  const trainAll = data.records.filter((r) => r.split === 'train');
  const picked = sampleFraction(trainAll.map((r) => labelsOf(r).indexOf(1) + 1), c.fraction, c.seed).map((i) => trainAll[i]!);
  const test = data.records.filter((r) => r.split !== 'train');
  const storeDir = imageStoreDir(data.preparedDir, data.imageSize);
  const loaderFor = (records: ManifestRecord[], train: boolean) =>
    new BatchLoader(storeDir, records, model.tokenizer, { chunkLength: 1, chunksPerBatch: c.batchSize, crop: model.crop, augment: train, shuffle: train, seed: c.seed, maxTokens: 8, useWorker: false, lateral: false });
  const params: Array<[string, tf.Variable]> = [...method.imageParams.named({ trainableOnly: true }), ['head.weight', weight], ['head.bias', bias]];
  const nameOf = new Map(params.map(([n, v]) => [v.name, n]));
  const optimizer = new AdamW({ weightDecay: 0.01 });
  const logits = (frontal: tf.Tensor4D, training: boolean) => tf.add(tf.matMul(method.imageFeatures(frontal, { training }), weight), bias) as tf.Tensor2D;
  const losses: number[] = [];
  try {
    const train = loaderFor(picked, true);
    try {
      for (let epoch = 0; epoch < c.epochs; epoch++) {
        let sum = 0;
        let batches = 0;
        for await (const batch of train.epoch(epoch)) {
          const frontal = tf.tensor4d(batch.frontal, [batch.rows, batch.crop, batch.crop, 1]);
          const targets = tf.tensor2d(batch.records.flatMap(labelsOf), [batch.rows, k]);
          const { value, grads } = tf.variableGrads(() => tf.losses.sigmoidCrossEntropy(targets, logits(frontal, true)) as tf.Scalar, params.map(([, v]) => v));
          const named: Record<string, tf.Tensor> = {};
          for (const [tfName, g] of Object.entries(grads)) named[nameOf.get(tfName)!] = g;
          optimizer.apply(params, named, c.learningRate, { clipNorm: 1 });
          sum += value.dataSync()[0]!;
          batches++;
          tf.dispose([frontal, targets, value, ...Object.values(grads)]);
        }
        losses.push(sum / Math.max(1, batches));
      }
    } finally {
      await train.close();
    }
    const scores = new Float32Array(test.length * k);
    const row = new Map(test.map((r, i) => [r.id, i]));
    const evaluation = loaderFor(test, false);
    try {
      for await (const batch of evaluation.epoch(0)) {
        const probabilities = tf.tidy(() => tf.sigmoid(logits(tf.tensor4d(batch.frontal, [batch.rows, batch.crop, batch.crop, 1]), false)).dataSync() as Float32Array);
        batch.records.forEach((r, b) => scores.set(probabilities.subarray(b * k, (b + 1) * k), row.get(r.id)! * k));
      }
    } finally {
      await evaluation.close();
    }
    // A label with one class in a small held-out split has no AUROC: the macro is over the others.
    const auroc = rocAucMultiLabel(test.flatMap(labelsOf), scores, k, { onUndefined: 'skip' }).macro;
    return { auroc, losses, trainImages: picked.length };
  } finally {
    optimizer.dispose();
    head.dispose();
    method.dispose();
  }
}
