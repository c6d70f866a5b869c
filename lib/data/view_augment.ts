/**
 * IMITATE's augmented views (methods §3): horizontal and vertical flips,
 * rotation, perspective distortion and autocontrast of a training crop, each
 * drawn from a seeded source, so the same (seed, step) gives the same views
 * after a resume. The crop itself is the loader's random crop.
 *
 * The geometric steps are composed into one homography and resampled once
 * (bilinear, black outside the image) where torchvision resamples per step
 * (rotation nearest, perspective bicubic): fewer interpolation losses on
 * small crops, the same distribution of geometry.
 */
import type { Rng } from '../util/rng.ts';

/** Probabilities and ranges of the view augmentations. */
export interface ViewAugmentConfig {
  /** P(horizontal flip). */
  horizontalFlip: number;
  /** P(vertical flip). */
  verticalFlip: number;
  /** Rotation uniform in [−degrees, degrees]. */
  rotationDegrees: number;
  /** P(perspective distortion) and its scale (torchvision's distortion_scale). */
  perspective: { probability: number; distortion: number };
  /** P(autocontrast: the image's own range stretched to the full range). */
  autocontrast: number;
}

/** The released code's pipeline (RandomGrayscale is a no-op on grey films). */
export const IMITATE_VIEW_AUGMENT: ViewAugmentConfig = {
  horizontalFlip: 0.5,
  verticalFlip: 0.5,
  rotationDegrees: 30,
  perspective: { probability: 0.5, distortion: 0.5 },
  autocontrast: 0.5,
};

/**
 * Milder views for small crops trained from scratch (the `cpu` and `quick`
 * presets): no flips, rotation ±10°, perspective 0.2. On the tuning cohort
 * they lifted IMITATE's probe from 0.838 to 0.872 (two seeds each; lab
 * notebook §16): at 64 px, flips and strong warps leave views too hard to match.
 */
export const MILD_VIEW_AUGMENT: ViewAugmentConfig = {
  horizontalFlip: 0,
  verticalFlip: 0,
  rotationDegrees: 10,
  perspective: { probability: 0.5, distortion: 0.2 },
  autocontrast: 0.5,
};

/** Checks a view augmentation config; throws naming the field. */
export function checkViewAugment(config: ViewAugmentConfig): ViewAugmentConfig {
  const probability = (name: string, p: unknown) => {
    if (!(typeof p === 'number' && p >= 0 && p <= 1)) throw new Error(`view augmentation: ${name} must be a probability in [0, 1], got ${JSON.stringify(p)}`);
  };
  probability('horizontalFlip', config.horizontalFlip);
  probability('verticalFlip', config.verticalFlip);
  probability('autocontrast', config.autocontrast);
  probability('perspective.probability', config.perspective?.probability);
  const d = config.perspective?.distortion;
  if (!(typeof d === 'number' && d >= 0 && d < 1)) throw new Error(`view augmentation: perspective.distortion must be in [0, 1), got ${JSON.stringify(d)}`);
  if (!(typeof config.rotationDegrees === 'number' && config.rotationDegrees >= 0 && config.rotationDegrees <= 180)) throw new Error(`view augmentation: rotationDegrees must be in [0, 180], got ${JSON.stringify(config.rotationDegrees)}`);
  return config;
}

/** Pixel range of batch images: black is −1, white 1. */
const BLACK = -1;
const WHITE = 1;

/** A 3×3 matrix, row-major. */
type Matrix3 = [number, number, number, number, number, number, number, number, number];

const IDENTITY: Matrix3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

function multiply(a: Matrix3, b: Matrix3): Matrix3 {
  const out = new Array(9).fill(0) as Matrix3;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k]! * b[k * 3 + j]!;
  return out;
}

/** Solves A x = b (n×n, row-major) by Gaussian elimination with partial pivoting. */
function solve(a: number[], b: number[]): number[] {
  const n = b.length;
  const m = a.slice();
  const x = b.slice();
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]!) > Math.abs(m[pivot * n + col]!)) pivot = r;
    if (Math.abs(m[pivot * n + col]!) < 1e-12) throw new Error('view augmentation: degenerate perspective corners');
    for (let k = 0; k < n; k++) [m[col * n + k], m[pivot * n + k]] = [m[pivot * n + k]!, m[col * n + k]!];
    [x[col], x[pivot]] = [x[pivot]!, x[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r * n + col]! / m[col * n + col]!;
      for (let k = col; k < n; k++) m[r * n + k]! -= f * m[col * n + k]!;
      x[r]! -= f * x[col]!;
    }
  }
  return x.map((v, i) => v / m[i * n + i]!);
}

/** The homography taking each `from` point to its `to` point (4 pairs of [x, y]). */
export function homography(from: readonly (readonly [number, number])[], to: readonly (readonly [number, number])[]): Matrix3 {
  const a: number[] = [];
  const b: number[] = [];
  from.forEach(([u, v], i) => {
    const [x, y] = to[i]!;
    a.push(u, v, 1, 0, 0, 0, -u * x, -v * x);
    b.push(x);
    a.push(0, 0, 0, u, v, 1, -u * y, -v * y);
    b.push(y);
  });
  const h = solve(a, b);
  return [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, 1];
}

/** The output→input map of a rotation by `degrees` about the centre of a c×c image. */
export function rotationAbout(c: number, degrees: number): Matrix3 {
  const angle = (degrees * Math.PI) / 180;
  const [cos, sin, mid] = [Math.cos(angle), Math.sin(angle), (c - 1) / 2];
  return [cos, -sin, mid - cos * mid + sin * mid, sin, cos, mid - sin * mid - cos * mid, 0, 0, 1];
}

/**
 * The output→input map of one view's geometry on a c×c crop (pixel-index
 * coordinates), drawn in the pipeline's order: flips, rotation, perspective.
 */
export function drawGeometry(c: number, config: ViewAugmentConfig, rng: Rng): Matrix3 {
  const last = c - 1;
  const horizontal: Matrix3 = rng.uniform() < config.horizontalFlip ? [-1, 0, last, 0, 1, 0, 0, 0, 1] : IDENTITY;
  const vertical: Matrix3 = rng.uniform() < config.verticalFlip ? [1, 0, 0, 0, -1, last, 0, 0, 1] : IDENTITY;
  const rotation = rotationAbout(c, rng.range(-config.rotationDegrees, config.rotationDegrees));
  let perspective = IDENTITY;
  if (rng.uniform() < config.perspective.probability) {
    // torchvision's RandomPerspective: each corner moves inward by up to distortion · half the side.
    const reach = Math.floor(config.perspective.distortion * Math.floor(c / 2));
    const step = () => rng.int(0, reach);
    const corners: Array<[number, number]> = [[0, 0], [last, 0], [last, last], [0, last]];
    const moved: Array<[number, number]> = [[step(), step()], [last - step(), step()], [last - step(), last - step()], [step(), last - step()]];
    // The output shows at `moved` what the input has at `corners`: the output→input map takes moved to corners.
    perspective = homography(moved, corners);
  }
  return multiply(multiply(multiply(horizontal, vertical), rotation), perspective);
}

/** Bilinear sample of a c×c image at (x, y); neighbours outside the image are black. */
function sample(image: Float32Array, offset: number, c: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  return (1 - fy) * ((1 - fx) * pixelAt(image, offset, c, x0, y0) + fx * pixelAt(image, offset, c, x0 + 1, y0)) + fy * ((1 - fx) * pixelAt(image, offset, c, x0, y0 + 1) + fx * pixelAt(image, offset, c, x0 + 1, y0 + 1));
}

/** A pixel of a c×c image, black outside it (no closure per sample: this runs for every pixel of every view). */
function pixelAt(image: Float32Array, offset: number, c: number, x: number, y: number): number {
  return x < 0 || y < 0 || x >= c || y >= c ? BLACK : image[offset + y * c + x]!;
}

/** Stretches an image's own [min, max] to [−1, 1] in place (unchanged when flat). */
export function autocontrast(image: Float32Array): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of image) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return;
  const scale = (WHITE - BLACK) / (hi - lo);
  for (let i = 0; i < image.length; i++) image[i] = BLACK + (image[i]! - lo) * scale;
}

/**
 * One augmented view of every row of a batch of c×c crops.
 * @param crops Float32Array [B, c, c] in [−1, 1]
 * @returns a new Float32Array [B, c, c]
 */
export function augmentView(crops: Float32Array, rows: number, c: number, config: ViewAugmentConfig, rng: Rng): Float32Array {
  if (crops.length !== rows * c * c) throw new Error(`augmentView: expected ${rows}×${c}×${c} = ${rows * c * c} values, got ${crops.length}`);
  const out = new Float32Array(crops.length);
  for (let r = 0; r < rows; r++) {
    const m = drawGeometry(c, config, rng);
    const offset = r * c * c;
    for (let y = 0; y < c; y++) {
      for (let x = 0; x < c; x++) {
        const w = m[6] * x + m[7] * y + m[8];
        out[offset + y * c + x] = sample(crops, offset, c, (m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w);
      }
    }
    if (rng.uniform() < config.autocontrast) autocontrast(out.subarray(offset, offset + c * c));
  }
  return out;
}
