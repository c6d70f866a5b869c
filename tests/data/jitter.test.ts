/** Crop jitter: identity when switched off, exact on a quarter turn, intensity clamp, seeded, crops unaffected. */
import test from 'ava';
import { jitterCrop, validateJitter, type JitterConfig } from '../../lib/data/jitter.ts';
import { assembleImageBatch } from '../../lib/data/batch_images.ts';
import { Rng } from '../../lib/util/rng.ts';

const off: JitterConfig = { degrees: 0, scale: [1, 1], brightness: 0, contrast: 0 };
const image = (c: number) => Float32Array.from({ length: c * c }, (_, i) => Math.sin(i * 0.7) * 0.9);

test('switched off, the crop is unchanged', (t) => {
  const x = image(8);
  const before = Float32Array.from(x);
  jitterCrop(x, 0, 8, off, new Rng(1), new Float32Array(64));
  t.deepEqual(x, before);
});

test('a quarter turn at scale 1 moves every pixel exactly (bilinear at integer positions)', (t) => {
  const c = 5;
  const x = image(c);
  const src = Float32Array.from(x);
  // degrees 90 with a generator whose first draw is 1 → angle +90°.
  const rng = { uniform: (() => { const draws = [1, 0, 0.5, 0.5]; let i = 0; return () => draws[i++]!; })() } as unknown as Rng;
  jitterCrop(x, 0, c, { ...off, degrees: 90 }, rng, new Float32Array(c * c));
  for (let y = 0; y < c; y++) for (let xx = 0; xx < c; xx++) {
    // Inverse map of +90°: source (sx, sy) = (y, c − 1 − x).
    const expected = src[(c - 1 - xx) * c + y]!;
    t.true(Math.abs(x[y * c + xx]! - expected) < 1e-5, `(${xx}, ${y})`);
  }
});

test('brightness and contrast stay within [−1, 1]; the same seed gives the same pixels', (t) => {
  const cfg: JitterConfig = { degrees: 10, scale: [0.9, 1.1], brightness: 0.8, contrast: 0.5 };
  const a = image(16);
  const b = image(16);
  jitterCrop(a, 0, 16, cfg, new Rng(7), new Float32Array(256));
  jitterCrop(b, 0, 16, cfg, new Rng(7), new Float32Array(256));
  t.deepEqual(a, b);
  t.true(a.every((v) => v >= -1 && v <= 1));
  t.notDeepEqual(a, image(16));
});

test('bad settings are refused naming the field', (t) => {
  t.throws(() => validateJitter({ ...off, degrees: -1 }), { message: /degrees/ });
  t.throws(() => validateJitter({ ...off, scale: [1.2, 1.1] }), { message: /scale/ });
  t.throws(() => validateJitter({ ...off, contrast: 1 }), { message: /contrast/ });
});

test('jitter does not change which crops are taken (its draws have their own stream)', (t) => {
  const size = 12;
  const crop = 8;
  const pixels = Uint8Array.from({ length: 3 * size * size }, (_, i) => (i * 37) % 256);
  const store = { read: (r: number, out: Uint8Array) => out.set(pixels.subarray(r * size * size, (r + 1) * size * size)), size } as never;
  const request = { frontal: Int32Array.from([0, 1, 2]), lateral: Int32Array.from([-1, -1, -1]), crop, augment: true, cropSeed: 5 };
  const plain = assembleImageBatch(store, request);
  const jittered = assembleImageBatch(store, { ...request, jitter: { ...off, brightness: 0.1 } });
  // Brightness only shifts (and clamps) values: where nothing clamps, the difference is one constant per row.
  for (let row = 0; row < 3; row++) {
    const d = new Set<string>();
    for (let i = 0; i < crop * crop; i++) {
      const p = plain.frontal[row * 64 + i]!;
      const q = jittered.frontal[row * 64 + i]!;
      if (q > -1 && q < 1 && p > -0.85 && p < 0.85) d.add((q - p).toFixed(4));
    }
    t.is(d.size, 1, `row ${row}: one offset`);
  }
});
