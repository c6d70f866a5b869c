/**
 * Sentence index of every token of a batch of token rows, for methods with
 * sentence-level terms (PRIOR). The manifest's report text is the cleaner's
 * sentences joined as `s1. s2.` (lib/data/report.ts), so a sentence ends at
 * its period token; a truncated last sentence still counts. Special tokens
 * and padding get −1, as do tokens past the `maxSentences`-th sentence.
 */

/** Token ids that end a sentence and those that belong to none. */
export interface SentenceTokens {
  /** Ids of sentence-final tokens (the period). */
  boundary: ReadonlySet<number>;
  /** Ids of special tokens ([CLS], [SEP], [PAD], ...). */
  special: ReadonlySet<number>;
}

/**
 * @param inputIds [B, L] flattened
 * @param attentionMask [B, L] flattened, 1 for real tokens
 * @returns Int32Array [B, L]: 0-based sentence of each token, −1 for special, padding and overflow tokens
 * @example
 * // [CLS] no effusion . heart ok . [SEP] with '.' = 9
 * sentenceIdsOf([1, 5, 6, 9, 7, 8, 9, 2], [1,1,1,1,1,1,1,1], 1, 8, { boundary: new Set([9]), special: new Set([1, 2]) }, 16)
 * // → [-1, 0, 0, 0, 1, 1, 1, -1]
 */
export function sentenceIdsOf(
  inputIds: ArrayLike<number>,
  attentionMask: ArrayLike<number>,
  rows: number,
  length: number,
  tokens: SentenceTokens,
  maxSentences: number,
): Int32Array {
  if (inputIds.length !== rows * length || attentionMask.length !== rows * length) throw new Error(`sentenceIdsOf: expected ${rows}·${length} ids and mask values, got ${inputIds.length} and ${attentionMask.length}`);
  const out = new Int32Array(rows * length).fill(-1);
  for (let b = 0; b < rows; b++) {
    let sentence = 0;
    for (let t = 0; t < length; t++) {
      const i = b * length + t;
      const id = inputIds[i]!;
      if (attentionMask[i] !== 1 || tokens.special.has(id)) continue;
      if (sentence >= maxSentences) break;
      out[i] = sentence;
      if (tokens.boundary.has(id)) sentence++;
    }
  }
  return out;
}

/** Number of sentences of each row (the largest index + 1), [B]. */
export function sentenceCounts(sentenceIds: ArrayLike<number>, rows: number, length: number): Int32Array {
  const counts = new Int32Array(rows);
  for (let b = 0; b < rows; b++) for (let t = 0; t < length; t++) counts[b] = Math.max(counts[b]!, sentenceIds[b * length + t]! + 1);
  return counts;
}

/** The sentence tokens of a tokenizer's vocabulary (its period and its special tokens). */
export function sentenceTokensOf(tokenizer: { tokenToId(token: string): number | undefined; specialTokenIds: Readonly<Record<string, number>> }): SentenceTokens {
  const period = tokenizer.tokenToId('.');
  if (period === undefined) throw new Error('sentence ids: the vocabulary has no "." token, so sentences cannot be found');
  return { boundary: new Set([period]), special: new Set(Object.values(tokenizer.specialTokenIds)) };
}
