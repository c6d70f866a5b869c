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
  const single = (rs: readonly ManifestRecord[]) => rs.filter((r) => CHEXPERT_COMPETITION_LABELS.filter((l) => r.labels?.[l] === 1).length === 1);
  const testSingle = single(test);
  const classOf = (r: ManifestRecord) => CHEXPERT_COMPETITION_LABELS.findIndex((l) => r.labels?.[l] === 1);
  // As the suite: only with at least two classes among the test images.
  if (new Set(testSingle.map(classOf)).size >= 2) {
    const trainSingle = single(records.filter((r) => r.split === 'train'));
    // "Always say the training split's most frequent class."
    const majority = trainSingle.length ? mostFrequent(trainSingle.map(classOf)) : mostFrequent(testSingle.map(classOf));
    metrics.zeroshot_5class_acc = { value: testSingle.filter((r) => classOf(r) === majority).length / testSingle.length, n: testSingle.length };
  }
  // A random ranking, with identical report texts counted as correct (as the suite's retrieval does).
  const chance = randomRecallAt(test.map((r) => r.report.text), 5);
  metrics.i2t_r5 = { value: chance, n: test.length };
  metrics.t2i_r5 = { value: chance, n: test.length };

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

/**
 * Expected recall@k of a uniformly random ranking when every item with the same
 * text is relevant: 1 − C(N−r, k)/C(N, k) for a query with r relevant items, averaged.
 */
export function randomRecallAt(texts: readonly string[], k: number): number {
  const n = texts.length;
  if (n === 0) return Number.NaN;
  const counts = new Map<string, number>();
  for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
  let sum = 0;
  for (const t of texts) {
    const r = counts.get(t)!;
    // C(N−r, k)/C(N, k) = Π_{i<k} (N−r−i)/(N−i)
    let miss = 1;
    for (let i = 0; i < Math.min(k, n); i++) miss *= Math.max(0, n - r - i) / (n - i);
    sum += 1 - miss;
  }
  return sum / n;
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
