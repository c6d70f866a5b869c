/**
 * MS-CXR-T temporal image classification (§1.8): a linear probe on the frozen
 * global embeddings of the current and the previous image, concatenated
 * ([N, 2d]), predicts {improving, stable, worsening} for each finding; pairs
 * without a label for a finding are left out of that finding.
 *
 * Two protocols:
 *  - `crossValidateTemporal` (the Med-ST paper): k-fold CV (5 and 10) repeated
 *    for several shuffling seeds; accuracy per seed is the pooled out-of-fold
 *    accuracy (each pair tested exactly once per seed), reported as mean ± std
 *    over seeds. Folds are split by PATIENT (`subject_id`): pairs of one
 *    patient share images and anatomy, so letting them straddle train and test
 *    would reward recognising the patient rather than the change.
 *  - `fixedSplitTemporal` (BioViL-T): one train/test assignment; macro
 *    accuracy (balanced accuracy, see metrics.ts) per finding.
 * Features are standardised with each training fold's statistics (linear_probe.ts).
 */
import { PROGRESSION_CLASSES, MS_CXR_T_FINDINGS, type MsCxrTImagePair } from '../data/ms_cxr_t.ts';
import { foldRows, groupKFold } from './folds.ts';
import { fitLinearProbe, probeScores, resolveLinearProbeConfig, type LinearProbeConfig } from './linear_probe.ts';
import { matrix, rowOf, selectRows, toMatrix, type Matrix, type MatrixLike } from './matrix.ts';
import { accuracy, argmaxRows, balancedAccuracy, confusionMatrix } from './metrics.ts';
import { meanStd, type MeanStd } from './summary.ts';

/** The evaluation's input: one row per image pair. */
export interface TemporalPairsInput {
  /** `[N, 2d]` current ‖ previous global image embeddings. */
  features: MatrixLike;
  /** Per finding, `[N]` class index (0 improving, 1 stable, 2 worsening) or null when not labelled. */
  labels: Readonly<Record<string, ReadonlyArray<number | null>>>;
  /** `[N]` patient of each pair (MS-CXR-T `subject_id`). */
  subjectIds: ArrayLike<number>;
}

/** One pair's out-of-sample prediction, for error analysis. */
export interface TemporalPrediction {
  /** Row of the pair in the input. */
  pair: number;
  truth: number;
  predicted: number;
  /** Class probabilities `[K]` (decision values for the SVM probe). */
  probabilities: number[];
  /** Seed and fold that tested it (fold −1 on a fixed split). */
  seed: number;
  fold: number;
}

/** One fold of one seed. */
export interface TemporalFoldResult {
  fold: number;
  train: number;
  test: number;
  accuracy: number;
  macroAccuracy: number;
}

/** One shuffling seed: pooled out-of-fold scores plus its folds. */
export interface TemporalSeedResult {
  seed: number;
  accuracy: number;
  macroAccuracy: number;
  folds: TemporalFoldResult[];
}

/** Cross-validated result for one finding. */
export interface TemporalFindingCvResult {
  finding: string;
  /** Labelled pairs of this finding. */
  pairs: number;
  /** Labelled pairs per class `[K]`. */
  classCounts: number[];
  accuracy: MeanStd;
  macroAccuracy: MeanStd;
  seeds: TemporalSeedResult[];
  predictions: TemporalPrediction[];
}

/** Settings shared by both protocols. */
export interface TemporalEvalConfig {
  /** Folds k (the paper: 5 and 10). */
  folds: number;
  /** Shuffling seeds (the paper: 3). */
  seeds: number[];
  /** Linear probe settings (default: L2 logistic regression, see linear_probe.ts). */
  probe: Partial<LinearProbeConfig>;
  /** Findings to evaluate (default: every key of `labels`, in MS-CXR-T order first). */
  findings?: string[];
  /** Classes K (default 3: improving, stable, worsening). */
  numClasses: number;
}

export const DEFAULT_TEMPORAL_EVAL: TemporalEvalConfig = { folds: 5, seeds: [0, 1, 2], probe: {}, numClasses: PROGRESSION_CLASSES.length };

/** The whole cross-validation result. */
export interface TemporalCvResult {
  protocol: 'cross-validation';
  folds: number;
  seeds: number[];
  probe: LinearProbeConfig;
  findings: TemporalFindingCvResult[];
}

/** Fixed-split result for one finding. */
export interface TemporalFindingSplitResult {
  finding: string;
  train: number;
  test: number;
  accuracy: number;
  macroAccuracy: number;
  /** `[K][K]` rows true, columns predicted. */
  confusion: number[][];
  predictions: TemporalPrediction[];
}

/** The fixed-split (BioViL-T) result. */
export interface TemporalSplitResult {
  protocol: 'fixed-split';
  probe: LinearProbeConfig;
  findings: TemporalFindingSplitResult[];
  /** Mean of the per-finding macro accuracies. */
  meanMacroAccuracy: number;
  /** Patients with pairs on both sides of the split (0 for a clean split). */
  sharedSubjects: number;
}

/** `[N, 2d]` rows `current_i ‖ previous_i` from two `[N, d]` embedding matrices. */
export function pairFeatures(current: MatrixLike, previous: MatrixLike): Matrix {
  const a = toMatrix(current, 'pairFeatures(current)');
  const b = toMatrix(previous, 'pairFeatures(previous)');
  if (a.rows !== b.rows || a.cols !== b.cols) throw new Error(`pairFeatures: current is [${a.rows}, ${a.cols}], previous [${b.rows}, ${b.cols}]`);
  const out = new Float32Array(a.rows * 2 * a.cols);
  for (let r = 0; r < a.rows; r++) {
    out.set(rowOf(a, r), r * 2 * a.cols);
    out.set(rowOf(b, r), (r * 2 + 1) * a.cols);
  }
  return matrix(out, a.rows, 2 * a.cols);
}

/** Labels and patients of MS-CXR-T pairs in the form `TemporalPairsInput` takes (features from the caller). */
export function temporalLabelsFromPairs(pairs: readonly MsCxrTImagePair[]): Pick<TemporalPairsInput, 'labels' | 'subjectIds'> {
  const labels: Record<string, Array<number | null>> = {};
  for (const finding of MS_CXR_T_FINDINGS) {
    labels[finding] = pairs.map((pair) => {
      const value = pair.progression[finding];
      return value === null ? null : PROGRESSION_CLASSES.indexOf(value);
    });
  }
  return { labels, subjectIds: Int32Array.from(pairs, (pair) => pair.subjectId) };
}

function resolve(input: TemporalPairsInput, config: Partial<TemporalEvalConfig>): { x: Matrix; c: TemporalEvalConfig; findings: string[] } {
  const c = { ...DEFAULT_TEMPORAL_EVAL, ...config };
  if (c.probe.loss === 'sigmoid') throw new Error('temporal classification: the probe must be single-label (softmax or squaredHinge), got sigmoid');
  const x = toMatrix(input.features, 'temporal classification features');
  if (input.subjectIds.length !== x.rows) throw new Error(`temporal classification: ${input.subjectIds.length} subject ids for ${x.rows} pairs`);
  const keys = Object.keys(input.labels);
  const findings = c.findings ?? [...MS_CXR_T_FINDINGS.filter((f) => keys.includes(f)), ...keys.filter((k) => !(MS_CXR_T_FINDINGS as readonly string[]).includes(k))];
  for (const finding of findings) {
    const labels = input.labels[finding];
    if (!labels) throw new Error(`temporal classification: no labels for finding "${finding}"`);
    if (labels.length !== x.rows) throw new Error(`temporal classification: "${finding}" has ${labels.length} labels for ${x.rows} pairs`);
  }
  return { x, c, findings };
}

/** Rows labelled for a finding and their labels. */
function labelled(labels: ReadonlyArray<number | null>, numClasses: number, finding: string): { rows: number[]; y: number[] } {
  const rows: number[] = [];
  const y: number[] = [];
  labels.forEach((label, i) => {
    if (label === null || Number.isNaN(label)) return;
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) throw new Error(`temporal classification: "${finding}" label ${label} at pair ${i} is not in 0..${numClasses - 1}`);
    rows.push(i);
    y.push(label);
  });
  return { rows, y };
}

/** Fits on `train` rows and predicts `test` rows (indices into `x`). */
function fitPredict(x: Matrix, rows: { train: number[]; test: number[] }, yOf: (row: number) => number, c: TemporalEvalConfig): { predicted: Int32Array; probabilities: Matrix } {
  const model = fitLinearProbe(selectRows(x, rows.train), rows.train.map(yOf), { ...c.probe, numClasses: c.numClasses });
  const probabilities = probeScores(model, selectRows(x, rows.test));
  return { predicted: argmaxRows(probabilities.data, probabilities.cols), probabilities };
}

/**
 * k-fold cross-validation per finding, repeated over seeds, folds split by patient.
 * @param input features `[N, 2d]`, labels per finding, patients `[N]`.
 */
export function crossValidateTemporal(input: TemporalPairsInput, config: Partial<TemporalEvalConfig> = {}): TemporalCvResult {
  const { x, c, findings } = resolve(input, config);
  const results = findings.map((finding): TemporalFindingCvResult => {
    const { rows, y } = labelled(input.labels[finding]!, c.numClasses, finding);
    const yOfRow = new Map(rows.map((row, i) => [row, y[i]!]));
    const subjects = rows.map((row) => input.subjectIds[row]!);
    const predictions: TemporalPrediction[] = [];
    const seeds = c.seeds.map((seed): TemporalSeedResult => {
      const assignment = groupKFold(subjects, c.folds, seed);
      const truth: number[] = [];
      const predicted: number[] = [];
      const folds: TemporalFoldResult[] = [];
      for (let k = 0; k < c.folds; k++) {
        const local = foldRows(assignment, k);
        const split = { train: local.train.map((i) => rows[i]!), test: local.test.map((i) => rows[i]!) };
        const out = fitPredict(x, split, (row) => yOfRow.get(row)!, c);
        const foldTruth = split.test.map((row) => yOfRow.get(row)!);
        split.test.forEach((row, i) => {
          predictions.push({ pair: row, truth: foldTruth[i]!, predicted: out.predicted[i]!, probabilities: Array.from(rowOf(out.probabilities, i)), seed, fold: k });
        });
        truth.push(...foldTruth);
        predicted.push(...out.predicted);
        folds.push({ fold: k, train: split.train.length, test: split.test.length, accuracy: accuracy(foldTruth, out.predicted), macroAccuracy: balancedAccuracy(foldTruth, out.predicted) });
      }
      return { seed, accuracy: accuracy(truth, predicted), macroAccuracy: balancedAccuracy(truth, predicted), folds };
    });
    const classCounts = new Array<number>(c.numClasses).fill(0);
    for (const label of y) classCounts[label]!++;
    return {
      finding,
      pairs: rows.length,
      classCounts,
      accuracy: meanStd(seeds.map((s) => s.accuracy)),
      macroAccuracy: meanStd(seeds.map((s) => s.macroAccuracy)),
      seeds,
      predictions,
    };
  });
  return { protocol: 'cross-validation', folds: c.folds, seeds: [...c.seeds], probe: resolveLinearProbeConfig(c.probe), findings: results };
}

/**
 * Fixed train/test split (BioViL-T protocol): fit on the training pairs,
 * report accuracy and macro accuracy on the test pairs, per finding.
 * @param isTest `[N]` true (or 1) for test pairs.
 */
export function fixedSplitTemporal(input: TemporalPairsInput, isTest: ArrayLike<boolean | number>, config: Partial<TemporalEvalConfig> = {}): TemporalSplitResult {
  const { x, c, findings } = resolve(input, config);
  if (isTest.length !== x.rows) throw new Error(`fixedSplitTemporal: split has ${isTest.length} entries for ${x.rows} pairs`);
  const results = findings.map((finding): TemporalFindingSplitResult => {
    const { rows, y } = labelled(input.labels[finding]!, c.numClasses, finding);
    const yOfRow = new Map(rows.map((row, i) => [row, y[i]!]));
    const split = { train: rows.filter((row) => !isTest[row]), test: rows.filter((row) => Boolean(isTest[row])) };
    if (split.train.length === 0 || split.test.length === 0) throw new Error(`fixedSplitTemporal: "${finding}" has ${split.train.length} training and ${split.test.length} test pairs`);
    const out = fitPredict(x, split, (row) => yOfRow.get(row)!, c);
    const truth = split.test.map((row) => yOfRow.get(row)!);
    return {
      finding,
      train: split.train.length,
      test: split.test.length,
      accuracy: accuracy(truth, out.predicted),
      macroAccuracy: balancedAccuracy(truth, out.predicted),
      confusion: confusionMatrix(truth, out.predicted, c.numClasses),
      predictions: split.test.map((row, i) => ({ pair: row, truth: truth[i]!, predicted: out.predicted[i]!, probabilities: Array.from(rowOf(out.probabilities, i)), seed: -1, fold: -1 })),
    };
  });
  const trainSubjects = new Set<number>();
  const testSubjects = new Set<number>();
  for (let i = 0; i < x.rows; i++) (isTest[i] ? testSubjects : trainSubjects).add(input.subjectIds[i]!);
  return {
    protocol: 'fixed-split',
    probe: resolveLinearProbeConfig(c.probe),
    findings: results,
    meanMacroAccuracy: results.reduce((a, r) => a + r.macroAccuracy, 0) / Math.max(1, results.length),
    sharedSubjects: [...testSubjects].filter((s) => trainSubjects.has(s)).length,
  };
}
