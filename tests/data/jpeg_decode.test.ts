/**
 * Grey JPEG decoding through libjpeg-turbo with DCT scaling: the scale rule, the
 * decoded sizes, the full decode equal to sharp's, and how far the DCT-scaled
 * preprocessing lands from the full decode, in grey levels, on a film-like image.
 */
import test from 'ava';
import sharp from 'sharp';
import { DataError } from '../../lib/data/errors.ts';
import { decodeJpegGray8, dctScaleFor, DCT_SCALING_MIN_SIDE } from '../../lib/data/jpeg_decode.ts';
import { letterboxGeometry, preprocessImage } from '../../lib/data/preprocess.ts';
import { Rng } from '../../lib/util/rng.ts';

const [W, H] = [1280, 1536];

/** A film-like grey image: smooth lungs and ribs, noise, and one sharp bright wire. */
function film(): Uint8Array {
  const rng = new Rng(7);
  const pixels = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const lung = Math.exp(-(((Math.abs(x - W / 2) - W * 0.2) / 120) ** 2) - ((y - H / 2) / 350) ** 2);
      const value = 200 - 140 * lung + 12 * Math.sin(y / 30) * lung + rng.normal(0, 5);
      pixels[y * W + x] = Math.max(0, Math.min(255, Math.round(value)));
    }
  }
  for (let y = 200; y < 1300; y++) for (let dx = 0; dx < 3; dx++) pixels[y * W + 400 + Math.round(y / 10) + dx] = 255;
  return pixels;
}

const jpeg = await sharp(film(), { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 95 }).toBuffer();
const bytes = new Uint8Array(jpeg);

test('the DCT scale: the largest of 1/8, 1/4, 1/2 whose decode still covers the target; small JPEGs in full', (t) => {
  t.is(dctScaleFor(2544, 3056, letterboxGeometry(2544, 3056, 256)), 8); // 318×382 ≥ 213×256
  t.is(dctScaleFor(2544, 3056, letterboxGeometry(2544, 3056, 512)), 4); // 636×764 ≥ 426×512
  t.is(dctScaleFor(2544, 3056, letterboxGeometry(2544, 3056, 1024)), 2);
  t.is(dctScaleFor(2544, 3056, letterboxGeometry(2544, 3056, 2048)), 1);
  t.is(dctScaleFor(2049, 2049, { width: 256, height: 256 }), 8, 'sides round up: ⌈2049/8⌉ = 257');
  t.is(dctScaleFor(2040, 2040, { width: 256, height: 256 }), 4, '⌈2040/8⌉ = 255 < 256');
  t.is(dctScaleFor(DCT_SCALING_MIN_SIDE - 1, 512, { width: 64, height: 32 }), 1, 'below film size: full decode');
});

test('decoded sizes at each scale are libjpeg\'s rounded-up sides; the full decode is sharp\'s, pixel for pixel', async (t) => {
  for (const scale of [1, 2, 4, 8] as const) {
    const image = decodeJpegGray8(bytes, 'film.jpg', scale);
    t.deepEqual([image.width, image.height], [Math.ceil(W / scale), Math.ceil(H / scale)], `1/${scale}`);
  }
  const ours = decodeJpegGray8(bytes, 'film.jpg');
  const theirs = await sharp(jpeg).toColourspace('b-w').raw().toBuffer();
  t.deepEqual(Buffer.from(ours.data), theirs);
  t.throws(() => decodeJpegGray8(bytes.subarray(0, 2000), 'cut.jpg'), { instanceOf: DataError, message: /^cut\.jpg: not a readable image/ });
});

test('DCT-scaled preprocessing against the full decode, in grey levels', async (t) => {
  // Bounds with some room over what was measured (max 21 / 19 / 17, all at the wire; 99th percentile 1–2; mean 0.33 / 0.37 / 0.60).
  for (const [size, scale] of [[160, 8], [256, 4], [512, 2]] as const) {
    t.is(dctScaleFor(W, H, letterboxGeometry(W, H, size)), scale);
    const scaled = await preprocessImage(bytes, size);
    const full = await preprocessImage(bytes, size, { jpeg: 'full' });
    const differences = Array.from(scaled, (value, i) => Math.abs(value - full[i]!)).sort((a, b) => a - b);
    const max = differences[differences.length - 1]!;
    const p99 = differences[Math.floor(0.99 * (differences.length - 1))]!;
    const mean = differences.reduce((a, b) => a + b, 0) / differences.length;
    t.log(`S=${size} (1/${scale}): max ${max}, 99th percentile ${p99}, mean ${mean.toFixed(3)} grey levels`);
    t.true(max > 0, 'the scaled decode is not the full one');
    t.true(max <= 28 && p99 <= 3 && mean <= 0.8, `S=${size}: max ${max}, p99 ${p99}, mean ${mean.toFixed(3)}`);
  }
  // A JPEG below film size is decoded in full whatever the mode.
  const small = await sharp(film().subarray(0, 512 * 600), { raw: { width: 512, height: 600, channels: 1 } }).toColourspace('b-w').jpeg().toBuffer();
  t.deepEqual(await preprocessImage(small, 64), await preprocessImage(small, 64, { jpeg: 'full' }));
});
