/**
 * The reference rows every results table carries, so a reader can tell what a
 * number means:
 *  - `majority`: what a predictor without features scores — the training
 *    majority class for accuracies (balanced accuracy 1/K), 0.5 for AUROCs,
 *    k/N for recall@k;
 *  - `raw_pixels`: the same probes on PCA coordinates of the downsampled image
 *    (and on the pair of images for temporal classification);
 *  - `random` and `supervised` rows are models (see reproduce and
 *    methods/supervised.ts) and go through the ordinary evaluation.
 */
import type { ManifestRecord } from '../data/manifest.ts';
import { CHEXPERT_COMPETITION_LABELS } from '../data/labels.ts';
import { evaluateImageFeatures, temporalPairsOf, type ImageEvaluationOptions, type MetricValue } from './image_evaluation.ts';
import { accuracy, balancedAccuracy } from './metrics.ts';
import { rawPixelFeatures, type RawPixelOptions } from './raw_pixels.ts';
import { temporalLabelsFromPairs } from './temporal_classification.ts';

/** Metrics of the feature-free predictor on the same evaluation sets as the suite. */
export function majorityMetrics(records: readonly ManifestRecord[], cohortDir: string): Record<string, MetricValue> {
  const test = records.filter((r) => r.split !== 'train');
  const metrics: Record<string, MetricValue> = {};
  for (const fraction of [1, 10, 100]) metrics[`probe_auroc_${fraction}`] = { value: 0.5, n: test.length };
  const pneumonia = test.map((r) => (r.labels?.Pneumonia === 1 ? 1 : 0));
  if (pneumonia.includes(1) && pneumonia.includes(0)) metrics.zeroshot_pneumonia_auroc = { value: 0.5, n: test.length };
  const single = test.filter((r) => CHEXPERT_COMPETITION_LABELS.filter((l) => r.labels?.[l] === 1).length === 1);
  if (single.length) {
    // The most frequent class among the single-finding images: what "always say X" scores.
    const counts = CHEXPERT_COMPETITION_LABELS.map((l) => single.filter((r) => r.labels?.[l] === 1).length);
    metrics.zeroshot_5class_acc = { value: Math.max(...counts) / single.length, n: single.length };
  }
  // A random ranking puts the right report in the top k with probability k/N.
  metrics.i2t_r5 = { value: Math.min(1, 5 / Math.max(1, test.length)), n: test.length };
  metrics.t2i_r5 = { value: Math.min(1, 5 / Math.max(1, test.length)), n: test.length };

  const pairs = temporalPairsOf(cohortDir, new Set(records.map((r) => r.id)));
  if (pairs.length >= 10) {
    const splitOf = new Map(records.map((r) => [r.id, r.split]));
    const isTest = pairs.map((p) => splitOf.get(p.dicomId) !== 'train');
    const { labels } = temporalLabelsFromPairs(pairs);
    const macro: number[] = [];
    const plain: number[] = [];
    for (const values of Object.values(labels)) {
      const train = values.filter((v, i): v is number => v !== null && !isTest[i]);
      const truth = values.filter((v, i): v is number => v !== null && isTest[i]!);
      if (train.length === 0 || truth.length === 0) continue;
      const majority = mostFrequent(train);
      const predicted = truth.map(() => majority);
      macro.push(balancedAccuracy(truth, predicted));
      plain.push(accuracy(truth, predicted));
    }
    const n = isTest.filter(Boolean).length;
    if (macro.length) {
      metrics.temporal_macro_acc = { value: mean(macro), n };
      metrics.temporal_acc = { value: mean(plain), n };
    }
  }
  return metrics;
}

/** Probes and temporal classification on raw-pixel PCA features. */
export function rawPixelMetrics(storeDir: string, records: readonly ManifestRecord[], cohortDir: string, pixels: RawPixelOptions, options: ImageEvaluationOptions = {}): Record<string, MetricValue> {
  return evaluateImageFeatures(rawPixelFeatures(storeDir, records, pixels), records, cohortDir, options).metrics;
}

function mostFrequent(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  // Ties go to the smaller class index, so the reference is deterministic.
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
