/**
 * Frozen image features of records' frontal views for any image encoder (a
 * pre-trained method's, the supervised ceiling's): centre crops in batches,
 * one row per record.
 */
import * as tf from '@tensorflow/tfjs-core';
import { centreCropBatch } from '../data/augment.ts';
import { ImageStore } from '../data/image_store.ts';
import type { ManifestRecord } from '../data/manifest.ts';
import { matrix, type Matrix } from './matrix.ts';

/** Maps [B, C, C, 1] images in [−1, 1] to [B, W] features (called inside a tidy). */
export type ImageEncoderFn = (frontal: tf.Tensor4D) => tf.Tensor2D;

/** [N, W] features, row i ↔ records[i]. */
export function imageFeatureMatrix(encode: ImageEncoderFn, storeDir: string, records: readonly ManifestRecord[], crop: number, batchSize = 64): Matrix {
  const store = ImageStore.open(storeDir);
  try {
    const rows: Float32Array[] = [];
    let width = 0;
    for (let start = 0; start < records.length; start += batchSize) {
      const part = records.slice(start, start + batchSize);
      const raw = store.readBatch(Int32Array.from(part, (r) => store.recordOf(r.id)), new Uint8Array(part.length * store.recordBytes));
      const pixels = centreCropBatch(raw, part.length, store.size, crop, new Float32Array(part.length * crop * crop));
      const out = tf.tidy(() => encode(tf.tensor4d(pixels, [part.length, crop, crop, 1])));
      width = out.shape[1];
      rows.push(out.dataSync() as Float32Array);
      out.dispose();
    }
    const data = new Float32Array(records.length * width);
    let offset = 0;
    for (const r of rows) {
      data.set(r, offset);
      offset += r.length;
    }
    return matrix(data, records.length, width);
  } finally {
    store.close();
  }
}
