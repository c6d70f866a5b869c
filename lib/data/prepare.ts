/**
 * Dataset preparation: a MIMIC-CXR-JPG tree → manifest + image store.
 * The CLI is `data-prep/prepare.ts`; notebooks call `prepareDataset` directly.
 */
import path from 'node:path';
import { DataError, DataIssues } from './errors.ts';
import { ImageStoreWriter } from './image_store.ts';
import { writeManifest, type ManifestInfo, type ManifestRecord } from './manifest.ts';
import { buildMimicManifest } from './mimic_manifest.ts';
import { defaultPrepareConcurrency } from './prepare_concurrency.ts';
import { preprocessImage } from './preprocess.ts';
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
   * Images decoded at once; default `defaultPrepareConcurrency()`. sharp decodes on libuv's
   * thread pool, which has 4 threads unless UV_THREADPOOL_SIZE (read when the process starts)
   * says more: `npm run prepare` sizes it to match.
   */
  concurrency?: number;
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
}

/** The image-store folder for size S inside a prepared dataset. */
export function imageStoreDir(outDir: string, size: number): string {
  return path.join(outDir, `images-${size}`);
}

/**
 * Builds the manifest from the tree, stores every frontal and lateral image
 * preprocessed to S×S (skipping those already stored by an earlier run), drops
 * records whose frontal image cannot be decoded (and laterals that cannot, keeping
 * the frontal), then writes the manifest atomically.
 */
export async function prepareDataset(options: PrepareOptions): Promise<PrepareResult> {
  const issues = new DataIssues({ strict: options.strict ?? false });
  const candidates = buildMimicManifest(options.mimicRoot, { issues });
  const storeDir = imageStoreDir(options.outDir, options.size);
  const writer = ImageStoreWriter.open(storeDir, { size: options.size, commitEvery: 256 });
  // Commit what is done if the user interrupts, so a rerun resumes from there.
  const onSignal = () => {
    writer.close();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  let decoded = 0;
  let reused = 0;
  const failed = new Set<string>();
  try {
    const jobs: Array<{ id: string; file: string }> = [];
    const queued = new Set<string>();
    for (const record of candidates) {
      for (const image of [{ id: record.id, rel: record.imagePath }, ...(record.lateral ? [{ id: record.lateral.id, rel: record.lateral.imagePath }] : [])]) {
        if (queued.has(image.id)) continue; // a lateral shared by several frontals
        queued.add(image.id);
        if (writer.has(image.id)) reused++;
        else jobs.push({ id: image.id, file: path.join(options.mimicRoot, image.rel) });
      }
    }
    options.onStart?.(jobs.length + reused);
    let done = reused;
    const concurrency = options.concurrency ?? defaultPrepareConcurrency();
    // Decode with `concurrency` images in flight, append in job order so the store is deterministic.
    await forEachSettledInOrder(jobs, concurrency, (job) => preprocessImage(job.file, options.size), (job, result) => {
      if (result.status === 'fulfilled') {
        writer.append(job.id, result.value);
        decoded++;
      } else {
        const error = result.reason instanceof DataError ? result.reason : new DataError('bad-file', `cannot decode image: ${(result.reason as Error).message}`, { file: job.file });
        issues.report(error); // throws in strict mode
        failed.add(job.id);
      }
      done++;
      options.onProgress?.(done, issues.total);
    });
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
  const info = manifestInfo(options, records, issues, storeDir);
  writeManifest(options.outDir, records, info);
  return { records, info, issues, imagesDecoded: decoded, imagesReused: reused };
}

function manifestInfo(options: PrepareOptions, records: ManifestRecord[], issues: DataIssues, storeDir: string): ManifestInfo {
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
    imageStore: { file: path.relative(options.outDir, storeDir), size: options.size },
    issues: issues.counts() as Record<string, number>,
  };
}
