/**
 * MS-CXR-T temporal sentence similarity (§1.8): the cosine of the global text
 * embeddings of two sentences should be high for paraphrases and low for
 * contradictions ("pleural effusion has improved" vs "… has worsened").
 *
 *  - ROC-AUC of the cosine, paraphrase = positive, over all pairs (needs no
 *    training: the score is the cosine itself).
 *  - Accuracy of "paraphrase iff cosine > threshold", where the threshold is
 *    chosen on the TRAINING folds only (stratified k-fold, several seeds) and
 *    applied to the held-out fold. The original evaluation chose it on the
 *    data it then scored, which is optimistic; that number is kept here as
 *    `leakyAccuracy` for comparison only.
 */
import { foldRows, stratifiedKFold } from './folds.ts';
import { rowCosines, type MatrixLike } from './matrix.ts';
import { accuracy, rocAuc, rocCurve, type RocCurve } from './metrics.ts';
import { meanStd, type MeanStd } from './summary.ts';

/** Settings of `sentenceSimilarity`. */
export interface SentenceSimilarityConfig {
  folds: number;
  seeds: number[];
}

export const DEFAULT_SENTENCE_SIMILARITY: SentenceSimilarityConfig = { folds: 5, seeds: [0, 1, 2] };

/** One held-out fold. */
export interface SentenceFoldResult {
  seed: number;
  fold: number;
  /** Threshold chosen on this fold's training pairs. */
  threshold: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Rows (pairs) of the held-out fold. */
  testPairs: number[];
}

/** The evaluation's result. */
export interface SentenceSimilarityResult {
  /** `[N]` cosine of each pair. */
  cosines: number[];
  /** ROC-AUC of the cosine, paraphrase positive. */
  rocAuc: number;
  roc: RocCurve;
  /** Pooled held-out accuracy per seed, summarised over seeds. */
  accuracy: MeanStd;
  folds: SentenceFoldResult[];
  /** For comparison only: threshold and accuracy chosen on ALL pairs (the original's leak). */
  leakyThreshold: number;
  leakyAccuracy: number;
}

/**
 * The threshold t maximising the accuracy of "positive iff score > t" on the
 * given pairs. Candidates are midpoints between consecutive distinct scores
 * plus one below the minimum and one above the maximum; among equally good
 * candidates the middle one (in score order) is taken.
 * @param scores `[N]`
 * @param positive `[N]` 1/true for positives.
 */
export function chooseThreshold(scores: ArrayLike<number>, positive: ArrayLike<number | boolean>): { threshold: number; accuracy: number } {
  if (scores.length !== positive.length) throw new Error(`chooseThreshold: ${scores.length} scores, ${positive.length} labels`);
  if (scores.length === 0) throw new Error('chooseThreshold: no pairs');
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const totalPositives = Array.from(positive).filter(Boolean).length;
  // Start with t below every score: all predicted positive.
  let correct = totalPositives;
  let best = correct;
  let candidates = [scores[order[0]!]! - 1];
  for (let k = 0; k < order.length; k++) {
    // Moving t past this score predicts it negative.
    correct += positive[order[k]!] ? -1 : 1;
    const here = scores[order[k]!]!;
    const next = k + 1 < order.length ? scores[order[k + 1]!]! : here + 1;
    if (next === here) continue; // t cannot fall between equal scores
    const t = k + 1 < order.length ? (here + next) / 2 : here + 1;
    if (correct > best) {
      best = correct;
      candidates = [t];
    } else if (correct === best) {
      candidates.push(t);
    }
  }
  return { threshold: candidates[Math.floor((candidates.length - 1) / 2)]!, accuracy: best / scores.length };
}

function predictAbove(scores: readonly number[], threshold: number): number[] {
  return scores.map((s) => (s > threshold ? 1 : 0));
}

/**
 * Temporal sentence similarity from the global text embeddings of both sentences.
 * @param first `[N, D]` embeddings of sentence 1.
 * @param second `[N, D]` embeddings of sentence 2.
 * @param paraphrase `[N]` 1/true for a paraphrase, 0/false for a contradiction.
 */
export function sentenceSimilarity(first: MatrixLike, second: MatrixLike, paraphrase: ArrayLike<number | boolean>, config: Partial<SentenceSimilarityConfig> = {}): SentenceSimilarityResult {
  const c = { ...DEFAULT_SENTENCE_SIMILARITY, ...config };
  const cosines = Array.from(rowCosines(first, second)); // [N]
  const n = cosines.length;
  if (paraphrase.length !== n) throw new Error(`sentenceSimilarity: ${paraphrase.length} labels for ${n} pairs`);
  const y = Array.from(paraphrase, (p) => (p ? 1 : 0));
  const folds: SentenceFoldResult[] = [];
  const perSeed = c.seeds.map((seed) => {
    const assignment = stratifiedKFold(y, c.folds, seed);
    let correct = 0;
    for (let k = 0; k < c.folds; k++) {
      const { train, test } = foldRows(assignment, k);
      const chosen = chooseThreshold(train.map((i) => cosines[i]!), train.map((i) => y[i]!));
      const testScores = test.map((i) => cosines[i]!);
      const testTruth = test.map((i) => y[i]!);
      const testAccuracy = accuracy(testTruth, predictAbove(testScores, chosen.threshold));
      correct += testAccuracy * test.length;
      folds.push({ seed, fold: k, threshold: chosen.threshold, trainAccuracy: chosen.accuracy, testAccuracy, testPairs: test });
    }
    return correct / n;
  });
  const leaky = chooseThreshold(cosines, y);
  return { cosines, rocAuc: rocAuc(y, cosines), roc: rocCurve(y, cosines), accuracy: meanStd(perSeed), folds, leakyThreshold: leaky.threshold, leakyAccuracy: leaky.accuracy };
}
