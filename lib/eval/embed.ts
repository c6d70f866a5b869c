/**
 * Frozen embeddings for downstream evaluation: load a trained Med-ST from its
 * final folder (weights, config, vocabulary) and embed images (single frontal
 * view, centre crop, eval-mode BatchNorm) and texts. Evaluations take these
 * arrays; nothing downstream touches the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { BatchLoader } from '../data/batches.ts';
import type { ManifestRecord } from '../data/manifest.ts';
import { loadTokenizer, type WordPieceTokenizer } from '../data/tokenizer/index.ts';
import { MedST, type MedSTConfig } from '../methods/medst.ts';
import { loadParameters } from '../weights/checkpoint.ts';
import { matrix, type Matrix } from './matrix.ts';

/** A trained model ready to embed. */
export interface FrozenModel {
  method: MedST;
  tokenizer: WordPieceTokenizer;
  /** Crop side = the ViT's input size. */
  crop: number;
  maxTokens: number;
}

/** Loads `final/` of a run (model.safetensors, config.json, vocab.txt). */
export async function loadFrozenModel(dir: string, options: { maxTokens?: number } = {}): Promise<FrozenModel> {
  const configFile = path.join(dir, 'config.json');
  if (!fs.existsSync(configFile)) throw new Error(`${dir}: no config.json (is this a run's final/ folder?)`);
  const described = JSON.parse(fs.readFileSync(configFile, 'utf8')) as MedSTConfig & { method?: string };
  if (described.method !== 'medst') throw new Error(`${configFile}: not a Med-ST model (method ${JSON.stringify(described.method)})`);
  const { vision, text, head, useLateral, temperatures, varianceLambda, seed } = described;
  const learnGlobalTemperature = described.learnGlobalTemperature ?? false; // older checkpoints predate the option
  const method = new MedST({ vision, text, head, useLateral, temperatures, learnGlobalTemperature, varianceLambda, seed });
  await loadParameters(method.params, dir);
  const tokenizer = await loadTokenizer(path.join(dir, 'vocab.txt'));
  return { method, tokenizer, crop: method.image.config.imageSize, maxTokens: options.maxTokens ?? 112 };
}

/** Global embeddings of records, row i ↔ records[i]. */
export interface RecordEmbeddings {
  ids: string[];
  /** [N, d] image (frontal view) in the joint space, L2-normalised. */
  image: Matrix;
  /** [N, W] the image encoder's global feature before the projection head (what probes read, as in MGCA / Med-ST). */
  imageFeatures: Matrix;
  /** [N, d] report, L2-normalised. */
  text: Matrix;
}

/**
 * Embeds the frontal image and the report of every record (eval mode, centre crops).
 * @param storeDir the prepared image store
 */
export async function embedRecords(model: FrozenModel, storeDir: string, records: readonly ManifestRecord[], batchSize = 32): Promise<RecordEmbeddings> {
  // One record per chunk keeps the input order; no lateral (downstream is single-view).
  const loader = new BatchLoader(storeDir, records, model.tokenizer, {
    chunkLength: 1,
    chunksPerBatch: batchSize,
    crop: model.crop,
    augment: false,
    shuffle: false,
    seed: 0,
    maxTokens: model.maxTokens,
    useWorker: false,
  });
  const d = model.method.config.head.outputWidth;
  const w = model.method.image.config.width;
  const image = new Float32Array(records.length * d);
  const imageFeatures = new Float32Array(records.length * w);
  const text = new Float32Array(records.length * d);
  const row = new Map(records.map((r, i) => [r.id, i]));
  try {
    for await (const batch of loader.epoch(0)) {
      const [img, feat, txt] = tf.tidy(() => {
        const frontal = tf.tensor4d(batch.frontal, [batch.rows, batch.crop, batch.crop, 1]);
        const images = model.method.encodeImages({ frontal }, false);
        const texts = model.method.encodeText(batch, false).textGlobal;
        return [images.imageGlobal.dataSync() as Float32Array, images.imageFeatures.dataSync() as Float32Array, texts.dataSync() as Float32Array];
      });
      batch.records.forEach((record, r) => {
        const i = row.get(record.id)!;
        image.set(img.subarray(r * d, (r + 1) * d), i * d);
        imageFeatures.set(feat.subarray(r * w, (r + 1) * w), i * w);
        text.set(txt.subarray(r * d, (r + 1) * d), i * d);
      });
    }
  } finally {
    await loader.close();
  }
  return { ids: records.map((r) => r.id), image: matrix(image, records.length, d), imageFeatures: matrix(imageFeatures, records.length, w), text: matrix(text, records.length, d) };
}

/** [N, d] global embeddings of free texts (sentences, prompts), L2-normalised. */
export function embedTexts(model: FrozenModel, texts: readonly string[]): Matrix {
  const encoded = model.tokenizer.encodeBatch(texts, { maxLength: model.maxTokens, padding: 'max_length', truncation: true });
  const d = model.method.config.head.outputWidth;
  const values = tf.tidy(() =>
    model.method.encodeText({ ...encoded, rows: encoded.batchSize, maxTokens: encoded.seqLength }, false).textGlobal.dataSync() as Float32Array,
  );
  return matrix(values, texts.length, d);
}

/**
 * Frozen ViT patch features of records' frontal images (before the projection
 * head), for dense tasks: [N, g·g, W] as a Float32Array, row-major.
 */
export async function patchFeatures(model: FrozenModel, storeDir: string, records: readonly ManifestRecord[], batchSize = 32): Promise<{ features: Float32Array; grid: number; width: number }> {
  const loader = new BatchLoader(storeDir, records, model.tokenizer, { chunkLength: 1, chunksPerBatch: batchSize, crop: model.crop, augment: false, shuffle: false, seed: 0, maxTokens: 8, useWorker: false });
  const grid = model.crop / model.method.image.config.patchSize;
  const width = model.method.image.config.width;
  const perImage = grid * grid * width;
  const features = new Float32Array(records.length * perImage);
  const row = new Map(records.map((r, i) => [r.id, i]));
  try {
    for await (const batch of loader.epoch(0)) {
      const local = tf.tidy(() => model.method.image.forward({ frontal: tf.tensor4d(batch.frontal, [batch.rows, batch.crop, batch.crop, 1]) }).local.dataSync() as Float32Array);
      batch.records.forEach((record, r) => features.set(local.subarray(r * perImage, (r + 1) * perImage), row.get(record.id)! * perImage));
    }
  } finally {
    await loader.close();
  }
  return { features, grid, width };
}
