import test from 'ava';
import {
  centreCropBatch,
  centreCropOffset,
  cropBatch,
  cropToUnit,
  randomCropBatch,
  randomCropOffset,
  unitScaleTable,
} from '../../lib/data/augment.ts';
import { Rng } from '../../lib/util/rng.ts';

/** An S×S image whose pixel (x, y) holds (x + S·y) mod 256, so a crop's values reveal its position. */
function ramp(size: number): Uint8Array {
  return Uint8Array.from({ length: size * size }, (_, i) => i % 256);
}

test('scaling to [−1, 1] is exact: 0 → −1, 255 → 1, torchvision float32 arithmetic in between', (t) => {
  const table = unitScaleTable();
  t.is(table[0], -1);
  t.is(table[255], 1);
  t.is(table[51], Math.fround(-0.6)); // 51/255 = 0.2 → (0.2 − 0.5)/0.5
  for (let v = 0; v < 256; v++) {
    t.is(table[v], Math.fround(Math.fround(v / 255) - 0.5) * 2);
    t.true(Math.abs(table[v]! - (v / 127.5 - 1)) <= 2 ** -23, `v=${v}`);
    if (v > 0) t.true(table[v]! > table[v - 1]!);
  }
});

test('centre crop: offset round((S − C) / 2) and exact values', (t) => {
  t.deepEqual(centreCropOffset(256, 224), { x: 16, y: 16 });
  t.deepEqual(centreCropOffset(128, 112), { x: 8, y: 8 });
  t.deepEqual(centreCropOffset(5, 2), { x: 2, y: 2 }); // 1.5 → 2 (half to even, as Python's round)
  t.deepEqual(centreCropOffset(6, 1), { x: 2, y: 2 }); // 2.5 → 2
  const size = 6;
  const out = new Float32Array(2 * 4 * 4);
  centreCropBatch(new Uint8Array([...ramp(size), ...ramp(size).map((v) => 255 - v)]), 2, size, 4, out);
  const table = unitScaleTable();
  const expected: number[] = [];
  for (const flip of [false, true]) {
    for (let y = 1; y < 5; y++) for (let x = 1; x < 5; x++) expected.push(table[flip ? 255 - (x + size * y) : x + size * y]!);
  }
  t.deepEqual(Array.from(out), expected);
});

test('random crop: deterministic by seed, within bounds, each image its own corner', (t) => {
  const size = 16;
  const crop = 12;
  const count = 50;
  const images = new Uint8Array(count * size * size);
  for (let b = 0; b < count; b++) images.set(ramp(size), b * size * size);
  const a = new Float32Array(count * crop * crop);
  const b = new Float32Array(count * crop * crop);
  const offsetsA = randomCropBatch(images, count, size, crop, new Rng(11), a);
  const offsetsB = randomCropBatch(images, count, size, crop, new Rng(11), b);
  t.deepEqual(offsetsA, offsetsB);
  t.deepEqual(a, b);
  const other = randomCropBatch(images, count, size, crop, new Rng(12), new Float32Array(count * crop * crop));
  t.notDeepEqual(other, offsetsA);
  const xs = new Set<number>();
  const ys = new Set<number>();
  const table = unitScaleTable();
  offsetsA.forEach((offset, k) => {
    t.true(offset.x >= 0 && offset.x <= size - crop && offset.y >= 0 && offset.y <= size - crop);
    xs.add(offset.x);
    ys.add(offset.y);
    // The crop's top-left and bottom-right values are the source pixels at the corner.
    t.is(a[k * crop * crop], table[offset.x + size * offset.y]);
    t.is(a[(k + 1) * crop * crop - 1], table[offset.x + crop - 1 + size * (offset.y + crop - 1)]);
  });
  t.deepEqual([...xs].sort((p, q) => p - q), [0, 1, 2, 3, 4]); // every valid corner is drawn
  t.deepEqual([...ys].sort((p, q) => p - q), [0, 1, 2, 3, 4]);
  // The draw order is top, then left, like torchvision's RandomCrop.
  const rng = new Rng(11);
  const y0 = rng.int(0, size - crop);
  const x0 = rng.int(0, size - crop);
  t.deepEqual(randomCropOffset(size, crop, new Rng(11)), { x: x0, y: y0 });
});

test('crops check their sizes and offsets', (t) => {
  const out = new Float32Array(16);
  t.throws(() => centreCropOffset(4, 5), { message: /crop must be an integer in \[1, 4\]/ });
  t.throws(() => cropToUnit(ramp(4), 4, 3, { x: 2, y: 0 }, out), { message: /offset \(2, 0\) does not fit a 3×3 crop in 4×4/ });
  t.throws(() => cropToUnit(ramp(4), 4, 3, { x: 0, y: 0 }, new Float32Array(8)), { message: /output holds 8 values, need 9/ });
  t.throws(() => cropBatch(ramp(4), 4, 2, [{ x: 0, y: 0 }, { x: 0, y: 0 }], out), { message: /images hold 16 bytes, need 2×4×4/ });
  // A full-size crop is the whole image.
  cropToUnit(ramp(4), 4, 4, { x: 0, y: 0 }, out);
  t.deepEqual(out, Float32Array.from(ramp(4), (v) => unitScaleTable()[v]!));
});
