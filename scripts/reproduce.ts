/**
 * `npm run reproduce [-- --quick] [--seeds 1,2] [--patients N] [--epochs-per-slot E] [--cohort-seed S] [--experiment a.json,b.json] [--variants a,b]`
 *
 * The papers' comparisons on the synthetic cohort, as one command, beside the
 * reference rows: majority/chance, raw pixels, random init and the supervised
 * ceiling; then pre-trained rows of the experiment files (default files: the
 * Med-ST ablation — global-only, + local, + MoVE, + FMC, + RMR — and the method
 * comparison, which adds PRIOR, IMITATE and MPMA, each beside the random init
 * of its encoder; configs/experiments/method-ablations.json adds their own
 * ablations). By default only global-only and staged Med-ST are trained, which
 * fits two seeds in the 2-hour budget of a 2-core machine (≈ 75 min);
 * `--variants all` trains every row of the files (≈ 3–4 h there). Each is
 * pre-trained with the same budget and seeds in the `cpu` regime
 * (lib/train/regime.ts), every downstream evaluation, and learning curves for
 * global-only, Med-ST, PRIOR, IMITATE and MPMA. Writes results/ (results.md, results.json,
 * report.html). `--quick` is the CI setting.
 */
import { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../lib/backend.ts';
import { readManifest } from '../lib/data/manifest.ts';
import { prepareDataset } from '../lib/data/prepare.ts';
import { combineExperiments, experimentFile, readExperiment } from '../lib/eval/experiment.ts';
import { runComparison } from '../lib/eval/comparison.ts';
import { RESULTS_MARKDOWN } from '../lib/eval/results.ts';
import { REGIMES } from '../lib/train/regime.ts';

const root = path.resolve(import.meta.dirname, '..');
/**
 * The pre-trained rows a plain `npm run reproduce` trains: the two the targets are about.
 * The ablation's intermediate rows and the other methods take 3–4 more hours on 2 cores (lab notebook §34).
 */
const DEFAULT_VARIANTS = ['global', 'medst'];
/** A repeated list option adds to the list (commander would keep only the last, silently). */
function joinLists(value: string, previous: string | undefined): string {
  return previous === undefined ? value : `${previous},${value}`;
}

const opts = new Command()
  .name('reproduce')
  .description('The papers\' comparisons on the synthetic cohort (Med-ST ablation; Med-ST, PRIOR, IMITATE and MPMA), with reference rows.')
  .option('--quick', 'CI setting: tiny cohort and model, one seed, short evaluations', false)
  .option('--seeds <list>', 'comma-separated training seeds (default 1,2; quick: 1); repeating the option adds to the list', joinLists)
  .option('--patients <n>', 'cohort size (default: the regime\'s, 1000; quick: 40)')
  .option('--cohort-seed <n>', 'seed of the generated cohort', '2024')
  .option('--epochs-per-slot <n>', 'epochs per schedule slot; every trained row gets 3 slots (default: the regime\'s)')
  .option('--experiment <files>', 'the rows to run, as data: comma-separated experiment files (configs/experiments/*.json)', [experimentFile('medst-ablation'), experimentFile('methods')].join(','))
  .option('--variants <list>', `pre-trained rows to run, or "all" (default: ${DEFAULT_VARIANTS.join(',')}; quick: all); repeating the option adds to the list`, joinLists)
  .option('--no-supervised', 'skip the supervised-ceiling row')
  .option('--out <dir>', 'results folder', path.join(root, 'results'))
  .option('--work <dir>', 'cohort, prepared data and runs', path.join(root, 'out', 'reproduce'))
  .parse()
  .opts<{ quick: boolean; seeds?: string; patients?: string; cohortSeed: string; epochsPerSlot?: string; experiment: string; variants?: string; supervised: boolean; out: string; work: string }>();

const regime = opts.quick ? REGIMES.quick : REGIMES.cpu;
const seeds = (opts.seeds ?? (opts.quick ? '1' : '1,2')).split(',').map(Number);
const patients = Number(opts.patients ?? regime.patients);
const cohortSeed = Number(opts.cohortSeed);
const epochsPerSlot = Number(opts.epochsPerSlot ?? regime.epochsPerSlot);
for (const [name, value] of [['--patients', patients], ['--epochs-per-slot', epochsPerSlot], ['--cohort-seed', cohortSeed], ...seeds.map((s) => ['--seeds', s] as const)] as const) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`reproduce: ${name} must be positive integers, got ${value}`);
    process.exit(1);
  }
}
const experimentFiles = opts.experiment.split(',').map((file) => path.resolve(file));
const experiment = combineExperiments(experimentFiles.map(readExperiment), experimentFiles);
const known = experiment.variants.filter((v) => v.pretrain);
const variantList = opts.variants ?? (opts.quick ? 'all' : DEFAULT_VARIANTS.join(','));
const wanted = variantList === 'all' ? known.map((v) => v.name) : variantList.split(',');
const unknown = wanted.filter((w) => !known.some((v) => v.name === w));
if (unknown.length) {
  console.error(`reproduce: unknown variant(s) ${unknown.join(', ')} (known: ${known.map((v) => v.name).join(', ')})`);
  process.exit(1);
}

await initBackend();
const started = Date.now();
const cohortDir = path.join(opts.work, 'cohort');
const preparedDir = path.join(opts.work, 'prepared');
const setup = { quick: opts.quick, patients, cohortSeed, epochsPerSlot, regime, experiment: experiment.name };
const setupFile = path.join(opts.work, 'setup.json');
if (fs.existsSync(setupFile) && fs.readFileSync(setupFile, 'utf8') !== JSON.stringify(setup)) {
  // A different cohort or regime: start over rather than mixing runs.
  fs.rmSync(opts.work, { recursive: true, force: true });
}
fs.mkdirSync(opts.work, { recursive: true });
fs.writeFileSync(setupFile, JSON.stringify(setup));

console.log(`reproduce: ${patients} patients (cohort seed ${cohortSeed}), training seeds ${seeds.join(',')}, ${3 * epochsPerSlot} epochs per trained row${opts.quick ? ', quick' : ''}`);
if (!fs.existsSync(path.join(cohortDir, 'mimic-cxr-2.0.0-metadata.csv'))) {
  execFileSync(process.execPath, ['--import=tsx', path.join(root, 'data-prep', 'synth.ts'), '--out', cohortDir, '--patients', String(patients), '--size', opts.quick ? '128' : '256', '--seed', String(cohortSeed)], { stdio: ['ignore', 'ignore', 'inherit'] });
}
await prepareDataset({ mimicRoot: cohortDir, outDir: preparedDir, size: regime.imageSize });
const { records } = readManifest(preparedDir);

await runComparison(
  {
    title: 'Med-ST ablation and method comparison on the synthetic cohort',
    cohortDir,
    preparedDir,
    imageSize: regime.imageSize,
    seeds,
    models: regime.models,
    trainer: { rowsPerBatch: regime.rowsPerBatch, crop: regime.crop, maxTokens: regime.maxTokens, gradClipNorm: 1, checkpointEvery: 200 },
    vocabSize: regime.vocabSize,
    epochsPerSlot,
    learningRate: regime.learningRate,
    // A random-init row only beside a trained row of its method (PRIOR's ResNet init needs PRIOR).
    variants: experiment.variants.filter((v) => (v.pretrain ? wanted.includes(v.name) : known.some((k) => k.method === v.method && wanted.includes(k.name)))),
    curves: ['global', 'medst', 'prior', 'imitate', 'mpma'],
    curveEveryEpochs: regime.curveEveryEpochs,
    supervised: opts.supervised,
    quick: opts.quick,
    workDir: opts.work,
    outDir: opts.out,
  },
  records,
  (line) => console.log(`reproduce: ${line}`),
);
console.log(`\nreproduce: done in ${((Date.now() - started) / 60000).toFixed(1)} min`);
console.log(fs.readFileSync(path.join(opts.out, RESULTS_MARKDOWN), 'utf8'));
console.log(`reproduce: wrote ${opts.out}/results.md, results.json and report.html`);
