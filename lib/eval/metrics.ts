/**
 * Classification metrics, each defined as scikit-learn defines it (and tested
 * against it on the same inputs, tests/fixtures/make_metric_refs.py):
 *
 *   rocAuc             roc_auc_score (binary; ties get half credit)
 *   rocAucMultiLabel   roc_auc_score(average='macro') on a label-indicator matrix
 *   rocAucOvr          roc_auc_score(multi_class='ovr', average='macro')
 *   rocCurve           roc_curve (drop_intermediate=True by default)
 *   accuracy           accuracy_score
 *   balancedAccuracy   balanced_accuracy_score (= BioViL-T "macro accuracy")
 *   f1Binary, macroF1  f1_score(average='binary' | 'macro'), zero_division → 0
 *   confusionMatrix    confusion_matrix(labels=0..K−1)
 *
 * Class labels are integer indices 0..K−1; binary targets are 0/1.
 * Everything is plain JS in float64: these run on numbers already read back.
 */

/** A ROC curve as sklearn's `roc_curve` returns it. */
export interface RocCurve {
  /** False-positive rate per threshold, starting at 0. */
  fpr: number[];
  /** True-positive rate per threshold, starting at 0. */
  tpr: number[];
  /** Decreasing score thresholds; the first is +Infinity (JSON writes it as null). */
  thresholds: number[];
}

/** Options for AUROC averages over several columns. */
export interface AucAverageOptions {
  /**
   * What a column whose targets hold one class only does: 'throw' (default,
   * as sklearn) or 'skip' (left out of the mean; NaN in `perClass`).
   */
  onUndefined?: 'throw' | 'skip';
}

/** A macro AUROC and its per-column values. */
export interface MacroAuc {
  macro: number;
  /** AUROC per column (label or class); NaN for a skipped column. */
  perClass: number[];
}

function checkBinary(yTrue: ArrayLike<number>, name: string): void {
  for (let i = 0; i < yTrue.length; i++) {
    const y = yTrue[i]!;
    if (y !== 0 && y !== 1) throw new Error(`${name}: targets must be 0 or 1, got ${y} at index ${i}`);
  }
}

function checkLabels(labels: ArrayLike<number>, name: string, what: string): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0) throw new Error(`${name}: ${what} must be class indices 0..K−1, got ${y} at index ${i}`);
  }
}

function checkSameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, name: string): void {
  if (a.length !== b.length) throw new Error(`${name}: lengths differ (${a.length} targets, ${b.length} predictions/scores)`);
}

/**
 * Cumulative counts at each distinct score, highest score first (sklearn's
 * `_binary_clf_curve`): `tps[i]`, `fps[i]` count the positives / negatives with
 * score ≥ `thresholds[i]`. Tied scores share one threshold.
 */
function binaryCurveCounts(yTrue: ArrayLike<number>, scores: ArrayLike<number>): { tps: number[]; fps: number[]; thresholds: number[] } {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i]!)) throw new Error(`ROC: score at index ${i} is NaN`);
  }
  order.sort((a, b) => scores[b]! - scores[a]!);
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    tp += yTrue[order[k]!]!;
    const last = k === order.length - 1;
    if (last || scores[order[k + 1]!]! !== scores[order[k]!]!) {
      tps.push(tp);
      fps.push(k + 1 - tp);
      thresholds.push(scores[order[k]!]!);
    }
  }
  return { tps, fps, thresholds };
}

/**
 * Binary ROC-AUC (sklearn `roc_auc_score`). Trapezoidal area under the ROC
 * curve whose points are the distinct scores, so a tie between a positive and
 * a negative counts one half (the Mann–Whitney statistic with mid-ranks).
 * Computed from integer counts: `Σ Δfp·(tp + tp_prev) / (2·P·N)`.
 * @param yTrue `[N]` 0/1 targets.
 * @param scores `[N]` higher = more positive (probabilities, logits, cosines…).
 * @throws when `yTrue` holds one class only (AUROC undefined, as sklearn).
 */
export function rocAuc(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkSameLength(yTrue, scores, 'rocAuc');
  checkBinary(yTrue, 'rocAuc');
  const { tps, fps } = binaryCurveCounts(yTrue, scores);
  const positives = tps.length > 0 ? tps[tps.length - 1]! : 0;
  const negatives = fps.length > 0 ? fps[fps.length - 1]! : 0;
  if (positives === 0 || negatives === 0) {
    throw new Error(`rocAuc: only one class present in the targets (${positives} positives, ${negatives} negatives); ROC AUC is not defined`);
  }
  let area = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let i = 0; i < tps.length; i++) {
    area += (fps[i]! - prevFp) * (tps[i]! + prevTp);
    prevTp = tps[i]!;
    prevFp = fps[i]!;
  }
  return area / (2 * positives * negatives);
}

/**
 * ROC curve points (sklearn `roc_curve`): a first point (0, 0) at threshold
 * +∞, then one point per distinct score; with `dropIntermediate` (default true)
 * points on a straight segment are removed, as sklearn does for plotting.
 * A class absent from the targets gives NaN rates (sklearn warns).
 */
export function rocCurve(yTrue: ArrayLike<number>, scores: ArrayLike<number>, options: { dropIntermediate?: boolean } = {}): RocCurve {
  checkSameLength(yTrue, scores, 'rocCurve');
  checkBinary(yTrue, 'rocCurve');
  let { tps, fps, thresholds } = binaryCurveCounts(yTrue, scores);
  if ((options.dropIntermediate ?? true) && tps.length > 2) {
    // Keep the ends and every point where the curve changes direction.
    const keep: number[] = [0];
    for (let i = 1; i < tps.length - 1; i++) {
      const bendFp = fps[i + 1]! - 2 * fps[i]! + fps[i - 1]!;
      const bendTp = tps[i + 1]! - 2 * tps[i]! + tps[i - 1]!;
      if (bendFp !== 0 || bendTp !== 0) keep.push(i);
    }
    keep.push(tps.length - 1);
    tps = keep.map((i) => tps[i]!);
    fps = keep.map((i) => fps[i]!);
    thresholds = keep.map((i) => thresholds[i]!);
  }
  const positives = tps.length > 0 ? tps[tps.length - 1]! : 0;
  const negatives = fps.length > 0 ? fps[fps.length - 1]! : 0;
  // A class absent from the targets leaves its rate undefined everywhere (sklearn: all NaN).
  return {
    fpr: negatives === 0 ? new Array<number>(fps.length + 1).fill(NaN) : [0, ...fps.map((f) => f / negatives)],
    tpr: positives === 0 ? new Array<number>(tps.length + 1).fill(NaN) : [0, ...tps.map((t) => t / positives)],
    thresholds: [Infinity, ...thresholds],
  };
}

function macroOverColumns(columns: number, aucOf: (c: number) => number, options: AucAverageOptions, name: string): MacroAuc {
  const perClass: number[] = [];
  for (let c = 0; c < columns; c++) {
    try {
      perClass.push(aucOf(c));
    } catch (error) {
      if ((options.onUndefined ?? 'throw') === 'throw') throw new Error(`${name}: column ${c}: ${(error as Error).message}`);
      perClass.push(NaN);
    }
  }
  const defined = perClass.filter((v) => !Number.isNaN(v));
  return { macro: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN, perClass };
}

/**
 * Macro AUROC over the columns of a multi-label problem (sklearn
 * `roc_auc_score(Y, S, average='macro')`). A NaN target is "not labelled" and
 * that entry is left out of its column (a medst extension; sklearn has none).
 * @param yTrue `[N·L]` row-major 0/1/NaN targets.
 * @param scores `[N·L]` row-major scores.
 * @param numLabels L.
 */
export function rocAucMultiLabel(yTrue: ArrayLike<number>, scores: ArrayLike<number>, numLabels: number, options: AucAverageOptions = {}): MacroAuc {
  checkSameLength(yTrue, scores, 'rocAucMultiLabel');
  if (numLabels <= 0 || yTrue.length % numLabels !== 0) throw new Error(`rocAucMultiLabel: ${yTrue.length} values do not make rows of ${numLabels} labels`);
  const n = yTrue.length / numLabels;
  return macroOverColumns(
    numLabels,
    (c) => {
      const t: number[] = [];
      const s: number[] = [];
      for (let i = 0; i < n; i++) {
        const y = yTrue[i * numLabels + c]!;
        if (Number.isNaN(y)) continue;
        t.push(y);
        s.push(scores[i * numLabels + c]!);
      }
      return rocAuc(t, s);
    },
    options,
    'rocAucMultiLabel',
  );
}

/**
 * One-vs-rest macro AUROC for K classes (sklearn `roc_auc_score(y, P,
 * multi_class='ovr', average='macro')`): the mean over classes c of the binary
 * AUROC of `y == c` against column c of the scores (probabilities).
 * @param yTrue `[N]` class indices.
 * @param scores `[N·K]` row-major scores.
 */
export function rocAucOvr(yTrue: ArrayLike<number>, scores: ArrayLike<number>, numClasses: number, options: AucAverageOptions = {}): MacroAuc {
  checkLabels(yTrue, 'rocAucOvr', 'targets');
  if (scores.length !== yTrue.length * numClasses) throw new Error(`rocAucOvr: scores hold ${scores.length} values, expected ${yTrue.length}×${numClasses}`);
  return macroOverColumns(
    numClasses,
    (c) => {
      const t = Array.from(yTrue, (y) => (y === c ? 1 : 0));
      const s = Array.from({ length: yTrue.length }, (_, i) => scores[i * numClasses + c]!);
      return rocAuc(t, s);
    },
    options,
    'rocAucOvr',
  );
}

/** Fraction of predictions equal to the targets (sklearn `accuracy_score`). */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkSameLength(yTrue, yPred, 'accuracy');
  if (yTrue.length === 0) return NaN;
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/**
 * Confusion matrix `[K][K]`: rows are true classes, columns predicted (sklearn
 * `confusion_matrix(y, p, labels=range(K))`). K defaults to 1 + the largest label.
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses?: number): number[][] {
  checkSameLength(yTrue, yPred, 'confusionMatrix');
  checkLabels(yTrue, 'confusionMatrix', 'targets');
  checkLabels(yPred, 'confusionMatrix', 'predictions');
  let k = numClasses ?? 0;
  if (numClasses === undefined) for (let i = 0; i < yTrue.length; i++) k = Math.max(k, yTrue[i]! + 1, yPred[i]! + 1);
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    if (t >= k || p >= k) throw new Error(`confusionMatrix: label ${Math.max(t, p)} ≥ numClasses ${k}`);
    counts[t]![p]!++;
  }
  return counts;
}

/**
 * Balanced accuracy (sklearn `balanced_accuracy_score`): the mean per-class
 * recall over the classes present in the targets. This is the "macro accuracy"
 * of BioViL-T's MS-CXR-T table (accuracy per class, averaged with equal weight,
 * so "stable" — the majority — does not dominate).
 */
export function balancedAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const counts = confusionMatrix(yTrue, yPred);
  const recalls: number[] = [];
  counts.forEach((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    if (support > 0) recalls.push(row[c]! / support);
  });
  return recalls.length ? recalls.reduce((a, b) => a + b, 0) / recalls.length : NaN;
}

/** The "macro accuracy" of BioViL-T: `balancedAccuracy` under its paper name. */
export const macroAccuracy = balancedAccuracy;

/** Per-class F1 `2·TP / (2·TP + FP + FN)`, 0 where the denominator is 0 (sklearn zero_division default). */
export function f1PerClass(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, labels: readonly number[]): number[] {
  checkSameLength(yTrue, yPred, 'f1PerClass');
  return labels.map((c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < yTrue.length; i++) {
      const t = yTrue[i] === c;
      const p = yPred[i] === c;
      if (t && p) tp++;
      else if (p) fp++;
      else if (t) fn++;
    }
    const denominator = 2 * tp + fp + fn;
    return denominator === 0 ? 0 : (2 * tp) / denominator;
  });
}

/** Binary F1 of the positive class (sklearn `f1_score(y, p, pos_label=positive)`). */
export function f1Binary(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, positive = 1): number {
  return f1PerClass(yTrue, yPred, [positive])[0]!;
}

/**
 * Macro F1 (sklearn `f1_score(average='macro')`): unweighted mean of per-class
 * F1 over `labels`, by default the sorted union of classes in targets and
 * predictions (as sklearn; pass `labels` to fix K, e.g. for absent classes).
 */
export function macroF1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, labels?: readonly number[]): number {
  const classes = labels ?? [...new Set([...Array.from(yTrue), ...Array.from(yPred)])].sort((a, b) => a - b);
  if (classes.length === 0) return NaN;
  const perClass = f1PerClass(yTrue, yPred, classes);
  return perClass.reduce((a, b) => a + b, 0) / perClass.length;
}

/** Index of the largest value in each row of a row-major `[N·K]` array (first on ties, as numpy argmax). */
export function argmaxRows(values: ArrayLike<number>, numColumns: number): Int32Array {
  const n = values.length / numColumns;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numColumns; c++) if (values[i * numColumns + c]! > values[i * numColumns + best]!) best = c;
    out[i] = best;
  }
  return out;
}
