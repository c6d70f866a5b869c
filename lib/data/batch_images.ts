/**
 * Image side of a batch: frontal and lateral crops read from the image store.
 * Pure typed-array work (no tensors), so it runs the same on the main thread and
 * in the prefetch worker (`batch_worker.ts`).
 */
import { deriveSeed, Rng } from '../util/rng.ts';
import { randomCropOffset, centreCropOffset, cropToUnit, type CropOffset } from './augment.ts';
import type { ImageStore } from './image_store.ts';
import { jitterCrop, type JitterConfig } from './jitter.ts';

/** What the image side of one batch needs: store record numbers and how to crop. */
export interface ImageBatchRequest {
  /** Record number of each row's frontal image. */
  frontal: Int32Array;
  /** Record number of each row's lateral image, −1 when the study has none. */
  lateral: Int32Array;
  /** C: output side. */
  crop: number;
  /** Random crops (training) or centre crops (evaluation). */
  augment: boolean;
  /** Seed of this batch's crop positions (derive it from seed, epoch, batch index). */
  cropSeed: number;
  /** Rotation/scale/intensity jitter after the random crop (training only; see jitter.ts). */
  jitter?: JitterConfig | null;
}

/** Pixel arrays of one batch, laid out for `tf.tensor4d(x, [B, C, C, 1])`. */
export interface ImageBatch {
  /** Float32Array [B, C, C, 1] in [−1, 1]. */
  frontal: Float32Array;
  /** Float32Array [B, C, C, 1]; zeros for rows without a lateral. */
  lateral: Float32Array;
  /** Float32Array [B]: 1 where the row has a lateral image. */
  lateralPresent: Float32Array;
}

/** The crop seed of batch `index` of `epoch` (same on the main thread and in the worker). */
export function cropSeedOf(seed: number, epoch: number, index: number): number {
  return deriveSeed(seed, 0x1a7e, epoch, index);
}

/**
 * Reads and crops one batch. Each row's frontal and lateral get independent
 * crop positions, drawn in row order (frontal, then lateral) from `cropSeed`.
 */
export function assembleImageBatch(store: ImageStore, request: ImageBatchRequest): ImageBatch {
  const rows = request.frontal.length;
  if (request.lateral.length !== rows) throw new Error(`assembleImageBatch: ${rows} frontal records but ${request.lateral.length} lateral entries`);
  const { crop } = request;
  const size = store.size;
  const pixels = crop * crop;
  const frontal = new Float32Array(rows * pixels);
  const lateral = new Float32Array(rows * pixels);
  const lateralPresent = new Float32Array(rows);
  const record = new Uint8Array(size * size);
  const rng = new Rng(request.cropSeed);
  const offsetFor = (): CropOffset => (request.augment ? randomCropOffset(size, crop, rng) : centreCropOffset(size, crop));
  const jitter = request.augment && request.jitter ? request.jitter : null;
  // Jitter draws from its own stream, so crops are the same with and without it.
  const jitterRng = jitter ? new Rng(deriveSeed(request.cropSeed, 0x7177)) : null;
  const scratch = jitter ? new Float32Array(pixels) : null;
  for (let row = 0; row < rows; row++) {
    store.read(request.frontal[row]!, record);
    cropToUnit(record, size, crop, offsetFor(), frontal, row * pixels);
    if (jitter) jitterCrop(frontal, row * pixels, crop, jitter, jitterRng!, scratch!);
    const lateralRecord = request.lateral[row]!;
    if (lateralRecord >= 0) {
      store.read(lateralRecord, record);
      cropToUnit(record, size, crop, offsetFor(), lateral, row * pixels);
      if (jitter) jitterCrop(lateral, row * pixels, crop, jitter, jitterRng!, scratch!);
      lateralPresent[row] = 1;
    }
  }
  return { frontal, lateral, lateralPresent };
}
