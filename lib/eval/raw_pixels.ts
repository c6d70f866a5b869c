/**
 * The raw-pixel reference row: each frontal image's centre crop, box-averaged
 * down to `side`×`side`, then PCA (fitted on the training split only) to
 * `components` coordinates. Whatever a pre-trained encoder reaches has to beat
 * this to have learned anything beyond the pixels themselves.
 */
import type { ManifestRecord } from '../data/manifest.ts';
import { centreCropOffset, cropToUnit } from '../data/augment.ts';
import { ImageStore } from '../data/image_store.ts';
import { matrix, selectRows, type Matrix } from './matrix.ts';
import { fitPca, projectPca } from './pca.ts';

/** Settings of the raw-pixel features. */
export interface RawPixelOptions {
  /** Centre-crop side C taken from the stored S×S image (the models' crop). */
  crop: number;
  /** Side after box averaging (C must be a multiple of it). Default 32. */
  side?: number;
  /** PCA components (default 64). */
  components?: number;
}

/** Box-averaged centre crops of records' frontal images: [N, side²], values in [−1, 1]. */
export function downsampledPixels(storeDir: string, records: readonly ManifestRecord[], crop: number, side: number): Matrix {
  if (!Number.isInteger(side) || side < 1 || crop % side !== 0) throw new Error(`raw pixels: the crop ${crop} is not a multiple of the side ${side}`);
  const store = ImageStore.open(storeDir);
  try {
    const factor = crop / side;
    const out = new Float32Array(records.length * side * side);
    const image = new Uint8Array(store.recordBytes);
    const cropped = new Float32Array(crop * crop);
    const offset = centreCropOffset(store.size, crop);
    records.forEach((record, n) => {
      store.read(record.id, image);
      cropToUnit(image, store.size, crop, offset, cropped);
      const base = n * side * side;
      for (let y = 0; y < crop; y++) {
        for (let x = 0; x < crop; x++) out[base + Math.floor(y / factor) * side + Math.floor(x / factor)]! += cropped[y * crop + x]! / (factor * factor);
      }
    });
    return matrix(out, records.length, side * side);
  } finally {
    store.close();
  }
}

/** PCA coordinates of the downsampled pixels, row i ↔ records[i]; the PCA sees only `train`-split rows. */
export function rawPixelFeatures(storeDir: string, records: readonly ManifestRecord[], options: RawPixelOptions): Matrix {
  const side = options.side ?? 32;
  const pixels = downsampledPixels(storeDir, records, options.crop, side);
  const trainRows = records.flatMap((r, i) => (r.split === 'train' ? [i] : []));
  if (trainRows.length < 2) throw new Error('raw pixels: need at least two training records to fit the PCA');
  const k = Math.min(options.components ?? 64, trainRows.length - 1, side * side);
  const pca = fitPca(selectRows(pixels, trainRows), k, { seed: 0 });
  return projectPca(pca, pixels);
}
