/**
 * IMITATE's view augmentation: each geometric step against its definition on
 * a test pattern (flips exact, a quarter turn exact, the perspective
 * homography taking the moved corners back to the image's corners),
 * autocontrast stretching to the full range, black outside the image, and
 * the same seed giving the same views.
 */
import test from 'ava';
import { IMITATE_VIEW_AUGMENT, augmentView, autocontrast, drawGeometry, homography, rotationAbout, type ViewAugmentConfig } from '../../lib/data/view_augment.ts';
import { Rng } from '../../lib/util/rng.ts';

const C = 8;
const NONE: ViewAugmentConfig = { horizontalFlip: 0, verticalFlip: 0, rotationDegrees: 0, perspective: { probability: 0, distortion: 0.5 }, autocontrast: 0 };
/** A c×c ramp in [−1, 1) with a distinct value per pixel. */
const pattern = (rows = 1) => Float32Array.from({ length: rows * C * C }, (_, i) => -1 + (2 * (i % (C * C))) / (C * C));
const at = (image: Float32Array, x: number, y: number) => image[y * C + x]!;

test('no augmentation is the identity', (t) => {
  const input = pattern(2);
  t.deepEqual(augmentView(input, 2, C, NONE, new Rng(1)), input);
});

test('flips mirror the image exactly', (t) => {
  const input = pattern();
  const h = augmentView(input, 1, C, { ...NONE, horizontalFlip: 1 }, new Rng(1));
  const v = augmentView(input, 1, C, { ...NONE, verticalFlip: 1 }, new Rng(1));
  for (let y = 0; y < C; y++) {
    for (let x = 0; x < C; x++) {
      t.is(at(h, x, y), at(input, C - 1 - x, y));
      t.is(at(v, x, y), at(input, x, C - 1 - y));
    }
  }
});

test('a rotation turns the image about its centre; what comes from outside is black', (t) => {
  // A quarter turn maps output (x, y) to input (c−1−y, x) exactly: a pixel permutation.
  const quarter = rotationAbout(C, 90);
  for (const [x, y] of [[0, 0], [2, 5], [7, 3]] as const) {
    t.true(Math.abs(quarter[0] * x + quarter[1] * y + quarter[2] - (C - 1 - y)) < 1e-9 && Math.abs(quarter[3] * x + quarter[4] * y + quarter[5] - x) < 1e-9, `(${x}, ${y})`);
  }
  const m = drawGeometry(C, { ...NONE, rotationDegrees: 1e-9 }, new Rng(1));
  t.true(Math.abs(m[0] - 1) < 1e-9 && Math.abs(m[2]) < 1e-6, 'a near-zero angle is the identity');
  const input = pattern();
  const rotated = augmentView(input, 1, C, { ...NONE, rotationDegrees: 30 }, new Rng(3));
  t.notDeepEqual(rotated, input);
  const centre = (C - 1) / 2;
  // The centre 2×2 block stays close to the input's centre (rotation about the centre).
  const mean = (img: Float32Array) => (at(img, centre - 0.5, centre - 0.5) + at(img, centre + 0.5, centre - 0.5) + at(img, centre - 0.5, centre + 0.5) + at(img, centre + 0.5, centre + 0.5)) / 4;
  t.true(Math.abs(mean(rotated) - mean(input)) < 0.1, `${mean(rotated)} vs ${mean(input)}`);
  // A corner rotated by up to 30° pulls from outside the image: black enters.
  const turned = augmentView(Float32Array.from({ length: C * C }, () => 1), 1, C, { ...NONE, rotationDegrees: 30 }, new Rng(3));
  t.true(turned.some((v) => v < 1), 'some pixels are filled with black');
  t.true(turned.every((v) => v >= -1 && v <= 1));
});

test('the perspective homography maps the moved corners to the image corners', (t) => {
  const from: Array<[number, number]> = [[1, 2], [6, 0], [7, 6], [0, 7]];
  const to: Array<[number, number]> = [[0, 0], [7, 0], [7, 7], [0, 7]];
  const h = homography(from, to);
  from.forEach(([u, v], i) => {
    const w = h[6] * u + h[7] * v + h[8];
    t.true(Math.abs((h[0] * u + h[1] * v + h[2]) / w - to[i]![0]) < 1e-9 && Math.abs((h[3] * u + h[4] * v + h[5]) / w - to[i]![1]) < 1e-9, `corner ${i}`);
  });
  const warped = augmentView(Float32Array.from({ length: C * C }, () => 1), 1, C, { ...NONE, perspective: { probability: 1, distortion: 0.5 } }, new Rng(4));
  t.true(warped.some((v) => v < 1), 'the shrunken image leaves black borders');
});

test('autocontrast stretches an image to [−1, 1]; a flat image is left alone', (t) => {
  const image = Float32Array.from([-0.2, 0, 0.3, 0.1]);
  autocontrast(image);
  t.deepEqual(Array.from(image).map((v) => Math.round(v * 1e6) / 1e6), [-1, -0.2, 1, 0.2]);
  const flat = Float32Array.from([0.5, 0.5]);
  autocontrast(flat);
  t.deepEqual(Array.from(flat), [0.5, 0.5]);
});

test("the paper's pipeline: the same seed gives the same views, another seed others; sizes are checked", (t) => {
  const input = pattern(4);
  const a = augmentView(input, 4, C, IMITATE_VIEW_AUGMENT, new Rng(9));
  t.deepEqual(augmentView(input, 4, C, IMITATE_VIEW_AUGMENT, new Rng(9)), a);
  t.notDeepEqual(augmentView(input, 4, C, IMITATE_VIEW_AUGMENT, new Rng(10)), a);
  t.true(a.every((v) => Number.isFinite(v) && v >= -1 - 1e-6 && v <= 1 + 1e-6));
  t.throws(() => augmentView(input, 3, C, IMITATE_VIEW_AUGMENT, new Rng(9)), { message: 'augmentView: expected 3×8×8 = 192 values, got 256' });
});
