/**
 * Crops and intensity scaling for training and evaluation batches (methods
 * §1.6): a random C×C crop of the stored S×S image for training, the centre
 * crop for evaluation, scaled to [−1, 1]. Pure functions over typed arrays,
 * writing straight into a preallocated batch buffer laid out as
 * [B, C, C, 1] (row-major, one channel), ready for `tf.tensor4d(out, [B, C, C, 1])`.
 *
 * Conventions follow MGCA's torchvision transforms so batches match the
 * original bit for bit: `RandomCrop` draws the top offset, then the left one,
 * each uniform over all valid positions; `CenterCrop` puts the crop at
 * `round((S − C) / 2)` (Python's round, half to even); `ToTensor` +
 * `Normalize(0.5, 0.5)` maps v to `(f32(v / 255) − 0.5) / 0.5` in float32,
 * which is v/127.5 − 1 to within one float32 ulp, with 0 → −1 and 255 → 1 exactly.
 */
import type { Rng } from '../util/rng.ts';

/** Top-left corner of a crop inside the S×S image. */
export interface CropOffset {
  /** Left column. */
  x: number;
  /** Top row. */
  y: number;
}

let scaleTable: Float32Array | null = null;

/**
 * The 256-entry table grey level → float32 in [−1, 1] (torchvision's
 * ToTensor + Normalize(0.5, 0.5), computed as it computes it, in float32).
 */
export function unitScaleTable(): Float32Array {
  if (!scaleTable) {
    scaleTable = new Float32Array(256);
    for (let v = 0; v < 256; v++) scaleTable[v] = Math.fround(Math.fround(v / 255) - 0.5) * 2;
  }
  return scaleTable;
}

/** The centre crop corner: `round((S − C) / 2)` on both axes, ties to even as torchvision. */
export function centreCropOffset(size: number, crop: number): CropOffset {
  checkCrop(size, crop);
  const offset = roundHalfEven((size - crop) / 2);
  return { x: offset, y: offset };
}

/** A uniformly random crop corner in [0, S − C]²; draws the top row first, then the left column. */
export function randomCropOffset(size: number, crop: number, rng: Rng): CropOffset {
  checkCrop(size, crop);
  const y = rng.int(0, size - crop);
  const x = rng.int(0, size - crop);
  return { x, y };
}

/**
 * Copy the C×C window at `offset` of one S×S image, scaled to [−1, 1].
 *
 * @param image Uint8Array [S×S] (a view of a larger buffer is fine).
 * @param out Float32Array; the crop fills `out[outOffset ... outOffset + C·C)` as [C×C].
 */
export function cropToUnit(image: Uint8Array, size: number, crop: number, offset: CropOffset, out: Float32Array, outOffset = 0): void {
  checkCrop(size, crop);
  if (image.length < size * size) throw new Error(`cropToUnit: image holds ${image.length} bytes, expected ${size}×${size}`);
  if (offset.x < 0 || offset.y < 0 || offset.x > size - crop || offset.y > size - crop || !Number.isInteger(offset.x) || !Number.isInteger(offset.y)) {
    throw new Error(`cropToUnit: offset (${offset.x}, ${offset.y}) does not fit a ${crop}×${crop} crop in ${size}×${size}`);
  }
  if (out.length < outOffset + crop * crop) throw new Error(`cropToUnit: output holds ${out.length} values, need ${outOffset + crop * crop}`);
  const table = unitScaleTable();
  for (let row = 0; row < crop; row++) {
    let from = (offset.y + row) * size + offset.x;
    let to = outOffset + row * crop;
    const end = to + crop;
    while (to < end) out[to++] = table[image[from++]!]!;
  }
}

/**
 * Crop B images of a batch buffer at the given corners.
 *
 * @param images Uint8Array [B×S×S] (e.g. from `ImageStore.readBatch`).
 * @param offsets One corner per image (length B).
 * @param out Float32Array [B×C×C] (= [B, C, C, 1]) or larger.
 * @returns `out`.
 */
export function cropBatch(images: Uint8Array, size: number, crop: number, offsets: readonly CropOffset[], out: Float32Array): Float32Array {
  const count = offsets.length;
  if (images.length < count * size * size) throw new Error(`cropBatch: images hold ${images.length} bytes, need ${count}×${size}×${size}`);
  if (out.length < count * crop * crop) throw new Error(`cropBatch: output holds ${out.length} values, need ${count}×${crop}×${crop}`);
  const record = size * size;
  for (let b = 0; b < count; b++) cropToUnit(images.subarray(b * record, (b + 1) * record), size, crop, offsets[b]!, out, b * crop * crop);
  return out;
}

/**
 * Training crops: an independent random corner per image, drawn from `rng` in batch order.
 *
 * @param images Uint8Array [B×S×S].
 * @param count B.
 * @param out Float32Array [B×C×C] (= [B, C, C, 1]).
 * @returns The corners used, for logging or for cropping a paired mask identically.
 */
export function randomCropBatch(images: Uint8Array, count: number, size: number, crop: number, rng: Rng, out: Float32Array): CropOffset[] {
  const offsets = Array.from({ length: count }, () => randomCropOffset(size, crop, rng));
  cropBatch(images, size, crop, offsets, out);
  return offsets;
}

/**
 * Evaluation crops: the centre of every image.
 *
 * @param images Uint8Array [B×S×S].
 * @param out Float32Array [B×C×C] (= [B, C, C, 1]).
 */
export function centreCropBatch(images: Uint8Array, count: number, size: number, crop: number, out: Float32Array): Float32Array {
  const offset = centreCropOffset(size, crop);
  return cropBatch(images, size, crop, Array.from({ length: count }, () => offset), out);
}

function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function checkCrop(size: number, crop: number): void {
  if (!Number.isInteger(size) || !Number.isInteger(crop) || crop < 1 || crop > size) {
    throw new Error(`crop must be an integer in [1, ${size}] for ${size}×${size} images, got ${crop}`);
  }
}
