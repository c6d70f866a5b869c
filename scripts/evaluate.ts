/**
 * `npm run evaluate -- --model RUN/final --prepared DIR --cohort DIR [--image-size S] [--max-tokens L] [--quick] [--out FILE]`
 *
 * Every downstream evaluation of one pre-trained checkpoint on a dataset in the
 * MIMIC-CXR-JPG / MS-CXR-T layouts (the synthetic cohort or the real one):
 * prints the headline metrics beside the reference rows (majority/chance, raw
 * pixels, the same architecture at random init; the supervised ceiling needs
 * training and is a row of `npm run reproduce`) and writes everything as JSON.
 */
import { Command } from 'commander';
import fs from 'node:fs';
import { REGIMES } from '../lib/train/regime.ts';
import path from 'node:path';
import { initBackend } from '../lib/backend.ts';
import { readManifest } from '../lib/data/manifest.ts';
import { loadFrozenModel } from '../lib/eval/embed.ts';
import { fineTuneProbe } from '../lib/eval/fine_tune.ts';
import { majorityMetrics, rawPixelMetrics } from '../lib/eval/references.ts';
import { imageStoreDir } from '../lib/data/prepare.ts';
import { restoreMethod } from '../lib/methods/registry.ts';
import { HEADLINE_METRICS, evaluateSuite } from '../lib/eval/suite.ts';
import { writeFileAtomicSync } from '../lib/util/atomic_file.ts';

const opts = new Command()
  .name('evaluate')
  .description('Downstream evaluation of a pre-trained Med-ST checkpoint.')
  .requiredOption('--model <dir>', "a run's final/ folder (model.safetensors, config.json, vocab.txt)")
  .requiredOption('--prepared <dir>', 'the prepared dataset (manifest + image store)')
  .requiredOption('--cohort <dir>', 'the dataset root (MS-CXR-T CSVs, train-rle.csv)')
  .option('--image-size <px>', "side of the image store to read (default: the run's, from final/run.json, else the cpu regime's 72)")
  .option('--max-tokens <n>', "token length (default: the run's, else the cpu regime's 64)")
  .option('--quick', 'fewer folds, seeds and decoder steps', false)
  .option('--fine-tune', 'also fine-tune the image encoder with a linear head (1/10/100 % labels)', false)
  .option('--out <file>', 'results JSON', 'evaluation.json')
  .parse()
  .opts<{ model: string; prepared: string; cohort: string; imageSize?: string; maxTokens?: string; quick: boolean; fineTune: boolean; out: string }>();

// The run's own settings where the model folder has them (npm run pretrain writes final/run.json).
const runFile = path.join(path.resolve(opts.model), 'run.json');
const run = fs.existsSync(runFile) ? (JSON.parse(fs.readFileSync(runFile, 'utf8')) as { imageSize?: number; trainer?: { maxTokens?: number } }) : {};
opts.imageSize ??= String(run.imageSize ?? REGIMES.cpu.imageSize);
opts.maxTokens ??= String(run.trainer?.maxTokens ?? REGIMES.cpu.maxTokens);

await initBackend();
const started = Date.now();
const model = await loadFrozenModel(path.resolve(opts.model), { maxTokens: Number(opts.maxTokens) });
const { records } = readManifest(path.resolve(opts.prepared));
const data = { cohortDir: path.resolve(opts.cohort), preparedDir: path.resolve(opts.prepared), imageSize: Number(opts.imageSize), records };
const result = await evaluateSuite(model, data, { quick: opts.quick });
// Reference rows beside the model: what the numbers mean.
const randomInit = restoreMethod(model.description, 'the model'); // the same architecture at its initial weights
const random = await evaluateSuite({ ...model, method: randomInit }, data, { quick: opts.quick });
randomInit.dispose();
const references = {
  majority: majorityMetrics(records, data.cohortDir),
  raw_pixels: rawPixelMetrics(imageStoreDir(data.preparedDir, data.imageSize), records, data.cohortDir, { crop: model.crop }, { quick: opts.quick }),
  random: random.headline,
};
const fmt = (v: { value: number } | undefined) => (v === undefined || Number.isNaN(v.value) ? '–' : v.value.toFixed(3)).padStart(9);
console.log(`${'metric'.padEnd(52)} ${'model'.padStart(9)} ${'majority'.padStart(9)} ${'raw pix.'.padStart(9)} ${'random'.padStart(9)}      n`);
for (const { key, label } of HEADLINE_METRICS) {
  const value = result.headline[key];
  if (value === undefined) continue;
  console.log(`${label.padEnd(52)} ${fmt(value)} ${fmt(references.majority[key])} ${fmt(references.raw_pixels[key])} ${fmt(references.random[key])} ${String(value.n).padStart(6)}`);
}
let fineTuned: Record<string, number> | undefined;
if (opts.fineTune) {
  fineTuned = {};
  for (const fraction of [0.01, 0.1, 1]) {
    const tuned = await fineTuneProbe(path.resolve(opts.model), data, { fraction, epochs: opts.quick ? 1 : 3, maxTokens: Number(opts.maxTokens) });
    fineTuned[`finetune_${Math.round(fraction * 100)}`] = tuned.auroc;
    console.log(`${`Fine-tuned AUROC ${Math.round(fraction * 100)}%`.padEnd(52)} ${tuned.auroc.toFixed(3)}`);
  }
}
model.method.dispose();
writeFileAtomicSync(path.resolve(opts.out), JSON.stringify({ headline: result.headline, references, fineTuned, result }, null, 1) + '\n');
console.log(`evaluate: done in ${((Date.now() - started) / 1000).toFixed(0)}s; results in ${path.resolve(opts.out)}`);
