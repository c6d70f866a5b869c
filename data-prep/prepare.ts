/**
 * `npm run prepare -- --mimic-root DIR --out DIR [--size 256] [--strict] [--shard i/n]`
 * `npm run prepare -- --mimic-root DIR --out DIR --merge SHARD_DIR...`
 *
 * Turns a MIMIC-CXR-JPG tree (the synthetic cohort or the real one) into a medst
 * dataset: `manifest.jsonl` + `manifest.json` (one record per frontal image) and an
 * image store `images-<S>/` of preprocessed S×S grayscale images (frontal and
 * lateral) that training reads without decoding JPEGs again.
 *
 * Bad input is skipped and counted by default, with a summary at the end;
 * `--strict` stops at the first problem. An interrupted run (crash, Ctrl-C) can be
 * run again: images already in the store are not redone, and the manifest is
 * written atomically at the end. Two runs into one folder are refused (a lock
 * file names the holder). `--shard i/n` prepares the patients with
 * `subject_id mod n = i - 1` into their own folder; `--merge` joins all n shard
 * folders into the output an unsharded run would write, byte for byte.
 */
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import path from 'node:path';
import { formatRowAccount } from '../lib/data/metadata_rows.ts';
import type { ShardSpec } from '../lib/data/mimic_manifest.ts';
import { mergePreparedShards, prepareDataset, type PrepareResult } from '../lib/data/prepare.ts';
import { defaultPrepareConcurrency } from '../lib/data/prepare_concurrency.ts';

const program = new Command()
  .name('prepare')
  .description('Prepare a MIMIC-CXR-JPG tree (real or synthetic) into a medst manifest and image store.')
  .requiredOption('--mimic-root <dir>', 'root of the MIMIC-CXR-JPG tree (holds mimic-cxr-2.0.0-metadata.csv and files/)')
  .requiredOption('--out <dir>', 'output folder for manifest.jsonl, manifest.json and images-<size>/')
  .option('--size <px>', 'side S of the stored square images', (v) => parsePositiveInt(v, '--size'), 256)
  .option('--strict', 'stop at the first data problem instead of skipping and counting it', false)
  .option('--concurrency <n>', 'decode worker processes, one per core by default', (v) => parsePositiveInt(v, '--concurrency'), defaultPrepareConcurrency())
  .option('--full-jpeg-decode', 'decode film-size JPEGs in full instead of at the DCT scale just above --size', false)
  .option('--shard <i/n>', 'prepare only shard i of n (1-based), split by patient, into --out', parseShard)
  .option('--merge <dirs...>', 'join the folders of all n shards into --out instead of decoding images')
  .option('--quiet', 'no progress bar', false);

function parseShard(value: string): ShardSpec {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(count >= 1 && index >= 1 && index <= count)) throw new InvalidArgumentError(`--shard must be i/n with 1 ≤ i ≤ n, got "${value}"`);
  return { index, count };
}

function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

const options = program.parse().opts<{ mimicRoot: string; out: string; size: number; strict: boolean; concurrency: number; fullJpegDecode: boolean; shard?: ShardSpec; merge?: string[]; quiet: boolean }>();
if (options.shard && options.merge) {
  console.error('prepare: --shard and --merge do not go together (prepare the shards first, then merge them)');
  process.exit(2);
}
const bar = options.quiet ? null : new cliProgress.SingleBar({ format: 'prepare |{bar}| {value}/{total} images | {eta_formatted} left | {issues} issue(s)', hideCursor: true }, cliProgress.Presets.shades_classic);
const started = Date.now();
try {
  const progress = {
    onStart: (total: number) => bar?.start(total, 0, { issues: 0 }),
    onProgress: (done: number, issues: number) => bar?.update(done, { issues }),
  };
  const result: PrepareResult = options.merge
    ? await mergePreparedShards({ mimicRoot: path.resolve(options.mimicRoot), shardDirs: options.merge.map((dir) => path.resolve(dir)), outDir: path.resolve(options.out), strict: options.strict, ...progress })
    : await prepareDataset({
        mimicRoot: path.resolve(options.mimicRoot),
        outDir: path.resolve(options.out),
        size: options.size,
        strict: options.strict,
        concurrency: options.concurrency,
        jpeg: options.fullJpegDecode ? 'full' : 'dct-scaled',
        shard: options.shard,
        ...progress,
      });
  bar?.stop();
  const { info } = result;
  console.log(
    `prepare: ${info.records} frontal records (${info.withLateral} with a lateral) from ${info.patients} patients, ${info.studies} studies; ` +
      `splits train ${info.splits.train} / validate ${info.splits.validate} / test ${info.splits.test}; ` +
      `${result.imagesDecoded} images decoded, ${result.imagesReused} reused from the store, in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  if (result.tookOverLockFrom) console.log(`prepare: took over the lock of an earlier run that is gone (pid ${result.tookOverLockFrom.pid}, ${result.tookOverLockFrom.started})`);
  if (info.shard) console.log(`prepare: shard ${info.shard.index}/${info.shard.count}; merge all shards with --merge`);
  console.log(result.issues.summary());
  if (info.metadataRows) console.log(formatRowAccount(info.metadataRows));
  console.log(`prepare: wrote ${path.join(options.out, 'manifest.jsonl')} and ${info.imageStore?.file}`);
} catch (error) {
  bar?.stop();
  console.error(`prepare: ${(error as Error).message}`);
  process.exit(1);
}
