/** Fixed-size batches: exactly `rowsPerBatch` rows, chunks cut across batches, every step once. */
import test from 'ava';
import { planBatches } from '../../lib/data/batch_plan.ts';
import { chunkSequences, type SequenceItem } from '../../lib/data/sequences.ts';

const items: SequenceItem[] = [];
for (let s = 0; s < 23; s++) for (let k = 0; k < 1 + (s % 5); k++) items.push({ id: `p${s}-${k}`, subjectId: s, studyId: s * 10 + k, timestamp: k });
const chunks = chunkSequences(items, 3);

test('every batch but a dropped last one has exactly rowsPerBatch rows; no step is lost or repeated', (t) => {
  const kept = planBatches(chunks, 3, { rowsPerBatch: 8, shuffle: true, seed: 3, epoch: 1 });
  const ids = kept.flatMap((b) => b.records.map((r) => r.id));
  t.is(ids.length, items.length);
  t.is(new Set(ids).size, items.length);
  t.true(kept.slice(0, -1).every((b) => b.records.length === 8));
  const dropped = planBatches(chunks, 3, { rowsPerBatch: 8, shuffle: true, seed: 3, epoch: 1, dropLast: true });
  t.true(dropped.every((b) => b.records.length === 8));
  t.is(dropped.length, Math.floor(items.length / 8));
});

test('full chunks lead each batch, T consecutive steps of one patient; a cut chunk is not full', (t) => {
  for (const batch of planBatches(chunks, 3, { rowsPerBatch: 7, shuffle: true, seed: 5, epoch: 0, dropLast: true })) {
    for (let c = 0; c < batch.fullChunks; c++) {
      const rows = batch.records.slice(c * 3, c * 3 + 3);
      t.is(new Set(rows.map((r) => r.subjectId)).size, 1);
      t.deepEqual(Array.from(batch.stepIndex.slice(c * 3, c * 3 + 3)), [0, 1, 2]);
    }
    // Rows after the full chunks belong to short (or cut) chunks.
    const fullRows = batch.fullChunks * 3;
    const rest = batch.records.slice(fullRows);
    const perChunk = new Map<number, number>();
    rest.forEach((_, i) => perChunk.set(batch.chunkIndex[fullRows + i]!, (perChunk.get(batch.chunkIndex[fullRows + i]!) ?? 0) + 1));
    t.true([...perChunk.values()].every((n) => n < 3));
  }
});

test('exactly one of chunksPerBatch and rowsPerBatch', (t) => {
  t.throws(() => planBatches(chunks, 3, { shuffle: false, seed: 0, epoch: 0 }), { message: /exactly one/ });
  t.throws(() => planBatches(chunks, 3, { chunksPerBatch: 2, rowsPerBatch: 4, shuffle: false, seed: 0, epoch: 0 }), { message: /exactly one/ });
  t.throws(() => planBatches(chunks, 3, { rowsPerBatch: 0, shuffle: false, seed: 0, epoch: 0 }), { message: /rowsPerBatch must be a positive integer/ });
});
