/**
 * The training batch pipeline (methods §1.6): manifest records → chunks → planned
 * batches → typed arrays (frontal and lateral crops with a presence mask, token
 * ids, attention masks, word ids, chunk structure) → tensors.
 *
 * Image reading and cropping run in a worker thread and are requested
 * `prefetch` batches ahead, so the trainer does not wait on data. Reports are
 * tokenised once, when the loader opens. Everything is seeded: the same
 * (seed, epoch) gives the same batches, whether a worker is used or not.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Worker } from 'node:worker_threads';
import { planBatches, type PlannedBatch } from './batch_plan.ts';
import { assembleImageBatch, cropSeedOf, type ImageBatch, type ImageBatchRequest } from './batch_images.ts';
import { ImageStore } from './image_store.ts';
import type { ManifestRecord } from './manifest.ts';
import { chunkSequences } from './sequences.ts';
import type { WordPieceTokenizer } from './tokenizer/index.ts';
import type { JitterConfig } from './jitter.ts';
import { sentenceIdsOf, sentenceTokensOf } from './sentence_ids.ts';
import { cleanedSections } from './report_sections.ts';

/** How batches are made. */
export interface BatchLoaderConfig {
  /** T: steps per chunk (temporal losses use full chunks). */
  chunkLength: number;
  /** Chunks per batch (the paper: 10); or give `rowsPerBatch`. */
  chunksPerBatch?: number;
  /** Exactly this many rows per batch (chunks cut where needed; see batch_plan.ts). */
  rowsPerBatch?: number;
  /** Drop an epoch's last, smaller batch (default false). */
  dropLast?: boolean;
  /** C: crop side (the paper: 224 from 256). */
  crop: number;
  /** Random crops (training) or centre crops (evaluation). */
  augment: boolean;
  /** With `augment`: rotation/scale/intensity jitter of each crop (default none). */
  jitter?: JitterConfig | null;
  /** Shuffle chunk order per epoch. */
  shuffle: boolean;
  seed: number;
  /** L: token length (the paper: 112). */
  maxTokens: number;
  /** Batches requested ahead of the one being consumed (default 2). */
  prefetch?: number;
  /** Read images in a worker thread (default true). */
  useWorker?: boolean;
  /** Read lateral views (default true; false leaves every row without one). */
  lateral?: boolean;
  /** Give each token its sentence index, for up to this many sentences per report (default 0: no `sentenceIds`). */
  sentences?: number;
  /** Also give the findings and the impression as token rows of their own (default false: no `sections`). */
  sections?: boolean;
}

/** Token rows of one report section. */
export interface SectionRows {
  /** Int32Array [B, L]; an absent section is `[CLS] [SEP]`. */
  inputIds: Int32Array;
  /** Int32Array [B, L]. */
  attentionMask: Int32Array;
  /** Uint8Array [B]: 1 where the report has the section. */
  present: Uint8Array;
}

/** One batch as typed arrays; B rows, full chunks' rows first. */
export interface HostBatch extends ImageBatch {
  /** B. */
  rows: number;
  /** C. */
  crop: number;
  records: ManifestRecord[];
  /** Int32Array [B, L]. */
  inputIds: Int32Array;
  /** Int32Array [B, L]: 1 for real tokens. */
  attentionMask: Int32Array;
  /** Int32Array [B, L]: word index of each token, −1 for special and padding tokens. */
  wordIds: Int32Array;
  /** L. */
  maxTokens: number;
  /** Int32Array [B]: chunk of each row within the batch. */
  chunkIndex: Int32Array;
  /** Int32Array [B]: step of each row inside its chunk. */
  stepIndex: Int32Array;
  /** Full chunks: rows [0, fullChunks·T) hold them, T consecutive rows each. */
  fullChunks: number;
  /** T. */
  chunkLength: number;
  /** Int32Array [B, L]: sentence of each token, −1 for special, padding and overflow tokens (when the loader gives sentences). */
  sentenceIds?: Int32Array;
  /** The findings and the impression tokenised separately, each cleaned on its own (when the loader gives sections). */
  sections?: { findings: SectionRows; impression: SectionRows };
}

/** A batch as tensors; the caller owns (disposes) them. */
export interface TensorBatch {
  /** [B, C, C, 1] float32. */
  frontal: tf.Tensor4D;
  /** [B, C, C, 1] float32. */
  lateral: tf.Tensor4D;
  /** [B] float32. */
  lateralPresent: tf.Tensor1D;
  /** [B, L] int32. */
  inputIds: tf.Tensor2D;
  /** [B, L] int32. */
  attentionMask: tf.Tensor2D;
}

/** Tensors of a host batch (word ids stay on the host: aggregation builds its own matrix). */
export function toTensors(batch: HostBatch): TensorBatch {
  const { rows: b, crop: c, maxTokens: l } = batch;
  return {
    frontal: tf.tensor4d(batch.frontal, [b, c, c, 1]),
    lateral: tf.tensor4d(batch.lateral, [b, c, c, 1]),
    lateralPresent: tf.tensor1d(batch.lateralPresent),
    inputIds: tf.tensor2d(batch.inputIds, [b, l], 'int32'),
    attentionMask: tf.tensor2d(batch.attentionMask, [b, l], 'int32'),
  };
}

interface Pending {
  resolve: (batch: ImageBatch) => void;
  reject: (error: Error) => void;
}

/** Batches over a set of manifest records and a prepared image store. */
export class BatchLoader {
  readonly config: BatchLoaderConfig & Required<Pick<BatchLoaderConfig, 'prefetch' | 'useWorker' | 'lateral' | 'sentences' | 'sections'>>;
  private readonly records: ManifestRecord[];
  private readonly store: ImageStore;
  private readonly tokens: { inputIds: Int32Array; attentionMask: Int32Array; wordIds: Int32Array; sentenceIds: Int32Array | null };
  private readonly sectionTokens: { findings: SectionRows; impression: SectionRows } | null;
  private readonly rowOf = new Map<string, number>();
  /** How many of the records' reports are longer than `maxTokens` and reach the model cut (lab notebook §29). */
  readonly truncatedReports: number;
  private readonly worker: Worker | null;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 0;
  private workerError: Error | null = null;
  private closing = false;

  /**
   * @param storeDir An image store made by `prepareDataset` (`images-<S>/`).
   * @param records The manifest records to draw from (e.g. one split).
   */
  constructor(storeDir: string, records: readonly ManifestRecord[], tokenizer: WordPieceTokenizer, config: BatchLoaderConfig) {
    this.config = { prefetch: 2, useWorker: true, lateral: true, sentences: 0, sections: false, ...config };
    this.records = [...records];
    this.store = ImageStore.open(storeDir);
    if (this.config.crop > this.store.size) throw new Error(`BatchLoader: crop ${this.config.crop} is larger than the stored images (${this.store.size})`);
    for (const record of this.records) {
      if (!this.store.has(record.id)) throw new Error(`BatchLoader: image ${record.id} is not in the store ${storeDir} (prepare the dataset again)`);
      if (this.config.lateral && record.lateral && !this.store.has(record.lateral.id)) throw new Error(`BatchLoader: lateral image ${record.lateral.id} is not in the store ${storeDir}`);
    }
    this.records.forEach((r, i) => this.rowOf.set(r.id, i));
    const encoded = tokenizer.encodeBatch(this.records.map((r) => r.report.text), { maxLength: this.config.maxTokens, padding: 'max_length', truncation: true });
    const sentenceIds = this.config.sentences > 0 ? sentenceIdsOf(encoded.inputIds, encoded.attentionMask, this.records.length, this.config.maxTokens, sentenceTokensOf(tokenizer), this.config.sentences) : null;
    this.tokens = { inputIds: encoded.inputIds, attentionMask: encoded.attentionMask, wordIds: encoded.wordIds, sentenceIds };
    this.truncatedReports = encoded.truncatedRows;
    this.sectionTokens = this.config.sections ? this.tokenizeSections(tokenizer) : null;
    this.worker = this.config.useWorker ? this.startWorker(storeDir) : null;
  }

  /** Every record's findings and impression, cleaned and tokenised on their own. */
  private tokenizeSections(tokenizer: WordPieceTokenizer): { findings: SectionRows; impression: SectionRows } {
    const sections = this.records.map((r) => cleanedSections(r.report));
    const rowsOf = (key: 'findings' | 'impression'): SectionRows => {
      const texts = sections.map((s) => s[key]);
      const encoded = tokenizer.encodeBatch(texts.map((t) => t ?? ''), { maxLength: this.config.maxTokens, padding: 'max_length', truncation: true });
      return { inputIds: encoded.inputIds, attentionMask: encoded.attentionMask, present: Uint8Array.from(texts, (t) => (t === null ? 0 : 1)) };
    };
    return { findings: rowsOf('findings'), impression: rowsOf('impression') };
  }

  private startWorker(storeDir: string): Worker {
    const workerUrl = new URL(`./batch_worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
    // Under tsx (sources run as .ts) a worker's entry is not seen by tsx's loader:
    // bootstrap it with tsx's API first. From dist/ the .js worker starts directly.
    const worker = workerUrl.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(workerUrl.href)}); });`, { eval: true, workerData: { storeDir } })
      : new Worker(workerUrl, { workerData: { storeDir } });
    worker.on('message', (message: { id: number; batch?: ImageBatch; error?: string }) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0 && !this.closing) worker.unref(); // idle: don't keep the process alive
      if (message.error !== undefined) waiting.reject(new Error(`batch worker: ${message.error}`));
      else waiting.resolve(message.batch!);
    });
    const fail = (error: Error) => {
      this.workerError = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => fail(new Error(`batch worker failed: ${error.message}`)));
    worker.on('exit', (code) => {
      if (!this.closing) fail(new Error(`batch worker exited unexpectedly (code ${code})`));
    });
    worker.unref();
    return worker;
  }

  /** The planned batches of an epoch (cheap: no pixels). */
  plan(epoch: number): PlannedBatch<ManifestRecord>[] {
    const { chunkLength, chunksPerBatch, rowsPerBatch, dropLast, shuffle, seed } = this.config;
    return planBatches(chunkSequences(this.records, chunkLength), chunkLength, { chunksPerBatch, rowsPerBatch, dropLast, shuffle, seed, epoch });
  }

  /** Number of batches in an epoch. */
  batchesPerEpoch(): number {
    return this.plan(0).length;
  }

  private imageRequest(planned: PlannedBatch<ManifestRecord>, epoch: number, index: number): ImageBatchRequest {
    return {
      frontal: Int32Array.from(planned.records, (r) => this.store.recordOf(r.id)),
      lateral: Int32Array.from(planned.records, (r) => (this.config.lateral && r.lateral ? this.store.recordOf(r.lateral.id) : -1)),
      crop: this.config.crop,
      augment: this.config.augment,
      jitter: this.config.jitter ?? null,
      cropSeed: cropSeedOf(this.config.seed, epoch, index),
    };
  }

  private requestImages(request: ImageBatchRequest): Promise<ImageBatch> {
    if (!this.worker) return Promise.resolve(assembleImageBatch(this.store, request));
    if (this.workerError) return Promise.reject(this.workerError);
    const id = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.ref(); // a request in flight keeps the process alive until it is answered
      this.worker!.postMessage({ id, ...request });
    });
  }

  private hostBatch(planned: PlannedBatch<ManifestRecord>, images: ImageBatch): HostBatch {
    const l = this.config.maxTokens;
    const rows = planned.records.length;
    const inputIds = new Int32Array(rows * l);
    const attentionMask = new Int32Array(rows * l);
    const wordIds = new Int32Array(rows * l);
    const all = this.tokens.sentenceIds;
    const sentenceIds = all ? new Int32Array(rows * l) : null;
    planned.records.forEach((record, row) => {
      const from = this.rowOf.get(record.id)! * l;
      inputIds.set(this.tokens.inputIds.subarray(from, from + l), row * l);
      attentionMask.set(this.tokens.attentionMask.subarray(from, from + l), row * l);
      wordIds.set(this.tokens.wordIds.subarray(from, from + l), row * l);
      sentenceIds?.set(all!.subarray(from, from + l), row * l);
    });
    const sections = this.sectionTokens ? this.sectionRows(planned.records) : null;
    return {
      ...images,
      rows,
      crop: this.config.crop,
      records: planned.records,
      inputIds,
      attentionMask,
      wordIds,
      maxTokens: l,
      chunkIndex: planned.chunkIndex,
      stepIndex: planned.stepIndex,
      fullChunks: planned.fullChunks,
      chunkLength: planned.chunkLength,
      ...(sentenceIds ? { sentenceIds } : {}),
      ...(sections ? { sections } : {}),
    };
  }

  /** The section rows of a batch's records. */
  private sectionRows(records: readonly ManifestRecord[]): { findings: SectionRows; impression: SectionRows } {
    const l = this.config.maxTokens;
    const pick = (all: SectionRows): SectionRows => {
      const out: SectionRows = { inputIds: new Int32Array(records.length * l), attentionMask: new Int32Array(records.length * l), present: new Uint8Array(records.length) };
      records.forEach((record, row) => {
        const at = this.rowOf.get(record.id)!;
        out.inputIds.set(all.inputIds.subarray(at * l, (at + 1) * l), row * l);
        out.attentionMask.set(all.attentionMask.subarray(at * l, (at + 1) * l), row * l);
        out.present[row] = all.present[at]!;
      });
      return out;
    };
    return { findings: pick(this.sectionTokens!.findings), impression: pick(this.sectionTokens!.impression) };
  }

  /**
   * The batches of one epoch, from batch `startBatch` on (for exact resume),
   * with `prefetch` image batches requested ahead.
   */
  async *epoch(epoch: number, startBatch = 0): AsyncGenerator<HostBatch> {
    const plan = this.plan(epoch);
    const inFlight: Array<Promise<ImageBatch>> = [];
    let requested = startBatch;
    const fill = () => {
      while (requested < plan.length && inFlight.length < Math.max(1, this.config.prefetch)) {
        inFlight.push(this.requestImages(this.imageRequest(plan[requested]!, epoch, requested)));
        requested++;
      }
    };
    for (let index = startBatch; index < plan.length; index++) {
      fill();
      const images = await inFlight.shift()!;
      fill(); // keep the worker busy while the caller computes on this batch
      yield this.hostBatch(plan[index]!, images);
    }
  }

  /** Stops the worker and closes the store. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.worker) {
      this.worker.ref(); // an unref'd worker would let the process exit before terminate() settles
      this.worker.postMessage('close');
      await this.worker.terminate();
    }
    this.store.close();
  }
}
