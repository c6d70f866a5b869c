/**
 * Recall@K for cross-modal retrieval over a similarity matrix, with several
 * correct candidates allowed per query.
 *
 * For query q the rank of its first hit is `1 + #{irrelevant c : s(q,c) ≥ s*}`
 * where `s*` is the best score of a relevant candidate. Ties with irrelevant
 * candidates count AGAINST the query (pessimistic), so a collapsed encoder that
 * scores every candidate alike gets no credit. Recall@K is the fraction of
 * queries whose rank is ≤ K; a query with no relevant candidate is a miss.
 */
import type { Matrix } from './matrix.ts';

/** Whether candidate `candidate` is a correct answer to query `query`. */
export type Relevance = (query: number, candidate: number) => boolean;

/** Recall@K of one retrieval direction. */
export interface RecallResult {
  /** Recall@K for each asked K (keys are K). */
  recall: Record<number, number>;
  /** Recall@k for k = 1..maxK (index k−1), for curves. */
  curve: number[];
  /** Rank of the first relevant candidate per query (1 = top); Infinity without one (JSON: null). */
  ranks: number[];
  /** Queries that had no relevant candidate at all (always misses). */
  queriesWithoutRelevant: number;
}

/** The identity pairing: candidate c answers query q iff c === q. */
export const sameIndex: Relevance = (query, candidate) => query === candidate;

/**
 * Relevance by group: correct iff the query and candidate fall in the same
 * group (e.g. `textGroups(reports)`, so identical report texts all count).
 */
export function sameGroup(queryGroups: ArrayLike<number>, candidateGroups: ArrayLike<number>): Relevance {
  return (query, candidate) => queryGroups[query] === candidateGroups[candidate];
}

/**
 * A group id per text, equal for texts that are the same after trimming,
 * collapsing whitespace and lower-casing. Used for the retrieval rule
 * "identical report texts are all correct answers".
 */
export function textGroups(texts: readonly string[]): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(texts, (text) => {
    const key = text.trim().replace(/\s+/g, ' ').toLowerCase();
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    return id;
  });
}

/**
 * Recall@K of every query (row) over the candidates (columns).
 * @param similarity `[Q, C]` query × candidate scores.
 * @param ks the K values to report, e.g. [1, 5, 10].
 * @param relevant which candidates answer which query (default: same index).
 * @param maxK length of `curve` (default: the largest of `ks`).
 */
export function recallAtK(similarity: Matrix, ks: readonly number[], relevant: Relevance = sameIndex, maxK?: number): RecallResult {
  for (const k of ks) if (!Number.isInteger(k) || k < 1) throw new Error(`recallAtK: K must be a positive integer, got ${k}`);
  const { rows, cols, data } = similarity;
  const ranks: number[] = [];
  let queriesWithoutRelevant = 0;
  const isRelevant = new Uint8Array(cols);
  for (let q = 0; q < rows; q++) {
    let best = -Infinity;
    let found = false;
    for (let c = 0; c < cols; c++) {
      isRelevant[c] = relevant(q, c) ? 1 : 0;
      if (isRelevant[c]) {
        found = true;
        best = Math.max(best, data[q * cols + c]!);
      }
    }
    if (!found) {
      queriesWithoutRelevant++;
      ranks.push(Infinity);
      continue;
    }
    let ahead = 0;
    for (let c = 0; c < cols; c++) if (!isRelevant[c] && data[q * cols + c]! >= best) ahead++;
    ranks.push(1 + ahead);
  }
  const fraction = (k: number): number => (rows === 0 ? NaN : ranks.filter((r) => r <= k).length / rows);
  const recall: Record<number, number> = {};
  for (const k of ks) recall[k] = fraction(k);
  const curveLength = maxK ?? Math.max(0, ...ks);
  return { recall, curve: Array.from({ length: curveLength }, (_, i) => fraction(i + 1)), ranks, queriesWithoutRelevant };
}
