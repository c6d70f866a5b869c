/**
 * `npm run prepare -- --mimic-root DIR --out DIR [--size 256] [--strict]`
 *
 * Turns a MIMIC-CXR-JPG tree (the synthetic cohort or the real one) into a medst
 * dataset: `manifest.jsonl` + `manifest.json` (one record per frontal image) and an
 * image store `images-<S>/` of preprocessed S×S grayscale images (frontal and
 * lateral) that training reads without decoding JPEGs again.
 *
 * Bad input is skipped and counted by default, with a summary at the end;
 * `--strict` stops at the first problem. An interrupted run (crash, Ctrl-C) can be
 * run again: images already in the store are not redone, and the manifest is
 * written atomically at the end.
 */
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import path from 'node:path';
import { prepareDataset } from '../lib/data/prepare.ts';
import { defaultPrepareConcurrency } from '../lib/data/prepare_concurrency.ts';

const program = new Command()
  .name('prepare')
  .description('Prepare a MIMIC-CXR-JPG tree (real or synthetic) into a medst manifest and image store.')
  .requiredOption('--mimic-root <dir>', 'root of the MIMIC-CXR-JPG tree (holds mimic-cxr-2.0.0-metadata.csv and files/)')
  .requiredOption('--out <dir>', 'output folder for manifest.jsonl, manifest.json and images-<size>/')
  .option('--size <px>', 'side S of the stored square images', (v) => parsePositiveInt(v, '--size'), 256)
  .option('--strict', 'stop at the first data problem instead of skipping and counting it', false)
  .option('--concurrency <n>', 'images decoded at once (more than 4 needs UV_THREADPOOL_SIZE as large; `npm run prepare` sets it)', (v) => parsePositiveInt(v, '--concurrency'), defaultPrepareConcurrency())
  .option('--quiet', 'no progress bar', false);

function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

const options = program.parse().opts<{ mimicRoot: string; out: string; size: number; strict: boolean; concurrency: number; quiet: boolean }>();
const bar = options.quiet ? null : new cliProgress.SingleBar({ format: 'prepare |{bar}| {value}/{total} images | {eta_formatted} left | {issues} issue(s)', hideCursor: true }, cliProgress.Presets.shades_classic);
const started = Date.now();
try {
  const result = await prepareDataset({
    mimicRoot: path.resolve(options.mimicRoot),
    outDir: path.resolve(options.out),
    size: options.size,
    strict: options.strict,
    concurrency: options.concurrency,
    onStart: (total) => bar?.start(total, 0, { issues: 0 }),
    onProgress: (done, issues) => bar?.update(done, { issues }),
  });
  bar?.stop();
  const { info } = result;
  console.log(
    `prepare: ${info.records} frontal records (${info.withLateral} with a lateral) from ${info.patients} patients, ${info.studies} studies; ` +
      `splits train ${info.splits.train} / validate ${info.splits.validate} / test ${info.splits.test}; ` +
      `${result.imagesDecoded} images decoded, ${result.imagesReused} reused from the store, in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  console.log(result.issues.summary());
  console.log(`prepare: wrote ${path.join(options.out, 'manifest.jsonl')} and ${info.imageStore?.file}`);
} catch (error) {
  bar?.stop();
  console.error(`prepare: ${(error as Error).message}`);
  process.exit(1);
}
