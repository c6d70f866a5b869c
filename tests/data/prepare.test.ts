/**
 * Dataset preparation on a hand-made MIMIC-CXR-JPG tree with every kind of bad
 * input: clear messages naming file and row, skip-and-count by default, strict
 * mode, and a resumable image store.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { DataError } from '../../lib/data/errors.ts';
import { ImageStore, ImageStoreWriter } from '../../lib/data/image_store.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir, mergePreparedShards, prepareDataset, PREPARE_LOCK_FILE } from '../../lib/data/prepare.ts';
import { DirLockedError } from '../../lib/util/dir_lock.ts';
import { spawnSync } from 'node:child_process';
import { defaultPrepareConcurrency } from '../../lib/data/prepare_concurrency.ts';
import { preprocessImage } from '../../lib/data/preprocess.ts';

const META_HEADER = 'dicom_id,subject_id,study_id,PerformedProcedureStepDescription,ViewPosition,Rows,Columns,StudyDate,StudyTime,ProcedureCodeSequence_CodeMeaning,ViewCodeSequence_CodeMeaning,PatientOrientationCodeSequence_CodeMeaning';
const REPORT = 'FINDINGS: The lungs are clear. No pleural effusion.\nIMPRESSION: No acute cardiopulmonary process.';

interface ImageSpec {
  id: string;
  subject: number;
  study: number;
  view: string;
  date: string;
  /** 'ok' (a JPEG), 'corrupt' (garbage bytes) or 'missing' (no file). */
  file?: 'ok' | 'corrupt' | 'missing';
}

async function makeTree(images: ImageSpec[], reports: Record<number, string | null>, extraMetadataLines: string[] = []): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-prep-'));
  const meta = [META_HEADER];
  const split = ['dicom_id,study_id,subject_id,split'];
  for (const [n, image] of images.entries()) {
    meta.push(`${image.id},${image.subject},${image.study},CHEST,${image.view},64,48,${image.date},120000.000,,,`);
    split.push(`${image.id},${image.study},${image.subject},train`);
    const dir = path.join(root, 'files', `p${String(image.subject).slice(0, 2)}`, `p${image.subject}`, `s${image.study}`);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${image.id}.jpg`);
    if ((image.file ?? 'ok') === 'ok') {
      // Distinct content per image: a gradient offset by its index.
      const pixels = Buffer.alloc(64 * 48);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (i + n * 37) % 256;
      await sharp(pixels, { raw: { width: 48, height: 64, channels: 1 } }).jpeg({ quality: 95 }).toFile(file);
    } else if (image.file === 'corrupt') {
      fs.writeFileSync(file, 'this is not a jpeg');
    }
  }
  for (const [study, text] of Object.entries(reports)) {
    const subject = images.find((i) => i.study === Number(study))!.subject;
    if (text !== null) fs.writeFileSync(path.join(root, 'files', `p${String(subject).slice(0, 2)}`, `p${subject}`, `s${study}.txt`), text);
  }
  fs.writeFileSync(path.join(root, 'mimic-cxr-2.0.0-metadata.csv'), [...meta, ...extraMetadataLines].join('\n') + '\n');
  fs.writeFileSync(path.join(root, 'mimic-cxr-2.0.0-split.csv'), split.join('\n') + '\n');
  return root;
}

const goodImages: ImageSpec[] = [
  { id: 'f1', subject: 10000001, study: 50000001, view: 'PA', date: '21500101' },
  { id: 'l1', subject: 10000001, study: 50000001, view: 'LATERAL', date: '21500101' },
  { id: 'f2', subject: 10000001, study: 50000002, view: 'AP', date: '21500301' },
  { id: 'f3', subject: 10000002, study: 50000003, view: 'PA', date: '21500101' },
];

test('a clean tree becomes a manifest with paired laterals and an image store of preprocessed images', async (t) => {
  const root = await makeTree(goodImages, { 50000001: REPORT, 50000002: REPORT, 50000003: REPORT });
  const out = path.join(root, 'prepared');
  const result = await prepareDataset({ mimicRoot: root, outDir: out, size: 32 });
  t.is(result.issues.total, 0);
  const { records, info } = readManifest(out);
  t.deepEqual(records.map((r) => [r.id, r.lateral?.id ?? null]), [['f1', 'l1'], ['f2', null], ['f3', null]]);
  t.is(info.records, 3);
  t.is(info.withLateral, 1);
  t.deepEqual(records[0]!.report.sentences, ['no acute cardiopulmonary process', 'the lungs are clear', 'no pleural effusion']);
  const store = ImageStore.open(imageStoreDir(out, 32));
  t.is(store.count, 4);
  // Stored pixels are exactly the library's preprocessing of the file.
  const expected = await preprocessImage(path.join(root, records[0]!.imagePath), 32);
  t.deepEqual(store.read('f1'), expected);
  store.close();
});

test('bad input is skipped and counted, each message naming the file and row or id', async (t) => {
  const images: ImageSpec[] = [
    ...goodImages,
    { id: 'corrupt', subject: 10000003, study: 50000004, view: 'PA', date: '21500101', file: 'corrupt' },
    { id: 'nofile', subject: 10000003, study: 50000005, view: 'PA', date: '21500201', file: 'missing' },
    { id: 'emptyrep', subject: 10000004, study: 50000006, view: 'PA', date: '21500101' },
    { id: 'odd', subject: 10000004, study: 50000007, view: 'SKYWARD', date: '21500101' },
    { id: 'norep', subject: 10000005, study: 50000008, view: 'AP', date: '21500101' },
  ];
  const reports = { 50000001: REPORT, 50000002: REPORT, 50000003: REPORT, 50000004: REPORT, 50000005: REPORT, 50000006: 'FINDINGS:\nIMPRESSION:\n', 50000007: REPORT, 50000008: null };
  const root = await makeTree(images, reports, ['broken,row']);
  const result = await prepareDataset({ mimicRoot: root, outDir: path.join(root, 'out'), size: 32 });
  t.deepEqual(result.records.map((r) => r.id), ['f1', 'f2', 'f3']);
  const counts = result.issues.counts();
  t.is(counts['malformed-row'], 1);
  t.is(counts['unknown-view'], 1);
  t.is(counts['empty-report'], 1);
  t.is(counts['bad-file'], 3); // corrupt image, missing image, missing report
  const messages = result.issues.summary();
  t.regex(messages, /mimic-cxr-2\.0\.0-metadata\.csv: row 10 \(line 11\)/, 'the malformed CSV row is named');
  t.regex(messages, /mimic-cxr-2\.0\.0-metadata\.csv: row 8 \(line 9\), field "ViewPosition": unknown ViewPosition "SKYWARD"/);
  t.regex(messages, /corrupt\.jpg/);
  t.regex(messages, /mimic-cxr-2\.0\.0-metadata\.csv: row 6 \(line 7\): image files\/p10\/p10000003\/s50000005\/nofile\.jpg \(dicom_id nofile\) is missing/);
  t.regex(messages, /s50000006\.txt: no impression and no findings/);
  t.regex(messages, /s50000008\.txt: report of study 50000008 is missing/);
});

test('--strict stops at the first problem with its location', async (t) => {
  const root = await makeTree([...goodImages, { id: 'nofile', subject: 10000003, study: 50000005, view: 'PA', date: '21500201', file: 'missing' }], {
    50000001: REPORT,
    50000002: REPORT,
    50000003: REPORT,
    50000005: REPORT,
  });
  const error = await t.throwsAsync(prepareDataset({ mimicRoot: root, outDir: path.join(root, 'out'), size: 32, strict: true }), { instanceOf: DataError });
  t.regex(error!.message, /^mimic-cxr-2\.0\.0-metadata\.csv: row 5 \(line 6\): image .*nofile\.jpg \(dicom_id nofile\) is missing/);
  t.false(fs.existsSync(path.join(root, 'out', 'manifest.jsonl')), 'no manifest from a failed strict run');
});

test('an interrupted preparation resumes without redoing stored images and gives the same result', async (t) => {
  const root = await makeTree(goodImages, { 50000001: REPORT, 50000002: REPORT, 50000003: REPORT });
  const fresh = await prepareDataset({ mimicRoot: root, outDir: path.join(root, 'fresh'), size: 32 });
  // An interrupted run: two images committed, a third written but never committed, no manifest.
  const out = path.join(root, 'resumed');
  const writer = ImageStoreWriter.open(imageStoreDir(out, 32), { size: 32, commitEvery: 0 });
  writer.append('f1', await preprocessImage(path.join(root, fresh.records[0]!.imagePath), 32));
  writer.append('l1', await preprocessImage(path.join(root, fresh.records[0]!.lateral!.imagePath), 32));
  writer.commit();
  writer.append('f2', new Uint8Array(32 * 32).fill(7)); // half-done work
  writer.abandon();
  t.false(fs.existsSync(path.join(out, 'manifest.jsonl')));
  const resumed = await prepareDataset({ mimicRoot: root, outDir: out, size: 32 });
  t.is(resumed.imagesReused, 2);
  t.is(resumed.imagesDecoded, 2);
  t.deepEqual(resumed.records, fresh.records);
  const a = ImageStore.open(imageStoreDir(path.join(root, 'fresh'), 32));
  const b = ImageStore.open(imageStoreDir(out, 32));
  for (const id of ['f1', 'l1', 'f2', 'f3']) t.deepEqual(b.read(id), a.read(id), id);
  a.close();
  b.close();
});

test('a missing metadata file is an error naming it', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-prep-'));
  await t.throwsAsync(prepareDataset({ mimicRoot: root, outDir: path.join(root, 'out'), size: 32 }), { message: /mimic-cxr-2\.0\.0-metadata\.csv: required file is missing/ });
});

test('the image store is the same bytes whether images decode one or several at a time, on the main thread or in workers', async (t) => {
  const many: ImageSpec[] = Array.from({ length: 12 }, (_, i) => ({ id: `f${i}`, subject: 10000100 + (i % 3), study: 50000100 + i, view: i % 4 === 1 ? 'LATERAL' : 'PA', date: `2150010${1 + (i % 9)}` }));
  const reports = Object.fromEntries(many.map((image) => [image.study, REPORT]));
  const root = await makeTree(many, reports);
  const storeBytes = async (concurrency: number, poolMinImages?: number): Promise<Buffer[]> => {
    const out = path.join(root, `prepared-${concurrency}-${poolMinImages}`);
    await prepareDataset({ mimicRoot: root, outDir: out, size: 16, concurrency, poolMinImages });
    const dir = imageStoreDir(out, 16);
    return fs.readdirSync(dir).sort().map((name) => fs.readFileSync(path.join(dir, name)));
  };
  const one = await storeBytes(1);
  t.true(one.length >= 2);
  t.deepEqual(await storeBytes(5), one);
  t.deepEqual(await storeBytes(3, 0), one, 'through three decode workers');
});

test('default decode workers: one per core', (t) => {
  t.is(defaultPrepareConcurrency(1), 1);
  t.is(defaultPrepareConcurrency(2), 2);
  t.is(defaultPrepareConcurrency(16), 16);
});

test('every metadata row is used or counted as dropped, by reason, with its row', async (t) => {
  const images: ImageSpec[] = [
    ...goodImages,
    { id: 'l1b', subject: 10000001, study: 50000001, view: 'LATERAL', date: '21500101' }, // a second lateral
    { id: 'xt', subject: 10000001, study: 50000001, view: 'XTABLE LATERAL', date: '21500101' },
    { id: 'lonely', subject: 10000002, study: 50000009, view: 'LL', date: '21500401' }, // no frontal in its study
    { id: 'corrupt', subject: 10000003, study: 50000004, view: 'PA', date: '21500101', file: 'corrupt' },
    { id: 'norep', subject: 10000005, study: 50000008, view: 'AP', date: '21500101' },
  ];
  const root = await makeTree(images, { 50000001: REPORT, 50000002: REPORT, 50000003: REPORT, 50000004: REPORT, 50000008: null }, ['broken,row']);
  const result = await prepareDataset({ mimicRoot: root, outDir: path.join(root, 'out'), size: 16 });
  const account = result.info.metadataRows!;
  t.is(account.read, 10);
  t.is(account.used, 4); // f1 + l1, f2, f3
  t.deepEqual(account.dropped, { 'extra-lateral': 1, 'unused-view': 1, 'no-frontal': 1, 'undecodable-image': 1, 'no-report': 1, 'unreadable-row': 1 });
  t.deepEqual(account.examples['unused-view'], ['row 6 (line 7): ViewPosition "XTABLE LATERAL" is neither frontal nor lateral']);
  t.regex(account.examples['extra-lateral']![0]!, /^row 5 \(line 6\): study 50000001 already has lateral l1/);
  t.regex(account.examples['unreadable-row']![0]!, /^row 10 \(line 11\): expected 12 fields/);
  t.regex(account.examples['no-report']![0]!, /^row 9 \(line 10\)/);
  // The same account is in manifest.json.
  t.deepEqual(readManifest(path.join(root, 'out')).info.metadataRows, account);
});

test('a stray quote in the metadata costs its row only (12 patients)', async (t) => {
  const images: ImageSpec[] = Array.from({ length: 12 }, (_, i) => ({ id: `f${i}`, subject: 10000200 + i, study: 50000200 + i, view: 'AP', date: '21500101' }));
  const root = await makeTree(images, Object.fromEntries(images.map((image) => [image.study, REPORT])));
  const metadata = path.join(root, 'mimic-cxr-2.0.0-metadata.csv');
  const lines = fs.readFileSync(metadata, 'utf8').split('\n');
  lines[3] = lines[3]!.replace(',CHEST,', ',"CHEST (PORTABLE AP),');
  fs.writeFileSync(metadata, lines.join('\n'));
  const result = await prepareDataset({ mimicRoot: root, outDir: path.join(root, 'out'), size: 16 });
  t.is(result.records.length, 11);
  t.false(result.records.some((record) => record.id === 'f2'));
  t.is(result.issues.count('malformed-row'), 1);
  t.deepEqual(result.info.metadataRows!.dropped, { 'unreadable-row': 1 });
  t.regex(result.info.metadataRows!.examples['unreadable-row']![0]!, /^row 3 \(line 4\): malformed quoting/);
});

test('two preparations cannot share a folder; a lock left by a dead run is taken over', async (t) => {
  const root = await makeTree(goodImages, { 50000001: REPORT, 50000002: REPORT, 50000003: REPORT });
  const out = path.join(root, 'out');
  fs.mkdirSync(out, { recursive: true });
  const lockFile = path.join(out, PREPARE_LOCK_FILE);
  // A live holder: this test's parent process.
  fs.writeFileSync(lockFile, JSON.stringify({ pid: process.ppid, host: os.hostname(), started: '2026-01-01T00:00:00.000Z', purpose: 'medst prepare (whole tree)' }));
  const error = await t.throwsAsync(prepareDataset({ mimicRoot: root, outDir: out, size: 16 }), { instanceOf: DirLockedError });
  t.regex(error!.message, new RegExp(`in use by medst prepare \\(whole tree\\) \\(pid ${process.ppid} on ${os.hostname()}`));
  t.false(fs.existsSync(path.join(out, 'manifest.jsonl')));
  // A holder that has exited.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  fs.writeFileSync(lockFile, JSON.stringify({ pid: Number(dead.stdout.toString()), host: os.hostname(), started: 'then', purpose: 'medst prepare (whole tree)' }));
  const result = await prepareDataset({ mimicRoot: root, outDir: out, size: 16 });
  t.is(result.tookOverLockFrom?.pid, Number(dead.stdout.toString()));
  t.is(result.records.length, 3);
  t.false(fs.existsSync(lockFile), 'released at the end');
  // While a run holds the lock, a second one in the same process is refused.
  const first = prepareDataset({ mimicRoot: root, outDir: out, size: 16 });
  await t.throwsAsync(prepareDataset({ mimicRoot: root, outDir: out, size: 16 }), { instanceOf: DirLockedError });
  await first;
});

test('sharded preparation merges into the bytes of an unsharded run', async (t) => {
  const images: ImageSpec[] = [
    ...Array.from({ length: 14 }, (_, i): ImageSpec => ({ id: `i${i}`, subject: 10000300 + (i % 5), study: 50000300 + Math.floor(i / 2), view: i % 2 ? 'LATERAL' : 'PA', date: `2150010${1 + (i % 9)}` })),
    { id: 'corrupt', subject: 10000301, study: 50000399, view: 'PA', date: '21500101', file: 'corrupt' },
  ];
  const reports = Object.fromEntries(images.map((image) => [image.study, REPORT]));
  const root = await makeTree(images, reports, ['broken,row']);
  const whole = path.join(root, 'whole');
  await prepareDataset({ mimicRoot: root, outDir: whole, size: 16 });
  const shardDirs = [1, 2, 3].map((index) => path.join(root, `shard-${index}`));
  const shardRecords: number[] = [];
  for (const [k, dir] of shardDirs.entries()) {
    const shard = await prepareDataset({ mimicRoot: root, outDir: dir, size: 16, shard: { index: k + 1, count: 3 } });
    t.true(shard.records.every((record) => record.subjectId % 3 === k));
    shardRecords.push(shard.records.length);
  }
  t.true(shardRecords.every((n) => n > 0));
  const merged = path.join(root, 'merged');
  const result = await mergePreparedShards({ mimicRoot: root, shardDirs: [...shardDirs].reverse(), outDir: merged });
  t.is(result.records.length, shardRecords.reduce((a, b) => a + b, 0));
  t.is(result.issues.count('bad-file'), 1, 'the corrupt image is reported once, as in the whole run');
  const files = (dir: string) => fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name))).sort();
  t.deepEqual(files(merged), files(whole));
  for (const file of files(whole)) t.deepEqual(fs.readFileSync(path.join(merged, file)), fs.readFileSync(path.join(whole, file)), file);
  // Incomplete or mismatched shard sets are refused.
  await t.throwsAsync(mergePreparedShards({ mimicRoot: root, shardDirs: shardDirs.slice(0, 2), outDir: path.join(root, 'm2') }), { message: /shard\(s\) 3\/3 missing/ });
  await t.throwsAsync(mergePreparedShards({ mimicRoot: root, shardDirs: [shardDirs[0]!, shardDirs[0]!, shardDirs[1]!], outDir: path.join(root, 'm3') }), { message: /shard 1\/3 given twice/ });
  await t.throwsAsync(mergePreparedShards({ mimicRoot: root, shardDirs: [whole], outDir: path.join(root, 'm4') }), { message: /not the output of `prepare --shard`/ });
});
