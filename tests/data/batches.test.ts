/**
 * The batch pipeline end to end on a small generated cohort: prepared store →
 * loader → typed arrays → tensors, checked against the store and the tokenizer.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCohort } from '../../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import { centreCropOffset, cropToUnit } from '../../lib/data/augment.ts';
import { BatchLoader, toTensors, type BatchLoaderConfig, type HostBatch } from '../../lib/data/batches.ts';
import { ImageStore } from '../../lib/data/image_store.ts';
import type { ManifestRecord } from '../../lib/data/manifest.ts';
import { imageStoreDir, prepareDataset } from '../../lib/data/prepare.ts';
import { createTokenizer, type WordPieceTokenizer } from '../../lib/data/tokenizer/index.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

let storeDir = '';
let records: ManifestRecord[] = [];
let tokenizer: WordPieceTokenizer;
const config: BatchLoaderConfig = { chunkLength: 3, chunksPerBatch: 4, crop: 56, augment: true, shuffle: true, seed: 11, maxTokens: 40 };

test.before(async () => {
  await nativeBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-batches-'));
  await generateCohort(resolveSynthConfig({ out: path.join(dir, 'cohort'), patients: 8, size: 128, seed: 5, workers: 0 }));
  const prepared = await prepareDataset({ mimicRoot: path.join(dir, 'cohort'), outDir: path.join(dir, 'prepared'), size: 64 });
  records = prepared.records;
  storeDir = imageStoreDir(path.join(dir, 'prepared'), 64);
  tokenizer = await createTokenizer({ kind: 'corpus', corpus: records.map((r) => r.report.text), build: { vocabSize: 400 } });
});

async function collect(loader: BatchLoader, epoch: number, start = 0): Promise<HostBatch[]> {
  const out: HostBatch[] = [];
  for await (const batch of loader.epoch(epoch, start)) out.push(batch);
  return out;
}

test('the loader counts the reports longer than maxTokens, as single encodes see them', async (t) => {
  const cut = (maxTokens: number) => records.filter((r) => tokenizer.encode(r.report.text, { padding: 'none', truncation: false }).inputIds.length > maxTokens).length;
  for (const maxTokens of [16, 40, 512]) {
    const loader = new BatchLoader(storeDir, records, tokenizer, { ...config, maxTokens, useWorker: false });
    t.is(loader.truncatedReports, cut(maxTokens), `maxTokens ${maxTokens}`);
    await loader.close();
  }
  t.true(cut(16) > 0);
  t.is(cut(512), 0);
});

test.serial('every record appears once per epoch with its own lateral, tokens and the chunk structure', async (t) => {
  const loader = new BatchLoader(storeDir, records, tokenizer, config);
  const batches = await collect(loader, 0);
  await loader.close();
  t.is(batches.length, loader.batchesPerEpoch());
  t.deepEqual(batches.flatMap((b) => b.records.map((r) => r.id)).sort(), records.map((r) => r.id).sort());
  for (const batch of batches) {
    const l = batch.maxTokens;
    batch.records.forEach((record, row) => {
      t.is(batch.lateralPresent[row], record.lateral ? 1 : 0);
      const encoded = tokenizer.encode(record.report.text, { maxLength: l, padding: 'max_length', truncation: true });
      t.deepEqual(batch.inputIds.subarray(row * l, (row + 1) * l), encoded.inputIds);
      t.deepEqual(batch.wordIds.subarray(row * l, (row + 1) * l), encoded.wordIds);
      if (!record.lateral) t.true(batch.lateral.subarray(row * 56 * 56, (row + 1) * 56 * 56).every((v) => v === 0));
    });
    // Full chunks first: T consecutive rows of one patient in time order.
    for (let c = 0; c < batch.fullChunks; c++) {
      const rows = batch.records.slice(c * 3, c * 3 + 3);
      t.true(rows.every((r) => r.subjectId === rows[0]!.subjectId));
      t.true(rows[0]!.timestamp <= rows[1]!.timestamp && rows[1]!.timestamp <= rows[2]!.timestamp);
    }
    t.true(batch.frontal.every((v) => v >= -1 && v <= 1));
  }
});

test.serial('evaluation batches are centre crops of the stored images of the right records', async (t) => {
  const loader = new BatchLoader(storeDir, records, tokenizer, { ...config, augment: false, shuffle: false });
  const [batch] = await collect(loader, 0);
  await loader.close();
  const store = ImageStore.open(storeDir);
  const expected = new Float32Array(56 * 56);
  batch!.records.forEach((record, row) => {
    cropToUnit(store.read(record.id), 64, 56, centreCropOffset(64, 56), expected);
    t.deepEqual(batch!.frontal.subarray(row * 56 * 56, (row + 1) * 56 * 56), expected, record.id);
    if (record.lateral) {
      cropToUnit(store.read(record.lateral.id), 64, 56, centreCropOffset(64, 56), expected);
      t.deepEqual(batch!.lateral.subarray(row * 56 * 56, (row + 1) * 56 * 56), expected);
    }
  });
  store.close();
});

test.serial('the worker gives the same batches as the main thread; seeds and epochs decide the order', async (t) => {
  const withWorker = new BatchLoader(storeDir, records, tokenizer, config);
  const inThread = new BatchLoader(storeDir, records, tokenizer, { ...config, useWorker: false });
  const a = await collect(withWorker, 1);
  const b = await collect(inThread, 1);
  const c = await collect(inThread, 2);
  t.deepEqual(a.map((x) => x.frontal), b.map((x) => x.frontal));
  t.deepEqual(a.map((x) => x.lateral), b.map((x) => x.lateral));
  t.deepEqual(a.map((x) => x.records.map((r) => r.id)), b.map((x) => x.records.map((r) => r.id)));
  t.notDeepEqual(a.map((x) => x.records.map((r) => r.id)), c.map((x) => x.records.map((r) => r.id)));
  // Resuming mid-epoch yields exactly the remaining batches.
  const resumed = await collect(inThread, 1, 1);
  t.deepEqual(resumed.map((x) => x.frontal), b.slice(1).map((x) => x.frontal));
  await withWorker.close();
  await inThread.close();
});

test.serial('tensors have the documented shapes and dtypes, and nothing leaks', async (t) => {
  const loader = new BatchLoader(storeDir, records, tokenizer, { ...config, useWorker: false });
  const [batch] = await collect(loader, 0);
  await loader.close();
  const before = tf.memory().numTensors;
  const tensors = toTensors(batch!);
  t.deepEqual(tensors.frontal.shape, [batch!.rows, 56, 56, 1]);
  t.deepEqual(tensors.lateral.shape, [batch!.rows, 56, 56, 1]);
  t.deepEqual(tensors.lateralPresent.shape, [batch!.rows]);
  t.deepEqual(tensors.inputIds.shape, [batch!.rows, 40]);
  t.is(tensors.inputIds.dtype, 'int32');
  t.is(tensors.attentionMask.dtype, 'int32');
  Object.values(tensors).forEach((x) => x.dispose());
  t.is(tf.memory().numTensors, before);
});

test.serial('a crop larger than the stored images and a record missing from the store are rejected', (t) => {
  t.throws(() => new BatchLoader(storeDir, records, tokenizer, { ...config, crop: 65 }), { message: /crop 65 is larger than the stored images \(64\)/ });
  const stranger = { ...records[0]!, id: 'not-in-store' };
  t.throws(() => new BatchLoader(storeDir, [stranger], tokenizer, config), { message: /image not-in-store is not in the store/ });
});
