/**
 * Which records go into which batch (methods §1.6): an epoch's chunks are
 * shuffled with a seed derived from (seed, epoch), cut into groups of
 * `chunksPerBatch`, and inside a batch the full chunks come first, then the
 * short leftovers. Rows are the chunks' steps in order, so a full chunk is T
 * consecutive rows and the temporal losses can reshape them to S×T.
 */
import { deriveSeed, Rng } from '../util/rng.ts';
import type { Chunk, SequenceItem } from './sequences.ts';

/** Options of `planBatches`. */
export interface BatchPlanOptions {
  /** Chunks per batch (the paper: 10 per device). */
  chunksPerBatch: number;
  /** Shuffle the chunks (training); evaluation keeps chunk order. */
  shuffle: boolean;
  seed: number;
  /** Epoch number: each epoch gets its own order from (seed, epoch). */
  epoch: number;
  /** Drop a last batch with fewer chunks than `chunksPerBatch` (default false). */
  dropLast?: boolean;
  /**
   * A last batch with fewer rows joins the batch before it (default 2: BatchNorm
   * in training mode needs at least two rows).
   */
  minRows?: number;
}

/** One batch: its rows and the chunk structure over them. */
export interface PlannedBatch<R extends SequenceItem = SequenceItem> {
  /** Row r's record; full chunks' rows first. */
  records: R[];
  /** For each row: index of its chunk within this batch. */
  chunkIndex: Int32Array;
  /** For each row: its position (0-based step) inside its chunk. */
  stepIndex: Int32Array;
  /** Number of full chunks; they occupy rows [0, fullChunks·T). */
  fullChunks: number;
  /** T: the chunk length used to cut the sequences. */
  chunkLength: number;
}

/**
 * Plans one epoch of batches.
 * @param chunks from `chunkSequences(records, T)`; every chunk's length ≤ T.
 */
export function planBatches<R extends SequenceItem>(chunks: readonly Chunk<R>[], chunkLength: number, options: BatchPlanOptions): PlannedBatch<R>[] {
  if (!Number.isInteger(options.chunksPerBatch) || options.chunksPerBatch < 1) {
    throw new Error(`planBatches: chunksPerBatch must be a positive integer, got ${options.chunksPerBatch}`);
  }
  const order = chunks.map((_, i) => i);
  if (options.shuffle) new Rng(deriveSeed(options.seed, options.epoch)).shuffle(order);
  const groups: Chunk<R>[][] = [];
  for (let start = 0; start < order.length; start += options.chunksPerBatch) {
    const group = order.slice(start, start + options.chunksPerBatch).map((i) => chunks[i]!);
    if (options.dropLast && group.length < options.chunksPerBatch) break;
    groups.push(group);
  }
  const rowsOf = (group: Chunk<R>[]) => group.reduce((n, c) => n + c.items.length, 0);
  if (groups.length > 1 && rowsOf(groups[groups.length - 1]!) < (options.minRows ?? 2)) {
    const last = groups.pop()!;
    groups[groups.length - 1]!.push(...last);
  }
  const batches: PlannedBatch<R>[] = [];
  for (const group of groups) {
    for (const chunk of group) {
      if (chunk.items.length > chunkLength) throw new Error(`planBatches: a chunk of subject ${chunk.subjectId} has ${chunk.items.length} steps, more than chunkLength ${chunkLength}`);
    }
    // Stable: full chunks first, each group keeping the shuffled order.
    const arranged = [...group.filter((c) => c.full), ...group.filter((c) => !c.full)];
    const rows = arranged.reduce((n, c) => n + c.items.length, 0);
    const chunkIndex = new Int32Array(rows);
    const stepIndex = new Int32Array(rows);
    const records: R[] = [];
    arranged.forEach((chunk, c) => {
      chunk.items.forEach((item, s) => {
        chunkIndex[records.length] = c;
        stepIndex[records.length] = s;
        records.push(item);
      });
    });
    batches.push({ records, chunkIndex, stepIndex, fullChunks: arranged.filter((c) => c.full).length, chunkLength });
  }
  return batches;
}
