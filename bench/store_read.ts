/**
 * `store-read`: images/s from the image store to a float32 [B, C, C, 1] tensor
 * (random batch of records → random C×C crop → [−1, 1] → tf.tensor4d), for
 * S = 128 / C = 112 and S = 256 / C = 224, B = 32, over a store of 2,000
 * synthetic noise images in a temporary directory, with the records preloaded
 * in memory and read from the file descriptor. The reference, measured in the
 * same run, is `fs.readFileSync` of the whole data file (page-cache → memory
 * copy throughput) expressed in images/s; ratio = pipeline / reference.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { randomCropBatch } from '../lib/data/augment.ts';
import { IMAGE_STORE_FILES, ImageStore, ImageStoreWriter } from '../lib/data/image_store.ts';
import { Rng } from '../lib/util/rng.ts';
import type { BenchCase } from './case.ts';

const IMAGES = 2000;
const BATCH = 32;
const SECONDS = 2;

function writeNoiseStore(dir: string, size: number): void {
  const rng = new Rng(size);
  const writer = ImageStoreWriter.open(dir, { size });
  const pixels = new Uint8Array(size * size);
  for (let i = 0; i < IMAGES; i++) {
    for (let p = 0; p < pixels.length; p += 4) {
      const word = rng.nextUint32();
      pixels[p] = word;
      pixels[p + 1] = word >>> 8;
      pixels[p + 2] = word >>> 16;
      pixels[p + 3] = word >>> 24;
    }
    writer.append(`img-${i}`, pixels);
  }
  writer.close();
}

/** Batches through the pipeline for about SECONDS; returns images/s. */
function pipelineRate(store: ImageStore, crop: number): number {
  const rng = new Rng(7);
  const records = new Int32Array(BATCH);
  const raw = new Uint8Array(BATCH * store.recordBytes);
  const batch = new Float32Array(BATCH * crop * crop);
  const step = (): void => {
    for (let b = 0; b < BATCH; b++) records[b] = rng.int(0, store.count - 1);
    store.readBatch(records, raw);
    randomCropBatch(raw, BATCH, store.size, crop, rng, batch);
    const tensor = tf.tensor4d(batch, [BATCH, crop, crop, 1]); // [B, C, C, 1]
    tensor.dispose();
  };
  for (let i = 0; i < 5; i++) step(); // warm-up
  let images = 0;
  const started = performance.now();
  while (performance.now() - started < SECONDS * 1000) {
    step();
    images += BATCH;
  }
  return images / ((performance.now() - started) / 1000);
}

/** `fs.readFileSync` of the data file, best of 3, as images/s. */
function readFileRate(path: string, recordBytes: number): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const bytes = readFileSync(path);
    best = Math.min(best, (performance.now() - started) / 1000);
    if (bytes.length < IMAGES * recordBytes) throw new Error('store-read: data file shorter than expected');
  }
  return IMAGES / best;
}

export const storeReadCase: BenchCase = {
  name: 'store-read',
  async run() {
    const figures: Record<string, number | string> = { images: IMAGES, batch: BATCH };
    const root = mkdtempSync(join(tmpdir(), 'medst-bench-store-'));
    const tensorsBefore = tf.memory().numTensors;
    try {
      for (const [size, crop] of [
        [128, 112],
        [256, 224],
      ] as const) {
        const dir = join(root, `s${size}`);
        let started = performance.now();
        writeNoiseStore(dir, size);
        figures[`S${size} write images/s`] = Math.round(IMAGES / ((performance.now() - started) / 1000));
        const reference = readFileRate(join(dir, IMAGE_STORE_FILES.data), size * size);
        for (const preload of [true, false]) {
          started = performance.now();
          const store = ImageStore.open(dir, { preload });
          const openMs = performance.now() - started;
          const rate = pipelineRate(store, crop);
          store.close();
          const mode = preload ? 'preload' : 'fd readSync';
          figures[`S${size}→C${crop} ${mode} images/s`] = Math.round(rate);
          figures[`S${size}→C${crop} ${mode} ratio vs readFileSync`] = Number((rate / reference).toFixed(3));
          if (preload) figures[`S${size} preload open ms`] = Number(openMs.toFixed(1));
        }
        figures[`S${size} readFileSync images/s (reference)`] = Math.round(reference);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    figures['tensors leaked'] = tf.memory().numTensors - tensorsBefore;
    return figures;
  },
};
