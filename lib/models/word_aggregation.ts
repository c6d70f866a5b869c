/**
 * Word aggregation (Med-ST §1.2): sub-word pieces of one word are summed into a
 * whole-word feature. Positions 1..L−1 (after `[CLS]`) are scanned; the first
 * special token (word id −1 with attention 1, i.e. `[SEP]`) ends the scan and is
 * kept as a word of its own; the rest is padding (zero vectors, mask 0). A
 * report that fills all L tokens keeps its last word (the original dropped it).
 *
 * The grouping is computed in JS from the tokenizer's `wordIds` (pieces of one
 * word share an index; −1 for `[CLS]`/`[SEP]`/padding) as a 0/1 segment matrix
 * [B, L−1, L]; the sum itself is one batched matmul.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Segment matrix and mask of a batch of token rows. */
export interface WordAggregation {
  /** [B, L−1, L] flattened: entry (b, w, t) = 1 when token t belongs to word w of sample b. */
  matrix: Float32Array;
  /** [B, L−1] flattened: 1 for real words (including `[SEP]`), 0 for padding. */
  mask: Float32Array;
  /** Words per sample (including `[SEP]`), [B]. */
  numWords: Int32Array;
  batchSize: number;
  seqLength: number;
}

/**
 * Groups tokens 1..L−1 into words.
 * @param wordIds [B, L] flattened tokenizer word indices (−1 for specials and padding)
 * @param attentionMask [B, L] flattened, 1 for real tokens
 * @example
 * // [CLS] no pneumo ##thorax [SEP] [PAD] → words: "no", "pneumo##thorax", [SEP]
 * buildWordAggregation(Int32Array.of(-1, 0, 1, 1, -1, -1), Int32Array.of(1, 1, 1, 1, 1, 0), 1, 6).numWords // [3]
 */
export function buildWordAggregation(
  wordIds: ArrayLike<number>,
  attentionMask: ArrayLike<number>,
  batchSize: number,
  seqLength: number,
): WordAggregation {
  if (wordIds.length !== batchSize * seqLength || attentionMask.length !== batchSize * seqLength) {
    throw new Error(
      `buildWordAggregation: wordIds (${wordIds.length}) and attentionMask (${attentionMask.length}) must both hold B·L = ${batchSize}·${seqLength} values`,
    );
  }
  if (seqLength < 2) throw new Error(`buildWordAggregation: need L ≥ 2, got ${seqLength}`);
  const words = seqLength - 1;
  const matrix = new Float32Array(batchSize * words * seqLength);
  const mask = new Float32Array(batchSize * words);
  const numWords = new Int32Array(batchSize);
  for (let b = 0; b < batchSize; b++) {
    const rowBase = b * seqLength;
    let count = 0;
    let currentWord = Number.NaN;
    const put = (word: number, token: number): void => {
      matrix[(b * words + word) * seqLength + token] = 1;
      mask[b * words + word] = 1;
    };
    for (let t = 1; t < seqLength; t++) {
      if (!attentionMask[rowBase + t]) break; // padding: no [SEP] was kept, the last word is already counted
      const id = wordIds[rowBase + t] as number;
      if (id < 0) {
        put(count++, t); // [SEP]: a word of its own, and the end of the report
        break;
      }
      if (id !== currentWord) {
        currentWord = id;
        count++;
      }
      put(count - 1, t);
    }
    numWords[b] = count;
  }
  return { matrix, mask, numWords, batchSize, seqLength };
}

/**
 * Sums token features into word features.
 * @param hidden [B, L, W] token features
 * @param aggregation from `buildWordAggregation` for the same B, L
 * @returns words [B, L−1, W] (zeros past the last word) and mask [B, L−1]
 */
export function aggregateWords(hidden: tf.Tensor3D, aggregation: WordAggregation): { words: tf.Tensor3D; mask: tf.Tensor2D } {
  const { batchSize: b, seqLength: l } = aggregation;
  if (hidden.rank !== 3 || hidden.shape[0] !== b || hidden.shape[1] !== l) {
    throw new Error(`aggregateWords: expected hidden [${b}, ${l}, W], got [${hidden.shape}]`);
  }
  return tf.tidy('aggregateWords', () => {
    const segments = tf.tensor3d(aggregation.matrix, [b, l - 1, l]); // [B, L−1, L]
    return {
      words: tf.matMul(segments, hidden) as tf.Tensor3D, // [B, L−1, W]
      mask: tf.tensor2d(aggregation.mask, [b, l - 1]), // [B, L−1]
    };
  });
}
