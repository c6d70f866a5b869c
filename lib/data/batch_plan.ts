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
  /** Chunks per batch (the paper: 10 per device); batches then vary in rows with the chunks' lengths. */
  chunksPerBatch?: number;
  /**
   * Exactly this many rows per batch instead (the CPU presets; the last batch
   * may differ unless `dropLast`): chunks are packed in the shuffled order, and a chunk that does not fit is cut, its
   * tail starting the next batch (both parts then count as short chunks).
   * Losses of different steps are then over the same number of pairs.
   */
  rowsPerBatch?: number;
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
  const byRows = options.rowsPerBatch !== undefined;
  const size = byRows ? options.rowsPerBatch : options.chunksPerBatch;
  if ((options.chunksPerBatch === undefined) === (options.rowsPerBatch === undefined)) {
    throw new Error('planBatches: give exactly one of chunksPerBatch and rowsPerBatch');
  }
  if (!Number.isInteger(size) || size! < 1) {
    throw new Error(`planBatches: ${byRows ? 'rowsPerBatch' : 'chunksPerBatch'} must be a positive integer, got ${size}`);
  }
  const order = chunks.map((_, i) => i);
  if (options.shuffle) new Rng(deriveSeed(options.seed, options.epoch)).shuffle(order);
  const groups: Chunk<R>[][] = byRows ? packRows(order.map((i) => chunks[i]!), size!, options.dropLast ?? false) : [];
  for (let start = 0; !byRows && start < order.length; start += size!) {
    const group = order.slice(start, start + size!).map((i) => chunks[i]!);
    if (options.dropLast && group.length < size!) break;
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

/** Groups of exactly `rows` rows from chunks in order, cutting a chunk that straddles two groups. */
function packRows<R extends SequenceItem>(ordered: readonly Chunk<R>[], rows: number, dropLast: boolean): Chunk<R>[][] {
  const groups: Chunk<R>[][] = [];
  let group: Chunk<R>[] = [];
  let filled = 0;
  for (const chunk of ordered) {
    let items = chunk.items;
    while (items.length > 0) {
      const room = rows - filled;
      const taken = items.slice(0, room);
      const whole = taken.length === chunk.items.length;
      group.push(whole ? chunk : { ...chunk, items: taken, full: false });
      filled += taken.length;
      items = items.slice(taken.length);
      if (filled === rows) {
        groups.push(group);
        group = [];
        filled = 0;
      }
    }
  }
  if (group.length > 0 && !dropLast) groups.push(group);
  return groups;
}
