/**
 * `npm run reproduce [-- --quick] [--seeds 1,2] [--patients N] [--epochs-per-slot E]`
 *
 * The Med-ST paper's comparison on the synthetic cohort, as one command: random
 * initialisation, global-only (CLIP-style), + local, + MoVE, + FMC, + RMR (full
 * Med-ST, staged), each pre-trained with the same budget and seeds, then every
 * downstream evaluation. Writes results/ (results.md, results.json, report.html).
 * `--quick` is the CI setting: a tiny cohort, a smaller model, one seed.
 */
import { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../lib/backend.ts';
import { readManifest, recordsOfSplit } from '../lib/data/manifest.ts';
import { prepareDataset } from '../lib/data/prepare.ts';
import { createTokenizer } from '../lib/data/tokenizer/index.ts';
import { ABLATION_VARIANTS } from '../lib/eval/ablation.ts';
import { loadFrozenModel } from '../lib/eval/embed.ts';
import { writeComparison, type ComparisonResults, type RunResult } from '../lib/eval/results.ts';
import { HEADLINE_METRICS, evaluateSuite } from '../lib/eval/suite.ts';
import { MedST, medstConfig } from '../lib/methods/medst.ts';
import { finalModelDir, runPretraining, type PretrainRunConfig } from '../lib/train/run.ts';
import { saveParameters } from '../lib/weights/checkpoint.ts';

const root = path.resolve(import.meta.dirname, '..');
const opts = new Command()
  .name('reproduce')
  .description("The Med-ST paper's comparison on the synthetic cohort.")
  .option('--quick', 'CI setting: tiny cohort and model, one seed, short evaluations', false)
  .option('--seeds <list>', 'comma-separated seeds (default 1,2; quick: 1)')
  .option('--patients <n>', 'cohort size (default 150; quick: 40)')
  .option('--epochs-per-slot <n>', 'epochs per schedule slot; every variant trains 3 slots (default 1)')
  .option('--out <dir>', 'results folder', path.join(root, 'results'))
  .option('--work <dir>', 'cohort, prepared data and runs', path.join(root, 'out', 'reproduce'))
  .parse()
  .opts<{ quick: boolean; seeds?: string; patients?: string; epochsPerSlot?: string; out: string; work: string }>();

const quick = opts.quick;
const seeds = (opts.seeds ?? (quick ? '1' : '1,2')).split(',').map(Number);
const patients = Number(opts.patients ?? (quick ? 40 : 150));
const epochsPerSlot = Number(opts.epochsPerSlot ?? 1);
const imageSize = quick ? 72 : 144;
const crop = quick ? 64 : 128;
const learningRate = quick ? 5e-4 : 3e-4;
const modelOverrides = quick
  ? { vision: { imageSize: 64, patchSize: 16, width: 64, depth: 2, heads: 2 }, text: { width: 64, layers: 1, heads: 2, intermediateSize: 128, maxPositions: 128 }, head: { hiddenWidth: 96, outputWidth: 32, bnEps: 1e-5, bnMomentum: 0.1 } }
  : {};
for (const [name, value] of [['--patients', patients], ['--epochs-per-slot', epochsPerSlot], ...seeds.map((s) => ['--seeds', s] as const)] as const) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`reproduce: ${name} must be positive integers, got ${value}`);
    process.exit(1);
  }
}

await initBackend();
const started = Date.now();
const cohortDir = path.join(opts.work, 'cohort');
const preparedDir = path.join(opts.work, 'prepared');
const setup = { quick, patients, seeds, epochsPerSlot, imageSize, crop, learningRate, preset: 'tiny', modelOverrides };
const setupFile = path.join(opts.work, 'setup.json');
if (fs.existsSync(setupFile) && fs.readFileSync(setupFile, 'utf8') !== JSON.stringify(setup)) {
  // Different settings: start over rather than mixing runs.
  fs.rmSync(opts.work, { recursive: true, force: true });
}
fs.mkdirSync(opts.work, { recursive: true });
fs.writeFileSync(setupFile, JSON.stringify(setup));

console.log(`reproduce: ${patients} patients, seeds ${seeds.join(',')}, ${epochsPerSlot} epoch(s) per slot${quick ? ', quick' : ''}`);
if (!fs.existsSync(path.join(cohortDir, 'mimic-cxr-2.0.0-metadata.csv'))) {
  execFileSync(process.execPath, ['--import=tsx', path.join(root, 'data-prep', 'synth.ts'), '--out', cohortDir, '--patients', String(patients), '--size', quick ? '128' : '256', '--seed', '2024'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
await prepareDataset({ mimicRoot: cohortDir, outDir: preparedDir, size: imageSize });
const { records } = readManifest(preparedDir);

const runs: RunResult[] = [];
for (const seed of seeds) {
  for (const variant of ABLATION_VARIANTS) {
    const runStarted = Date.now();
    const config: PretrainRunConfig = {
      data: preparedDir,
      imageSize,
      vocabSize: quick ? 400 : 2000,
      model: { preset: 'tiny', overrides: { ...modelOverrides, seed, useLateral: variant.useLateral } },
      stages: variant.stages(epochsPerSlot, learningRate),
      trainer: { chunksPerBatch: 4, crop, maxTokens: quick ? 64 : 112, seed, gradClipNorm: 1, checkpointEvery: 1000 },
      out: path.join(opts.work, 'runs', `${variant.name}-s${seed}`),
    };
    if (variant.pretrain) {
      const { method } = await runPretraining(config, { log: () => {} });
      method.dispose();
    } else {
      await saveRandomInit(config);
    }
    const trainSeconds = (Date.now() - runStarted) / 1000;
    const evalStarted = Date.now();
    const model = await loadFrozenModel(finalModelDir(config.out), { maxTokens: config.trainer.maxTokens });
    const suite = await evaluateSuite(model, { cohortDir, preparedDir, imageSize, records }, { quick });
    model.method.dispose();
    const evalSeconds = (Date.now() - evalStarted) / 1000;
    runs.push({ variant: variant.name, label: variant.label, seed, trainSeconds, evalSeconds, headline: suite.headline });
    const h = suite.headline;
    console.log(
      `reproduce: ${variant.label.padEnd(24)} seed ${seed}: trained ${trainSeconds.toFixed(0)}s, evaluated ${evalSeconds.toFixed(0)}s | temporal acc ${fmt(h.temporal_acc)}, sentence AUC ${fmt(h.sentence_auc)}, probe100 ${fmt(h.probe_100)}, i2t R@5 ${fmt(h.i2t_r5)}`,
    );
    // Results so far are always on disk.
    const results: ComparisonResults = { format: 'medst-comparison', version: 1, setup, metrics: HEADLINE_METRICS, runs };
    writeComparison(opts.out, results);
  }
}
console.log(`\nreproduce: done in ${((Date.now() - started) / 60000).toFixed(1)} min`);
console.log(fs.readFileSync(path.join(opts.out, 'results.md'), 'utf8'));
console.log(`reproduce: wrote ${opts.out}/results.md, results.json and report.html`);

function fmt(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? '–' : x.toFixed(3);
}

/** The "random initialisation" row: the seeded initial weights, saved like a trained model. */
async function saveRandomInit(config: PretrainRunConfig): Promise<void> {
  const train = recordsOfSplit(records, 'train');
  const tokenizer = await createTokenizer({ kind: 'corpus', corpus: train.map((r) => r.report.text), build: { vocabSize: config.vocabSize } });
  const method = new MedST(medstConfig(config.model.preset, { ...config.model.overrides, vocabSize: tokenizer.vocabSize }));
  const final = finalModelDir(config.out);
  await saveParameters(method.params, final, method.describe());
  tokenizer.saveVocab(path.join(final, 'vocab.txt'));
  method.dispose();
}
