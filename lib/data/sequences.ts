/**
 * Temporal sequences (methods §1.5–1.6): a patient's frontal images sorted by
 * study date and time, cut into consecutive chunks of a configurable length.
 * Leftovers at the end of a patient's history are kept as a short chunk: they
 * still feed the global and local losses, only the temporal losses need full chunks.
 */

/** What sequencing needs from a record. */
export interface SequenceItem {
  id: string;
  subjectId: number;
  studyId: number;
  /** Milliseconds since 1970 UTC (StudyDate + StudyTime). */
  timestamp: number;
}

/** A run of one patient's consecutive steps, oldest first. */
export interface Chunk<R extends SequenceItem = SequenceItem> {
  subjectId: number;
  /** The steps, oldest first; `length` ≤ the chunk length asked for. */
  items: R[];
  /** True when `items.length` equals the chunk length (eligible for temporal losses). */
  full: boolean;
}

/** Sorts one patient's steps: by time, then study id, then image id (a stable, total order). */
export function compareSteps(a: SequenceItem, b: SequenceItem): number {
  return a.timestamp - b.timestamp || a.studyId - b.studyId || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Groups records by patient, each patient's list sorted by `compareSteps`; patients in ascending id order. */
export function patientSequences<R extends SequenceItem>(records: readonly R[]): Map<number, R[]> {
  const byPatient = new Map<number, R[]>();
  for (const record of records) {
    const list = byPatient.get(record.subjectId);
    if (list) list.push(record);
    else byPatient.set(record.subjectId, [record]);
  }
  const sorted = new Map<number, R[]>();
  for (const subjectId of [...byPatient.keys()].sort((a, b) => a - b)) {
    sorted.set(subjectId, byPatient.get(subjectId)!.sort(compareSteps));
  }
  return sorted;
}

/**
 * Cuts every patient's sorted sequence into consecutive chunks of `chunkLength`
 * (T); the last chunk of a patient may be shorter (kept, `full: false`).
 * Output order: patients ascending, chunks in time order.
 *
 * @param chunkLength T ≥ 1.
 */
export function chunkSequences<R extends SequenceItem>(records: readonly R[], chunkLength: number): Chunk<R>[] {
  if (!Number.isInteger(chunkLength) || chunkLength < 1) throw new Error(`chunkSequences: chunkLength must be a positive integer, got ${chunkLength}`);
  const chunks: Chunk<R>[] = [];
  for (const [subjectId, steps] of patientSequences(records)) {
    for (let start = 0; start < steps.length; start += chunkLength) {
      const items = steps.slice(start, start + chunkLength);
      chunks.push({ subjectId, items, full: items.length === chunkLength });
    }
  }
  return chunks;
}

/** Counts of a chunking, for logs and notebooks. */
export interface ChunkStats {
  patients: number;
  steps: number;
  fullChunks: number;
  shortChunks: number;
  /** Steps that sit in full chunks (the ones temporal losses see). */
  stepsInFullChunks: number;
}

export function chunkStats(chunks: readonly Chunk[]): ChunkStats {
  const patients = new Set(chunks.map((c) => c.subjectId)).size;
  let steps = 0;
  let fullChunks = 0;
  let stepsInFullChunks = 0;
  for (const chunk of chunks) {
    steps += chunk.items.length;
    if (chunk.full) {
      fullChunks++;
      stepsInFullChunks += chunk.items.length;
    }
  }
  return { patients, steps, fullChunks, shortChunks: chunks.length - fullChunks, stepsInFullChunks };
}
