/**
 * `npm run demo [-- --seed S] [--patients N]`: the main job on the synthetic cohort, end to end.
 *   1. generate a cohort (MIMIC-CXR-JPG + MS-CXR-T layouts) with seed S   out/demo/cohort-sS
 *   2. prepare it (manifest + image store of the `cpu` regime)            out/demo/prepared-sS
 *   3. the reference rows (majority/chance, raw pixels, random init, supervised ceiling)
 *      and staged Med-ST and global-only pre-training with the same budget, with
 *      probe AUROC / temporal accuracy after every epoch
 *   4. every downstream evaluation of each row
 *   5. results.json / results.md and an HTML report                        out/demo/
 * Each step says how long it took; a rerun reuses what is already there
 * (the generator is deterministic, preparation and training resume).
 */
import { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../lib/backend.ts';
import { readManifest } from '../lib/data/manifest.ts';
import { prepareDataset } from '../lib/data/prepare.ts';
import { medstAblation } from '../lib/eval/experiment.ts';
import { runComparison, runConfig, type ComparisonConfig } from '../lib/eval/comparison.ts';
import { aggregate, comparisonReportHtml, RESULTS_MARKDOWN, type ComparisonResults } from '../lib/eval/results.ts';
import { readMetrics, type StepRecord } from '../lib/train/trainer.ts';
import { REGIMES } from '../lib/train/regime.ts';
import { writeFileAtomicSync } from '../lib/util/atomic_file.ts';
import type { PlotlyFigure } from '../lib/viz/plotly.ts';

const root = path.resolve(import.meta.dirname, '..');
const opts = new Command()
  .name('demo')
  .description('Generate a cohort, pre-train Med-ST and the reference rows, evaluate, report.')
  .option('--seed <n>', 'seed of the generated cohort (training uses seed 1)', '1')
  .option('--patients <n>', 'cohort size', String(REGIMES.demo.patients))
  .option('--out <dir>', 'demo folder', path.join(root, 'out', 'demo'))
  .parse()
  .opts<{ seed: string; patients: string; out: string }>();
const cohortSeed = Number(opts.seed);
const patients = Number(opts.patients);
for (const [name, value] of [['--seed', cohortSeed], ['--patients', patients]] as const) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`demo: ${name} must be a positive integer, got ${value}`);
    process.exit(1);
  }
}
const regime = REGIMES.demo;
const demoDir = opts.out;
const cohortDir = path.join(demoDir, `cohort-s${cohortSeed}-p${patients}`);
const preparedDir = path.join(demoDir, `prepared-s${cohortSeed}-p${patients}`);

async function step<T>(title: string, body: () => Promise<T> | T): Promise<T> {
  const started = Date.now();
  console.log(`\n[demo] ${title}`);
  const result = await body();
  console.log(`[demo] ${title}: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return result;
}

await initBackend();
const started = Date.now();
await step(`1/4 generating the synthetic cohort (${patients} patients, 256 px, seed ${cohortSeed})`, () => {
  if (fs.existsSync(path.join(cohortDir, 'mimic-cxr-2.0.0-metadata.csv'))) return console.log('[demo] cohort exists; reusing it');
  execFileSync(process.execPath, ['--import=tsx', path.join(root, 'data-prep', 'synth.ts'), '--out', cohortDir, '--patients', String(patients), '--size', '256', '--seed', String(cohortSeed)], { stdio: 'inherit' });
});

await step(`2/4 preparing the manifest and the ${regime.imageSize} px image store`, async () => {
  const prepared = await prepareDataset({ mimicRoot: cohortDir, outDir: preparedDir, size: regime.imageSize });
  console.log(`[demo] ${prepared.info.records} records (${prepared.info.splits.train} train), ${prepared.imagesDecoded} images decoded, ${prepared.imagesReused} reused; ${prepared.issues.summary()}`);
});

const config: ComparisonConfig = {
  title: `medst demo: Med-ST on the synthetic cohort (seed ${cohortSeed}, ${patients} patients) beside the reference rows`,
  cohortDir,
  preparedDir,
  imageSize: regime.imageSize,
  seeds: [1],
  models: regime.models,
  trainer: { rowsPerBatch: regime.rowsPerBatch, crop: regime.crop, maxTokens: regime.maxTokens, gradClipNorm: 1, checkpointEvery: 100 },
  vocabSize: regime.vocabSize,
  epochsPerSlot: regime.epochsPerSlot,
  learningRate: regime.learningRate,
  variants: medstAblation().variants.filter((v) => ['random', 'global', 'medst'].includes(v.name)),
  curves: ['global', 'medst'],
  curveEveryEpochs: regime.curveEveryEpochs,
  temporalCvRepeats: regime.temporalCvRepeats,
  supervised: true,
  quick: false,
  workDir: path.join(demoDir, `runs-s${cohortSeed}-p${patients}`),
  outDir: demoDir,
};
const { records } = readManifest(preparedDir);
const results = await step('3/4 reference rows, pre-training (global-only and staged Med-ST) and every evaluation', () =>
  runComparison(config, records, (line) => console.log(`[demo] ${line}`)),
);

const reportFile = path.join(demoDir, 'report.html');
await step('4/4 writing the report', () => {
  const medst = config.variants.find((v) => v.name === 'medst')!;
  writeFileAtomicSync(reportFile, demoReport(results, readMetrics(runConfig(config, medst, 1).out)));
});
console.log(`\n${fs.readFileSync(path.join(demoDir, RESULTS_MARKDOWN), 'utf8')}`);
const rows = new Map(aggregate(results).map((r) => [r.name, r]));
const probe = (name: string) => rows.get(name)?.metrics.probe_auroc_100?.mean ?? Number.NaN;
console.log(`[demo] Med-ST probe AUROC ${probe('medst').toFixed(3)} vs random init ${probe('random').toFixed(3)} (Δ ${(probe('medst') - probe('random')).toFixed(3)}) and raw pixels ${probe('raw_pixels').toFixed(3)} (Δ ${(probe('medst') - probe('raw_pixels')).toFixed(3)})`);
console.log(`[demo] done in ${((Date.now() - started) / 60000).toFixed(1)} min; report: ${reportFile}; results: ${path.join(demoDir, 'results.json')}`);

/** The comparison report plus Med-ST's loss terms per step with stage boundaries. */
function demoReport(results: ComparisonResults, steps: StepRecord[]): string {
  const boundaries = steps.filter((s, i) => i === 0 || s.stage !== steps[i - 1]!.stage);
  const shapes = boundaries.map((b) => ({ type: 'line', x0: b.step, x1: b.step, yref: 'paper', y0: 0, y1: 1, line: { dash: 'dot', color: '#888' } }));
  const annotations = boundaries.map((b) => ({ x: b.step, y: 1, yref: 'paper', text: b.stageName, showarrow: false, xanchor: 'left', yanchor: 'bottom' }));
  const losses: PlotlyFigure = {
    data: ['global', 'local', 'fmc', 'rmr'].map((term) => {
      const with_ = steps.filter((s) => s.terms[term] !== undefined);
      return { x: with_.map((s) => s.step), y: with_.map((s) => s.terms[term]), type: 'scatter', mode: 'lines', name: term };
    }),
    layout: { xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'loss (unweighted)' } }, shapes, annotations, height: 420 },
  };
  return comparisonReportHtml(results, [{ heading: `Med-ST loss terms per step (${steps[0]?.rows ?? '?'} pairs per step; stage boundaries dotted)`, figure: losses }]);
}
