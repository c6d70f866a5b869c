/**
 * Dataset preparation: a MIMIC-CXR-JPG tree → manifest + image store.
 * The CLI is `data-prep/prepare.ts`; notebooks call `prepareDataset` directly.
 */
import path from 'node:path';
import { acquireDirLock, type LockHolder } from '../util/dir_lock.ts';
import { DataError, DataIssues } from './errors.ts';
import { ImageStore, ImageStoreWriter } from './image_store.ts';
import { readManifest, writeManifest, type ManifestInfo, type ManifestRecord, type ShardImageFailure } from './manifest.ts';
import type { RowAccount } from './metadata_rows.ts';
import { buildMimicManifest, settleRowLedger, type ShardSpec } from './mimic_manifest.ts';
import { defaultPrepareConcurrency } from './prepare_concurrency.ts';
import { preprocessImage, type JpegDecodeMode } from './preprocess.ts';
import { PreprocessPool } from './preprocess_pool.ts';
import { forEachSettledInOrder } from '../util/ordered_pool.ts';

/** Options of `prepareDataset`. */
export interface PrepareOptions {
  mimicRoot: string;
  outDir: string;
  /** S of the stored S×S images. */
  size: number;
  /** Stop at the first problem (default: skip and count). */
  strict?: boolean;
  /**
   * Decode workers (processes); default `defaultPrepareConcurrency()`, one per core. JPEG
   * decoding is synchronous native code, so images decode in parallel only across workers.
   */
  concurrency?: number;
  /** How one-component JPEGs are decoded (default 'dct-scaled'; see preprocess.ts). */
  jpeg?: JpegDecodeMode;
  /** Fewer images than this decode on the main thread: starting workers costs more (default 64). */
  poolMinImages?: number;
  /** Prepare only this shard's patients (see `mergePreparedShards`). */
  shard?: ShardSpec;
  /** Called once with the number of images to store (frontal + lateral). */
  onStart?: (total: number) => void;
  /** Called as images are stored: images done so far, issues so far. */
  onProgress?: (done: number, issues: number) => void;
}

/** What `prepareDataset` did. */
export interface PrepareResult {
  records: ManifestRecord[];
  info: ManifestInfo;
  issues: DataIssues;
  imagesDecoded: number;
  imagesReused: number;
  /** Set when a lock left by a dead run was taken over. */
  tookOverLockFrom: LockHolder | null;
}

/** The image-store folder for size S inside a prepared dataset. */
export function imageStoreDir(outDir: string, size: number): string {
  return path.join(outDir, `images-${size}`);
}

/** The lock file that keeps two preparations out of one folder. */
export const PREPARE_LOCK_FILE = '.prepare.lock';

/** Where a job's pixels come from: decoding the file, or a shard's finished store. */
type PixelSource = (job: ImageJob) => Promise<Uint8Array>;

/** Opens a pixel source for `jobs` images; `close` ends it. */
type PixelSourceFactory = (jobs: number) => Promise<{ source: PixelSource; inFlight: number; close: () => Promise<void> }>;

interface ImageJob {
  id: string;
  /** Relative to the dataset root. */
  rel: string;
  file: string;
}

/**
 * Builds the manifest from the tree, stores every frontal and lateral image
 * preprocessed to S×S (skipping those already stored by an earlier run), drops
 * records whose frontal image cannot be decoded (and laterals that cannot, keeping
 * the frontal), then writes the manifest atomically. The output folder is locked
 * while this runs.
 */
export async function prepareDataset(options: PrepareOptions): Promise<PrepareResult> {
  const jpeg = options.jpeg ?? 'dct-scaled';
  const workers = options.concurrency ?? defaultPrepareConcurrency();
  const decode: PixelSourceFactory = async (jobs) => {
    if (workers > 1 && jobs >= (options.poolMinImages ?? 64)) {
      const pool = await PreprocessPool.start(workers);
      // Two images per worker in flight, so none waits for its next one.
      return { source: (job) => pool.run(job.file, options.size, jpeg), inFlight: 2 * workers, close: () => pool.close() };
    }
    return { source: (job) => preprocessImage(job.file, options.size, { jpeg }), inFlight: 2, close: async () => {} };
  };
  return prepareWith(options, decode, options.shard ?? null);
}

/** Options of `mergePreparedShards`. */
export interface MergeShardsOptions {
  /** The MIMIC-CXR-JPG tree the shards were made from (its tables and reports are read again; its images are not). */
  mimicRoot: string;
  /** The shard output folders, one per shard, in any order. */
  shardDirs: readonly string[];
  outDir: string;
  strict?: boolean;
  onStart?: (total: number) => void;
  onProgress?: (done: number, issues: number) => void;
}

/**
 * Joins the outputs of `prepare --shard i/n` (all n of them) into one manifest
 * and image store, byte for byte what one unsharded run would write: the
 * manifest is rebuilt from the tree's tables and reports in metadata order, and
 * each image's pixels (or its decode failure) come from the shard that made it.
 *
 * @throws Error when a shard is missing, repeated, of another size or count, or lacks an image it should hold.
 */
export async function mergePreparedShards(options: MergeShardsOptions): Promise<PrepareResult> {
  const shards = options.shardDirs.map((dir) => ({ dir, info: readManifest(dir).info }));
  const first = shards[0]?.info;
  if (!first?.shard || !first.imageStore) throw new Error(`${options.shardDirs[0] ?? '(none)'}: not the output of \`prepare --shard\``);
  const count = first.shard.count;
  const size = first.imageStore.size;
  const seen = new Map<number, string>();
  for (const { dir, info } of shards) {
    if (!info.shard || !info.imageStore) throw new Error(`${dir}: not the output of \`prepare --shard\``);
    if (info.shard.count !== count || info.imageStore.size !== size || info.imageStore.jpeg !== first.imageStore.jpeg) {
      const describe = (i: ManifestInfo) => `${i.shard!.index}/${i.shard!.count} at ${i.imageStore!.size} px, JPEG ${i.imageStore!.jpeg ?? 'unrecorded'}`;
      throw new Error(`${dir}: shard ${describe(info)} does not match ${options.shardDirs[0]} (${describe(first)})`);
    }
    const other = seen.get(info.shard.index);
    if (other !== undefined) throw new Error(`shard ${info.shard.index}/${count} given twice: ${other} and ${dir}`);
    seen.set(info.shard.index, dir);
  }
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((index) => !seen.has(index));
  if (missing.length > 0) throw new Error(`shard(s) ${missing.map((index) => `${index}/${count}`).join(', ')} missing from the merge`);

  const stores = shards.map(({ dir, info }) => ImageStore.open(path.join(dir, info.imageStore!.file), { preload: false }));
  const failures = new Map<string, ShardImageFailure>();
  for (const { info } of shards) for (const failure of info.shard!.undecodable) failures.set(failure.id, failure);
  const fromShards: PixelSource = async (job) => {
    for (const store of stores) if (store.has(job.id)) return store.read(job.id);
    const failure = failures.get(job.id);
    if (failure) throw new DataError(failure.kind, failure.detail, { file: job.file });
    throw new ShardGapError(`no shard holds image ${job.id} (${job.rel}): were all shards prepared from the same tree and run to the end?`);
  };
  try {
    return await prepareWith({ ...options, size, jpeg: first.imageStore.jpeg }, async () => ({ source: fromShards, inFlight: 4, close: async () => {} }), null);
  } finally {
    for (const store of stores) store.close();
  }
}

/** A merge found an image that no shard stored or failed: the shards are incomplete. */
class ShardGapError extends Error {}

async function prepareWith(
  options: Omit<PrepareOptions, 'shard'>,
  pixels: PixelSourceFactory,
  shard: ShardSpec | null,
): Promise<PrepareResult> {
  const lock = acquireDirLock(options.outDir, `medst prepare (${shard ? `shard ${shard.index}/${shard.count}` : 'whole tree'})`, PREPARE_LOCK_FILE);
  try {
    return { ...(await prepareLocked(options, pixels, shard, () => lock.release())), tookOverLockFrom: lock.tookOverFrom };
  } finally {
    lock.release();
  }
}

async function prepareLocked(options: Omit<PrepareOptions, 'shard'>, pixels: PixelSourceFactory, shard: ShardSpec | null, releaseLock: () => void): Promise<Omit<PrepareResult, 'tookOverLockFrom'>> {
  const issues = new DataIssues({ strict: options.strict ?? false });
  const build = buildMimicManifest(options.mimicRoot, { issues, shard: shard ?? undefined });
  const candidates = build.records;
  const storeDir = imageStoreDir(options.outDir, options.size);
  const writer = ImageStoreWriter.open(storeDir, { size: options.size, commitEvery: 256 });
  // Commit what is done if the user interrupts, so a rerun resumes from there.
  const onSignal = () => {
    writer.close();
    releaseLock();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  let decoded = 0;
  let reused = 0;
  const failed = new Map<string, DataError>();
  try {
    const jobs: ImageJob[] = [];
    const queued = new Set<string>();
    for (const record of candidates) {
      for (const image of [{ id: record.id, rel: record.imagePath }, ...(record.lateral ? [{ id: record.lateral.id, rel: record.lateral.imagePath }] : [])]) {
        if (queued.has(image.id)) continue; // a lateral shared by several frontals
        queued.add(image.id);
        if (writer.has(image.id)) reused++;
        else jobs.push({ ...image, file: path.join(options.mimicRoot, image.rel) });
      }
    }
    options.onStart?.(jobs.length + reused);
    let done = reused;
    const opened = await pixels(jobs.length);
    // Decode several images at once, append in job order so the store is deterministic.
    await forEachSettledInOrder(jobs, opened.inFlight, opened.source, (job, result) => {
      if (result.status === 'fulfilled') {
        writer.append(job.id, result.value);
        decoded++;
      } else {
        if (result.reason instanceof ShardGapError) throw result.reason;
        const error = result.reason instanceof DataError ? result.reason : new DataError('bad-file', `cannot decode image: ${(result.reason as Error).message}`, { file: job.file });
        issues.report(error); // throws in strict mode
        failed.set(job.id, error);
      }
      done++;
      options.onProgress?.(done, issues.total);
    }).finally(() => opened.close());
    writer.close();
  } catch (error) {
    writer.close();
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
  }

  const records: ManifestRecord[] = [];
  for (const record of candidates) {
    if (failed.has(record.id)) continue;
    records.push(record.lateral && failed.has(record.lateral.id) ? { ...record, lateral: null } : record);
  }
  for (const image of build.images) {
    const error = failed.get(image.dicomId);
    if (error) build.ledger.drop(image.source.row, image.source.line, 'undecodable-image', error.detail);
  }
  const metadataRows = settleRowLedger(build, records).account();
  const info = manifestInfo(options, records, issues, storeDir, metadataRows, shard, failed);
  writeManifest(options.outDir, records, info);
  return { records, info, issues, imagesDecoded: decoded, imagesReused: reused };
}

function manifestInfo(
  options: Omit<PrepareOptions, 'shard'>,
  records: ManifestRecord[],
  issues: DataIssues,
  storeDir: string,
  metadataRows: RowAccount,
  shard: ShardSpec | null,
  failed: ReadonlyMap<string, DataError>,
): ManifestInfo {
  const splits = { train: 0, validate: 0, test: 0 };
  for (const r of records) splits[r.split]++;
  return {
    format: 'medst-manifest',
    version: 1,
    source: path.resolve(options.mimicRoot),
    records: records.length,
    withLateral: records.filter((r) => r.lateral !== null).length,
    splits,
    patients: new Set(records.map((r) => r.subjectId)).size,
    studies: new Set(records.map((r) => r.studyId)).size,
    imageStore: { file: path.relative(options.outDir, storeDir), size: options.size, jpeg: options.jpeg ?? 'dct-scaled' },
    issues: issues.counts() as Record<string, number>,
    metadataRows,
    ...(shard ? { shard: { ...shard, undecodable: [...failed].map(([id, error]) => ({ id, kind: error.kind, detail: error.detail })) } } : {}),
  };
}
