import test from 'ava';
import { planBatches } from '../../lib/data/batch_plan.ts';
import { chunkSequences, type SequenceItem } from '../../lib/data/sequences.ts';

// 6 patients with 1..6 studies: chunk length 3 gives full and short chunks.
const records: SequenceItem[] = [];
for (let p = 1; p <= 6; p++) for (let s = 0; s < p; s++) records.push({ id: `p${p}s${s}`, subjectId: p, studyId: p * 100 + s, timestamp: s * 1000 });
const chunks = chunkSequences(records, 3);

test('every record appears exactly once per epoch, in chunks-per-batch groups', (t) => {
  const batches = planBatches(chunks, 3, { chunksPerBatch: 3, shuffle: true, seed: 7, epoch: 0 });
  t.is(batches.length, Math.ceil(chunks.length / 3));
  const ids = batches.flatMap((b) => b.records.map((r) => r.id));
  t.deepEqual([...ids].sort(), records.map((r) => r.id).sort());
});

test('full chunks come first; rows of a chunk are consecutive steps of one patient in time order', (t) => {
  for (const batch of planBatches(chunks, 3, { chunksPerBatch: 4, shuffle: true, seed: 1, epoch: 2 })) {
    const fullRows = batch.fullChunks * 3;
    for (let r = 0; r < batch.records.length; r++) {
      const inFull = r < fullRows;
      const sameChunk = Array.from(batch.chunkIndex).map((c, i) => [c, i] as const).filter(([c]) => c === batch.chunkIndex[r]).map(([, i]) => i);
      t.is(sameChunk.length === 3, inFull, `row ${r}`);
      const chunkRecords = sameChunk.map((i) => batch.records[i]!);
      t.true(chunkRecords.every((x) => x.subjectId === chunkRecords[0]!.subjectId));
      t.deepEqual(sameChunk.map((i) => batch.stepIndex[i]), sameChunk.map((_, k) => k));
      for (let k = 1; k < chunkRecords.length; k++) t.true(chunkRecords[k]!.timestamp > chunkRecords[k - 1]!.timestamp);
    }
  }
});

test('the order depends on seed and epoch only', (t) => {
  const ids = (seed: number, epoch: number) => planBatches(chunks, 3, { chunksPerBatch: 2, shuffle: true, seed, epoch }).map((b) => b.records.map((r) => r.id).join(','));
  t.deepEqual(ids(3, 0), ids(3, 0));
  t.notDeepEqual(ids(3, 0), ids(3, 1));
  t.notDeepEqual(ids(3, 0), ids(4, 0));
  const unshuffled = planBatches(chunks, 3, { chunksPerBatch: 100, shuffle: false, seed: 0, epoch: 0 })[0]!;
  // Without shuffling, chunk order is kept (full ones moved to the front).
  t.deepEqual(unshuffled.records.slice(0, 3).map((r) => r.id), ['p3s0', 'p3s1', 'p3s2']);
});

test('dropLast drops the short last batch; bad sizes are rejected', (t) => {
  const all = planBatches(chunks, 3, { chunksPerBatch: 4, shuffle: false, seed: 0, epoch: 0 });
  const dropped = planBatches(chunks, 3, { chunksPerBatch: 4, shuffle: false, seed: 0, epoch: 0, dropLast: true });
  t.is(dropped.length, Math.floor(chunks.length / 4));
  t.true(all.length > dropped.length);
  t.throws(() => planBatches(chunks, 3, { chunksPerBatch: 0, shuffle: false, seed: 0, epoch: 0 }), { message: /chunksPerBatch/ });
  t.throws(() => planBatches(chunks, 2, { chunksPerBatch: 2, shuffle: false, seed: 0, epoch: 0 }), { message: /more than chunkLength 2/ });
});

test('a last batch of a single row joins the batch before it (BatchNorm needs two rows)', (t) => {
  // 5 one-study patients, 2 chunks per batch: groups of 2, 2 and 1 row.
  const single: SequenceItem[] = [1, 2, 3, 4, 5].map((p) => ({ id: `p${p}`, subjectId: p, studyId: p, timestamp: 0 }));
  const batches = planBatches(chunkSequences(single, 2), 2, { chunksPerBatch: 2, shuffle: false, seed: 0, epoch: 0 });
  t.deepEqual(batches.map((b) => b.records.length), [2, 3]);
  t.deepEqual(batches[1]!.records.map((r) => r.id), ['p3', 'p4', 'p5']);
  const kept = planBatches(chunkSequences(single, 2), 2, { chunksPerBatch: 2, shuffle: false, seed: 0, epoch: 0, minRows: 1 });
  t.deepEqual(kept.map((b) => b.records.length), [2, 2, 1]);
});
