import test from 'ava';
import { mkdtempSync, openSync, closeSync, readFileSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unitScaleTable } from '../../lib/data/augment.ts';
import { DataError } from '../../lib/data/errors.ts';
import { IMAGE_STORE_FILES, ImageStore, ImageStoreWriter } from '../../lib/data/image_store.ts';
import { Rng } from '../../lib/util/rng.ts';

const SIZE = 8;

function freshDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'medst-store-')), 'store');
}

function image(seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: SIZE * SIZE }, () => rng.int(0, 255));
}

test('round trip: write N, reopen, read back identical bytes (preloaded and via the fd)', (t) => {
  const dir = freshDir();
  const writer = ImageStoreWriter.open(dir, { size: SIZE, commitEvery: 4 });
  for (let i = 0; i < 10; i++) t.is(writer.append(`p${i}/s${i}.jpg`, image(i)), i);
  writer.close();
  for (const preload of [true, false]) {
    const store = ImageStore.open(dir, { preload });
    t.is(store.preloaded, preload);
    t.is(store.count, 10);
    t.is(store.size, SIZE);
    t.deepEqual(store.ids, Array.from({ length: 10 }, (_, i) => `p${i}/s${i}.jpg`));
    for (let i = 0; i < 10; i++) t.deepEqual(store.read(i), image(i));
    t.deepEqual(store.read('p3/s3.jpg'), image(3));
    t.true(store.has('p9/s9.jpg'));
    t.false(store.has('p10/s10.jpg'));
    // A batch mixing a consecutive run (4, 5, 6) with random records, into a larger buffer.
    const records = [4, 5, 6, 0, 9, 9];
    const out = new Uint8Array((records.length + 1) * SIZE * SIZE).fill(7);
    store.readBatch(records, out);
    records.forEach((r, k) => t.deepEqual(out.subarray(k * SIZE * SIZE, (k + 1) * SIZE * SIZE), image(r)));
    t.true(out.subarray(records.length * SIZE * SIZE).every((v) => v === 7));
    const unit = store.readBatchUnit([2], new Float32Array(SIZE * SIZE));
    t.deepEqual(unit, Float32Array.from(image(2), (v) => unitScaleTable()[v]!));
    store.close();
  }
  t.is(statSync(join(dir, IMAGE_STORE_FILES.data)).size, 64 + 10 * SIZE * SIZE);
});

test('resume after an interrupted write: uncommitted records are dropped, then writing goes on', (t) => {
  const dir = freshDir();
  const first = ImageStoreWriter.open(dir, { size: SIZE, commitEvery: 0 });
  for (let i = 0; i < 3; i++) first.append(`a${i}`, image(i));
  first.commit();
  for (let i = 3; i < 5; i++) first.append(`a${i}`, image(i));
  first.abandon(); // as a crash: records 3 and 4 are on disk but never committed
  t.is(statSync(join(dir, IMAGE_STORE_FILES.data)).size, 64 + 5 * SIZE * SIZE);

  const reader = ImageStore.open(dir);
  t.is(reader.count, 3);
  t.false(reader.has('a3'));
  reader.close();

  const resumed = ImageStoreWriter.open(dir, { size: SIZE });
  t.is(resumed.count, 3);
  t.is(statSync(join(dir, IMAGE_STORE_FILES.data)).size, 64 + 3 * SIZE * SIZE); // truncated
  t.true(resumed.has('a2'));
  t.false(resumed.has('a3'));
  for (let i = 3; i < 6; i++) if (!resumed.has(`a${i}`)) resumed.append(`a${i}`, image(100 + i));
  resumed.close();

  const store = ImageStore.open(dir, { preload: false });
  t.deepEqual(store.ids, ['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
  t.deepEqual(store.read('a1'), image(1));
  t.deepEqual(store.read('a4'), image(104));
  store.close();
});

test('writer checks record size, duplicates and the store size', (t) => {
  const dir = freshDir();
  const writer = ImageStoreWriter.open(dir, { size: SIZE });
  writer.append('x', image(1));
  t.throws(() => writer.append('y', new Uint8Array(10)), { instanceOf: DataError, message: /"y" has 10 bytes, the store's records are 8×8 = 64/ });
  t.throws(() => writer.append('x', image(2)), { instanceOf: DataError, message: /duplicate image id "x"/ });
  writer.close();
  const error = t.throws(() => ImageStoreWriter.open(dir, { size: 16 }), { instanceOf: DataError });
  t.is(error!.file, join(dir, IMAGE_STORE_FILES.state));
  t.regex(error!.message, /wrong size: the store holds 8×8 images, 16×16 were asked for/);
  t.throws(() => ImageStoreWriter.open(freshDir()), { message: /no image store here; pass `size`/ });
});

test('a corrupt header, a truncated file and an unknown id give errors naming the file', (t) => {
  const dir = freshDir();
  const writer = ImageStoreWriter.open(dir, { size: SIZE });
  for (let i = 0; i < 3; i++) writer.append(`id${i}`, image(i));
  writer.close();
  const dataPath = join(dir, IMAGE_STORE_FILES.data);

  const store = ImageStore.open(dir);
  const unknown = t.throws(() => store.read('nope'), { instanceOf: DataError });
  t.is(unknown!.message, `${join(dir, IMAGE_STORE_FILES.ids)}: unknown image id "nope"`);
  t.throws(() => store.read(3), { instanceOf: DataError, message: /record 3 out of range \[0, 3\)/ });
  store.close();

  // Overwrite the magic.
  const original = readFileSync(dataPath);
  const fd = openSync(dataPath, 'r+');
  writeSync(fd, Buffer.from('GARBAGE!'), 0, 8, 0);
  closeSync(fd);
  const corrupt = t.throws(() => ImageStore.open(dir), { instanceOf: DataError });
  t.is(corrupt!.file, dataPath);
  t.regex(corrupt!.message, /corrupt header: not a medst image store data file \(magic "GARBAGE!"\)/);
  t.throws(() => ImageStoreWriter.open(dir), { instanceOf: DataError, message: /corrupt header/ });

  // Restore the header but cut the records short.
  const cut = openSync(dataPath, 'w');
  writeSync(cut, original, 0, 64 + 2 * SIZE * SIZE, 0);
  closeSync(cut);
  t.throws(() => ImageStore.open(dir), { instanceOf: DataError, message: /truncated: holds 2 records, store\.json commits 3/ });

  // A damaged state file.
  const stateDir = freshDir();
  ImageStoreWriter.open(stateDir, { size: SIZE }).close();
  const stateFd = openSync(join(stateDir, IMAGE_STORE_FILES.state), 'w');
  writeSync(stateFd, '{"format": "medst-image-store", "version": 1, "size": 8, "count": "x"');
  closeSync(stateFd);
  t.throws(() => ImageStore.open(stateDir), { instanceOf: DataError, message: /store\.json: corrupt store state/ });
});
