/**
 * Zero-shot classification from prompt embeddings (§1.8, §6).
 *
 * Each class is the mean of its L2-normalised prompt embeddings, normalised
 * again; an image's similarity to a class is the cosine. Probabilities are the
 * softmax of similarity / temperature. The hard prediction is the arg-max
 * (for the binary case: positive iff closer to the positive prompts), and
 * ROC-AUC is computed on the SCORES, never on hard labels (the original RSNA
 * evaluation used hard labels — a defect that turns AUROC into balanced accuracy).
 *
 * The temperature leaves the binary AUROC unchanged (p(positive) is monotone in
 * s_pos − s_neg) but does change the one-vs-rest AUROC for more classes; pass
 * the model's learned temperature to match its training softmax (default 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import { cosineSimilarity, matrix, normalizeRows, toMatrix, toRows, type Matrix, type MatrixLike } from './matrix.ts';
import { accuracy, argmaxRows, confusionMatrix, f1Binary, macroF1, rocAuc, rocAucOvr, rocCurve, type MacroAuc, type RocCurve } from './metrics.ts';

/** Settings of the zero-shot evaluations. */
export interface ZeroShotConfig {
  /** Softmax temperature τ over cosines (default 1). */
  temperature: number;
}

/** Multi-class zero-shot result (CheXpert 5×200 style). */
export interface ZeroShotMultiClassResult {
  /** `[N][C]` cosine of each image to each class embedding. */
  similarities: number[][];
  /** `[N][C]` softmax(similarity / τ). */
  probabilities: number[][];
  /** `[N]` arg-max class. */
  predicted: number[];
  accuracy: number;
  macroF1: number;
  /** One-vs-rest macro AUROC on the probabilities (a class absent from the labels is skipped, NaN in perClass). */
  rocAuc: MacroAuc;
  confusion: number[][];
}

/** Binary zero-shot result (RSNA pneumonia style). */
export interface ZeroShotBinaryResult {
  /** `[N][2]` cosine to the [negative, positive] class embeddings. */
  similarities: number[][];
  /** `[N]` p(positive) = softmax(similarity / τ)[1]: the score for AUROC. */
  scores: number[];
  /** `[N]` 1 iff closer to the positive prompts. */
  predicted: number[];
  accuracy: number;
  /** F1 of the positive class. */
  f1: number;
  rocAuc: number;
  roc: RocCurve;
}

/**
 * Class embeddings from prompt embeddings: per class the mean of its
 * L2-normalised prompts, re-normalised.
 * @param prompts per class `[M_c, D]` prompt embeddings.
 * @returns `[C, D]`
 */
export function classEmbeddings(prompts: readonly MatrixLike[]): Matrix {
  if (prompts.length === 0) throw new Error('classEmbeddings: no classes');
  const classes = prompts.map((p, c) => toMatrix(p, `classEmbeddings(class ${c})`));
  const d = classes[0]!.cols;
  classes.forEach((m, c) => {
    if (m.rows === 0) throw new Error(`classEmbeddings: class ${c} has no prompts`);
    if (m.cols !== d) throw new Error(`classEmbeddings: class ${c} prompts have dim ${m.cols}, class 0 has ${d}`);
  });
  const data = tf.tidy(() => {
    const means = classes.map((m) => tf.mean(normalizeRows(tf.tensor2d(m.data, [m.rows, d])), 0)); // C × [D]
    return normalizeRows(tf.stack(means) as tf.Tensor2D).dataSync() as Float32Array; // [C, D]
  });
  return matrix(data, classes.length, d);
}

function softmaxRows(similarity: Matrix, temperature: number): Matrix {
  if (!(temperature > 0)) throw new Error(`zero-shot: temperature must be > 0, got ${temperature}`);
  const data = tf.tidy(() => tf.softmax(tf.div(tf.tensor2d(similarity.data, [similarity.rows, similarity.cols]), temperature)).dataSync() as Float32Array);
  return matrix(data, similarity.rows, similarity.cols);
}

function checkLabels(labels: ArrayLike<number>, n: number, classes: number): void {
  if (labels.length !== n) throw new Error(`zero-shot: ${labels.length} labels for ${n} images`);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new Error(`zero-shot: label ${y} of image ${i} is not in 0..${classes - 1}`);
  }
}

/**
 * Multi-class zero-shot: arg-max cosine to the class embeddings.
 * @param images `[N, D]` global image embeddings.
 * @param classPrompts per class `[M_c, D]` prompt embeddings (class c = label c).
 * @param labels `[N]` true classes.
 */
export function zeroShotMultiClass(images: MatrixLike, classPrompts: readonly MatrixLike[], labels: ArrayLike<number>, config: Partial<ZeroShotConfig> = {}): ZeroShotMultiClassResult {
  const temperature = config.temperature ?? 1;
  const similarity = cosineSimilarity(images, classEmbeddings(classPrompts)); // [N, C]
  const k = similarity.cols;
  checkLabels(labels, similarity.rows, k);
  const probabilities = softmaxRows(similarity, temperature);
  const predicted = Array.from(argmaxRows(similarity.data, k));
  return {
    similarities: toRows(similarity),
    probabilities: toRows(probabilities),
    predicted,
    accuracy: accuracy(labels, predicted),
    macroF1: macroF1(labels, predicted, Array.from({ length: k }, (_, c) => c)),
    rocAuc: rocAucOvr(labels, probabilities.data, k, { onUndefined: 'skip' }),
    confusion: confusionMatrix(labels, predicted, k),
  };
}

/**
 * Binary zero-shot (e.g. RSNA pneumonia): positive iff the image is closer to
 * the positive than to the negative class embedding.
 * @param images `[N, D]`
 * @param prompts `negative` `[M_0, D]` and `positive` `[M_1, D]` prompt embeddings.
 * @param labels `[N]` 0/1.
 */
export function zeroShotBinary(images: MatrixLike, prompts: { negative: MatrixLike; positive: MatrixLike }, labels: ArrayLike<number>, config: Partial<ZeroShotConfig> = {}): ZeroShotBinaryResult {
  const multi = zeroShotMultiClass(images, [prompts.negative, prompts.positive], labels, config);
  const scores = multi.probabilities.map((p) => p[1]!);
  return {
    similarities: multi.similarities,
    scores,
    predicted: multi.predicted,
    accuracy: multi.accuracy,
    f1: f1Binary(labels, multi.predicted),
    rocAuc: rocAuc(labels, scores),
    roc: rocCurve(labels, scores),
  };
}
