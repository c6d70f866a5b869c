/**
 * Frozen embeddings for downstream evaluation of any registered method: load
 * a trained model from its final folder (weights, config naming the method,
 * vocabulary) and embed images (single frontal view, centre crop, eval mode)
 * and texts through the method interface. Evaluations take these arrays;
 * nothing downstream touches the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { BatchLoader } from '../data/batches.ts';
import type { ManifestRecord } from '../data/manifest.ts';
import { sentenceIdsOf, sentenceTokensOf } from '../data/sentence_ids.ts';
import { loadTokenizer, type WordPieceTokenizer } from '../data/tokenizer/index.ts';
import type { PretrainingMethod } from '../methods/method.ts';
import { restoreMethod } from '../methods/registry.ts';
import { loadParameters } from '../weights/checkpoint.ts';
import { matrix, type Matrix } from './matrix.ts';

/** A trained model ready to embed. */
export interface FrozenModel {
  method: PretrainingMethod;
  /** The checkpoint's config.json: `method` and the config that rebuilds it (`restoreMethod` gives the same model at its initial weights). */
  description: Record<string, unknown>;
  tokenizer: WordPieceTokenizer;
  /** Crop side = the model's input size. */
  crop: number;
  maxTokens: number;
}

/** Loads `final/` of a run (model.safetensors, config.json, vocab.txt), whichever registered method built it. */
export async function loadFrozenModel(dir: string, options: { maxTokens?: number } = {}): Promise<FrozenModel> {
  const configFile = path.join(dir, 'config.json');
  if (!fs.existsSync(configFile)) throw new Error(`${dir}: no config.json (is this a run's final/ folder?)`);
  const description = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  const method = restoreMethod(description, configFile);
  try {
    await loadParameters(method.params, dir);
  } catch (error) {
    method.dispose();
    throw error;
  }
  const tokenizer = await loadTokenizer(path.join(dir, 'vocab.txt'));
  return { method, description, tokenizer, crop: method.inputSize, maxTokens: options.maxTokens ?? 112 };
}

/** The loader options a model's evaluation batches need (one record per chunk keeps the input order; no lateral: downstream is single-view). */
function evaluationLoaderOptions(model: FrozenModel, batchSize: number, maxTokens = model.maxTokens) {
  return { chunkLength: 1, chunksPerBatch: batchSize, crop: model.crop, augment: false, shuffle: false, seed: 0, maxTokens, useWorker: false, lateral: false, sentences: model.method.batchContents.sentences };
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
  const loader = new BatchLoader(storeDir, records, model.tokenizer, evaluationLoaderOptions(model, batchSize));
  const d = model.method.embeddingWidth;
  const w = model.method.featureWidth;
  const image = new Float32Array(records.length * d);
  const imageFeatures = new Float32Array(records.length * w);
  const text = new Float32Array(records.length * d);
  const row = new Map(records.map((r, i) => [r.id, i]));
  try {
    for await (const batch of loader.epoch(0)) {
      const [img, feat, txt] = tf.tidy(() => {
        const frontal = tf.tensor4d(batch.frontal, [batch.rows, batch.crop, batch.crop, 1]);
        const images = model.method.embedImages(frontal);
        const texts = model.method.embedTexts(batch);
        return [images.joint.dataSync() as Float32Array, images.features.dataSync() as Float32Array, texts.dataSync() as Float32Array];
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
  const rows = encoded.batchSize;
  const maxTokens = encoded.seqLength;
  const maxSentences = model.method.batchContents.sentences;
  const sentenceIds = maxSentences > 0 ? sentenceIdsOf(encoded.inputIds, encoded.attentionMask, rows, maxTokens, sentenceTokensOf(model.tokenizer), maxSentences) : undefined;
  const d = model.method.embeddingWidth;
  const values = tf.tidy(() => model.method.embedTexts({ ...encoded, rows, maxTokens, ...(sentenceIds ? { sentenceIds } : {}) }).dataSync() as Float32Array);
  return matrix(values, texts.length, d);
}

/**
 * Frozen dense features of records' frontal images (the image encoder's grid,
 * before any projection head), for dense tasks: [N, g·g, W] as a Float32Array, row-major.
 */
export async function patchFeatures(model: FrozenModel, storeDir: string, records: readonly ManifestRecord[], batchSize = 32): Promise<{ features: Float32Array; grid: number; width: number }> {
  const loader = new BatchLoader(storeDir, records, model.tokenizer, { ...evaluationLoaderOptions(model, batchSize, 8), sentences: 0 });
  let grid = 0;
  let width = 0;
  let features = new Float32Array(0);
  const row = new Map(records.map((r, i) => [r.id, i]));
  try {
    for await (const batch of loader.epoch(0)) {
      const dense = tf.tidy(() => {
        const out = model.method.denseFeatures(tf.tensor4d(batch.frontal, [batch.rows, batch.crop, batch.crop, 1]));
        return { grid: out.grid, width: out.features.shape[2], values: out.features.dataSync() as Float32Array };
      });
      if (features.length === 0) {
        ({ grid, width } = dense);
        features = new Float32Array(records.length * grid * grid * width);
      }
      const perImage = grid * grid * width;
      batch.records.forEach((record, r) => features.set(dense.values.subarray(r * perImage, (r + 1) * perImage), row.get(record.id)! * perImage));
    }
  } finally {
    await loader.close();
  }
  return { features, grid, width };
}
