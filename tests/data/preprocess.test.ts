import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DataError } from '../../lib/data/errors.ts';
import type { GrayImage8 } from '../../lib/data/gray_image.ts';
import { readGrayImage } from '../../lib/data/image_io.ts';
import { areaResize, letterboxGeometry, preprocessImage, resizeAndPad } from '../../lib/data/preprocess.ts';
import { realFixture, writeTemporaryFile } from './fixture_paths.ts';

/** Written by tests/fixtures/make_preprocess_refs.py (OpenCV INTER_AREA + MGCA's padding, and Pillow's reduce). */
interface RefCase {
  name: string;
  region: [number, number, number, number];
  size: number;
  geometry: { width: number; height: number; left: number; top: number };
  cv2: string;
  mean: number;
  pillowReduce?: string;
}
const refs = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/preprocess/preprocess_refs.json', import.meta.url)), 'utf8')) as { cases: RefCase[] };
const NIH = realFixture('nih-00000001_000.png');

function region(image: GrayImage8, [x0, y0, x1, y1]: RefCase['region']): GrayImage8 {
  const width = x1 - x0;
  const data = new Uint8Array(width * (y1 - y0));
  for (let y = y0; y < y1; y++) data.set(image.data.subarray(y * image.width + x0, y * image.width + x1), (y - y0) * width);
  return { width, height: y1 - y0, data };
}

function differences(a: Uint8Array, b: Uint8Array): { count: number; max: number } {
  let count = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > 0) count++;
    max = Math.max(max, d);
  }
  return { count, max };
}

for (const ref of refs.cases) {
  test(`matches OpenCV INTER_AREA + centred padding on the NIH film: ${ref.name}`, async (t) => {
    const image = region(await readGrayImage(NIH), ref.region);
    t.deepEqual(letterboxGeometry(image.width, image.height, ref.size), { size: ref.size, ...ref.geometry });
    const ours = resizeAndPad(image, ref.size);
    t.is(ours.length, ref.size * ref.size);
    // Exact integer area sums rounded half to even, as OpenCV: identical bytes on every case
    // here (integer factors 4/8/16 and the float path at 5.12). Tolerance 0: any drift is a bug.
    t.deepEqual(differences(ours, Buffer.from(ref.cv2, 'base64')), { count: 0, max: 0 });
    if (ref.pillowReduce) {
      // Pillow's reduce rounds ties up, OpenCV/medst to even: only ties (sum ≡ area/2) may differ, by 1.
      const pillow = differences(ours, Buffer.from(ref.pillowReduce, 'base64'));
      t.true(pillow.max <= 1);
      t.true(pillow.count <= ours.length * 0.05, `${pillow.count} tie differences`);
    }
  });
}

test('preprocessImage reads the file itself (path, PNG bytes, decoded image give the same pixels)', async (t) => {
  const full = refs.cases.find((c) => c.name === 'full-s64')!;
  const expected = new Uint8Array(Buffer.from(full.cv2, 'base64'));
  t.deepEqual(await preprocessImage(NIH, 64), expected);
  t.deepEqual(await preprocessImage(new Uint8Array(readFileSync(NIH)), 64), expected);
  t.deepEqual(await preprocessImage(await readGrayImage(NIH), 64), expected);
});

test('padding geometry of non-square inputs: centred, odd pixel after the image', (t) => {
  t.deepEqual(letterboxGeometry(300, 200, 64), { size: 64, width: 64, height: 42, left: 0, top: 11 });
  t.deepEqual(letterboxGeometry(200, 301, 64), { size: 64, width: 42, height: 64, left: 11, top: 0 });
  t.deepEqual(letterboxGeometry(7, 7, 4), { size: 4, width: 4, height: 4, left: 0, top: 0 });
  t.deepEqual(letterboxGeometry(1000, 1, 8), { size: 8, width: 8, height: 1, left: 0, top: 3 }); // never 0 rows

  // A 6×3 image of 200s into S=4: 4×2 block in rows 1..2, zeros elsewhere.
  const out = resizeAndPad({ width: 6, height: 3, data: new Uint8Array(18).fill(200) }, 4);
  t.deepEqual(Array.from(out), [0, 0, 0, 0, 200, 200, 200, 200, 200, 200, 200, 200, 0, 0, 0, 0]);
});

test('areaResize averages exactly: block means, fractional coverage, ties to even', (t) => {
  // 4×1 → 2×1: block means (1+2)/2 = 1.5 → 2 (even), (3+4)/2 = 3.5 → 4.
  t.deepEqual(Array.from(areaResize({ width: 4, height: 1, data: Uint8Array.from([1, 2, 3, 4]) }, 2, 1).data), [2, 4]);
  // 2×1 → 1×1: (2+3)/2 = 2.5 → 2 (even).
  t.deepEqual(Array.from(areaResize({ width: 2, height: 1, data: Uint8Array.from([2, 3]) }, 1, 1).data), [2]);
  // 3×1 → 2×1: output 0 covers pixel 0 and half of pixel 1: (0·1 + 90·0.5)/1.5 = 30; output 1: (90·0.5 + 30)/1.5 = 50.
  t.deepEqual(Array.from(areaResize({ width: 3, height: 1, data: Uint8Array.from([0, 90, 30]) }, 2, 1).data), [30, 50]);
  // Upscaling repeats pixels (box coverage).
  t.deepEqual(Array.from(areaResize({ width: 2, height: 1, data: Uint8Array.from([10, 20]) }, 4, 1).data), [10, 10, 20, 20]);
});

/** Area resample by definition, in doubles: output (x, y) is the coverage-weighted mean of the input it covers. */
function naiveArea(image: GrayImage8, width: number, height: number): Uint8Array {
  const overlap = (lo: number, hi: number, i: number) => Math.max(0, Math.min(hi, i + 1) - Math.max(lo, i));
  const out = new Uint8Array(width * height);
  const sx = image.width / width;
  const sy = image.height / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let iy = Math.floor(y * sy); iy < Math.min(image.height, Math.ceil((y + 1) * sy)); iy++) {
        const wy = overlap(y * sy, (y + 1) * sy, iy);
        for (let ix = Math.floor(x * sx); ix < Math.min(image.width, Math.ceil((x + 1) * sx)); ix++) {
          sum += wy * overlap(x * sx, (x + 1) * sx, ix) * image.data[iy * image.width + ix]!;
        }
      }
      out[y * width + x] = Math.round(sum / (sx * sy));
    }
  }
  return out;
}

test('areaResize equals the area definition on random sizes (full and partial rows/columns)', (t) => {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (const [w, h, ow, oh] of [[37, 23, 10, 7], [64, 48, 16, 12], [101, 77, 13, 77], [300, 250, 26, 21], [9, 200, 9, 17]] as const) {
    const image = { width: w, height: h, data: Uint8Array.from({ length: w * h }, () => next() & 255) };
    const ours = areaResize(image, ow, oh).data;
    // Doubles round ties by accident of representation, so the definition may differ by 1 on ties only.
    const diff = differences(ours, naiveArea(image, ow, oh));
    t.true(diff.max <= 1, `${w}×${h}→${ow}×${oh}: max ${diff.max}`);
    t.true(diff.count <= ours.length * 0.05, `${w}×${h}→${ow}×${oh}: ${diff.count} differ`);
  }
});

test('JPEG input through sharp, and errors name the file', async (t) => {
  const pixels = new Uint8Array(40 * 20).map((_, i) => (i * 37) % 251);
  const jpeg = await sharp(pixels, { raw: { width: 40, height: 20, channels: 1 } }).jpeg({ quality: 95 }).toBuffer();
  const path = writeTemporaryFile('small.jpg', jpeg);
  const fromFile = await preprocessImage(path, 16);
  t.is(fromFile.length, 256);
  t.deepEqual(Array.from(fromFile.subarray(0, 16 * 4)), new Array(64).fill(0)); // 16×8 image, 4 zero rows above
  const bad = writeTemporaryFile('broken.jpg', 'not an image at all');
  const error = await t.throwsAsync(preprocessImage(bad, 16), { instanceOf: DataError });
  t.true(error!.message.startsWith(`${bad}: `), error!.message);
  const fromBytes = await t.throwsAsync(preprocessImage(new Uint8Array([1, 2, 3]), 16, { name: 'upload-7' }), { instanceOf: DataError });
  t.regex(fromBytes!.message, /^upload-7: /);
  const wrong = await t.throwsAsync(preprocessImage({ width: 4, height: 4, data: new Uint8Array(3) }, 16, { name: 'frame-2' }), { instanceOf: DataError });
  t.regex(wrong!.message, /^frame-2: image data holds 3 bytes/);
});
