/**
 * The evaluations that need image features only — linear probes at 1/10/100 %
 * of the training labels and temporal image classification — as one function
 * over a feature matrix. Pre-trained models, random weights, the supervised
 * ceiling and the raw pixels all go through it, so their rows differ only in
 * the features. Every number carries the size of the set it was measured on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CHEXPERT_COMPETITION_LABELS } from '../data/labels.ts';
import type { ManifestRecord } from '../data/manifest.ts';
import { readMsCxrTImagePairs, type MsCxrTImagePair } from '../data/ms_cxr_t.ts';
import { fitLinearProbe, probeScores } from './linear_probe.ts';
import { selectRows, type Matrix } from './matrix.ts';
import { rocAucMultiLabel } from './metrics.ts';
import { sampleFraction } from './sample_fraction.ts';
import { crossValidateTemporal, fixedSplitTemporal, pairFeatures, temporalLabelsFromPairs, type TemporalCvResult, type TemporalPairsInput, type TemporalSplitResult } from './temporal_classification.ts';

/** A metric and the number of evaluation items behind it (images, pairs, sentences). */
export interface MetricValue {
  value: number;
  n: number;
}

/** The MS-CXR-T CSV of a cohort, relative to its root. */
export const TEMPORAL_PAIRS_FILE = 'MS_CXR_T_temporal_image_classification_v1.0.0.csv';

/** Image-only results: named metrics plus the full temporal results for plots. */
export interface ImageEvaluation {
  metrics: Record<string, MetricValue>;
  temporalCv: TemporalCvResult | null;
  temporalSplit: TemporalSplitResult | null;
}

/** How much work: `quick` shrinks folds and seeds (CI), `curve` skips the CV (learning curves). */
export interface ImageEvaluationOptions {
  quick?: boolean;
  /** Skip the cross-validated temporal accuracy and the 1/10 % probes (cheap enough to run every epoch). */
  curve?: boolean;
  /** Shuffles of the patient-grouped temporal cross-validation, each 5 folds (default 3; quick: 1). */
  temporalCvRepeats?: number;
}

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN);

/** The competition labels of a record as 0/1 (uncertain and missing count as 0). */
export function competitionTargets(record: ManifestRecord): number[] {
  return CHEXPERT_COMPETITION_LABELS.map((l) => (record.labels?.[l] === 1 ? 1 : 0));
}

/** MS-CXR-T pairs whose two images are among `ids`, or [] when the cohort has no such file. */
export function temporalPairsOf(cohortDir: string, ids: ReadonlySet<string>): MsCxrTImagePair[] {
  const file = path.join(cohortDir, TEMPORAL_PAIRS_FILE);
  if (!fs.existsSync(file)) return [];
  return readMsCxrTImagePairs(file).rows.filter((p) => ids.has(p.dicomId) && ids.has(p.previousDicomId));
}

/**
 * The temporal task's inputs from `[N, W]` features of `records` (row i ↔ records[i]):
 * `[current ‖ previous]` rows of the MS-CXR-T pairs whose two images are both in
 * `records`, which pairs are held out (current image outside `train`), and the findings
 * with labelled pairs on both sides (small cohorts can leave one without).
 */
export function temporalSplitInput(image: Matrix, records: readonly ManifestRecord[], cohortDir: string): { input: TemporalPairsInput; isTest: boolean[]; findings: string[] } {
  const rowOf = new Map(records.map((r, i) => [r.id, i]));
  const splitOf = new Map(records.map((r) => [r.id, r.split]));
  const pairs = temporalPairsOf(cohortDir, new Set(rowOf.keys()));
  const features = pairFeatures(selectRows(image, pairs.map((p) => rowOf.get(p.dicomId)!)), selectRows(image, pairs.map((p) => rowOf.get(p.previousDicomId)!)));
  const input = { features, ...temporalLabelsFromPairs(pairs) };
  const isTest = pairs.map((p) => splitOf.get(p.dicomId) !== 'train');
  const findings = Object.entries(input.labels)
    .filter(([, labels]) => labels.some((v, i) => v !== null && isTest[i]) && labels.some((v, i) => v !== null && !isTest[i]))
    .map(([finding]) => finding);
  return { input, isTest, findings };
}

/**
 * Probes and temporal classification on `image` ([N, D], row i ↔ records[i]).
 * Probes: sigmoid logistic regression on the five competition labels, trained on
 * the `train` split, macro AUROC on the rest. Temporal: [current ‖ previous]
 * features; `temporal_macro_acc` (balanced accuracy, mean over findings) and
 * `temporal_acc` on the fixed split (test pairs = pairs whose current image is
 * outside `train`), `temporal_cv_acc` from k-fold CV by patient.
 */
export function evaluateImageFeatures(image: Matrix, records: readonly ManifestRecord[], cohortDir: string, options: ImageEvaluationOptions = {}): ImageEvaluation {
  if (image.rows !== records.length) throw new Error(`evaluateImageFeatures: ${image.rows} feature rows for ${records.length} records`);
  const metrics: Record<string, MetricValue> = {};
  const rowOf = new Map(records.map((r, i) => [r.id, i]));
  const train = records.filter((r) => r.split === 'train');
  const test = records.filter((r) => r.split !== 'train');
  const k = CHEXPERT_COMPETITION_LABELS.length;
  const testY = test.flatMap(competitionTargets);
  const testX = selectRows(image, test.map((r) => rowOf.get(r.id)!));
  for (const fraction of options.curve ? [1] : [0.01, 0.1, 1]) {
    // Stratify the draw on the first positive label (0 = none).
    const strata = train.map((r) => competitionTargets(r).indexOf(1) + 1);
    const picked = sampleFraction(strata, fraction, 0);
    const x = selectRows(image, picked.map((i) => rowOf.get(train[i]!.id)!));
    const y = Float32Array.from(picked.flatMap((i) => competitionTargets(train[i]!)));
    const probe = fitLinearProbe(x, { data: y, rows: picked.length, cols: k }, { loss: 'sigmoid', ...(options.quick ? { maxIterations: 50 } : {}) });
    const scores = probeScores(probe, testX);
    // A label with one class in a small test split has no AUROC: the macro is over the others (as the temporal task does).
    metrics[`probe_auroc_${Math.round(fraction * 100)}`] = { value: rocAucMultiLabel(testY, scores.data, k, { onUndefined: 'skip' }).macro, n: test.length };
  }

  let temporalCv: TemporalCvResult | null = null;
  let temporalSplit: TemporalSplitResult | null = null;
  const { input, isTest, findings } = temporalSplitInput(image, records, cohortDir);
  if (isTest.length >= 10) {
    temporalSplit = findings.length ? fixedSplitTemporal(input, isTest, { findings }) : null;
    const testPairs = isTest.filter(Boolean).length;
    if (temporalSplit) {
      metrics.temporal_macro_acc = { value: temporalSplit.meanMacroAccuracy, n: testPairs };
      metrics.temporal_acc = { value: mean(temporalSplit.findings.map((f) => f.accuracy)), n: testPairs };
    }
    if (!options.curve) {
      const folds = options.quick ? 3 : 5;
      // Patient-grouped folds need at least as many patients with a label as folds (small cohorts may not have them for every finding).
      const cvFindings = Object.entries(input.labels)
        .filter(([, labels]) => new Set(labels.flatMap((v, i) => (v !== null ? [input.subjectIds[i]] : []))).size >= folds)
        .map(([finding]) => finding);
      if (cvFindings.length) {
        const repeats = options.quick ? 1 : (options.temporalCvRepeats ?? 3);
        if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`evaluateImageFeatures: temporalCvRepeats must be a positive integer, got ${repeats}`);
        temporalCv = crossValidateTemporal(input, { folds, seeds: Array.from({ length: repeats }, (_, i) => i), findings: cvFindings });
        metrics.temporal_cv_acc = { value: mean(temporalCv.findings.filter((f) => f.pairs > 0).map((f) => f.accuracy.mean)), n: isTest.length };
      }
    }
  }
  return { metrics, temporalCv, temporalSplit };
}
