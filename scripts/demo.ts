/**
 * `npm run demo`: the main job on the synthetic cohort, end to end.
 *   1. generate a cohort (MIMIC-CXR-JPG + MS-CXR-T layouts)       out/demo/cohort
 *   2. prepare it (manifest + 144 px image store)                 out/demo/prepared
 *   3. pre-train Med-ST (tiny preset) through the staged schedule  out/demo/run-medst-tiny
 *   4. write an HTML report of the run                            out/demo/report.html
 * Each step says how long it took; a rerun reuses what is already there
 * (the generator is deterministic, preparation and training resume).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../lib/backend.ts';
import { prepareDataset } from '../lib/data/prepare.ts';
import { readPretrainConfig, runPretraining } from '../lib/train/run.ts';
import { readMetrics, type StepRecord } from '../lib/train/trainer.ts';
import { figuresPageHtml, type PlotlyFigure } from '../lib/viz/plotly.ts';
import { writeFileAtomicSync } from '../lib/util/atomic_file.ts';

const root = path.resolve(import.meta.dirname, '..');
const demoDir = path.join(root, 'out', 'demo');
const cohortDir = path.join(demoDir, 'cohort');
const configFile = path.join(root, 'configs', 'pretrain-tiny.json');

async function step<T>(title: string, body: () => Promise<T> | T): Promise<T> {
  const started = Date.now();
  console.log(`\n[demo] ${title}`);
  const result = await body();
  console.log(`[demo] ${title}: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return result;
}

await initBackend();
const config = readPretrainConfig(configFile);

await step('1/4 generating the synthetic cohort (150 patients, 256 px)', () => {
  if (fs.existsSync(path.join(cohortDir, 'mimic-cxr-2.0.0-metadata.csv'))) return console.log('[demo] cohort exists; reusing it');
  execFileSync(process.execPath, ['--import=tsx', path.join(root, 'data-prep', 'synth.ts'), '--out', cohortDir, '--patients', '150', '--size', '256', '--seed', '1'], { stdio: 'inherit' });
});

await step(`2/4 preparing the manifest and the ${config.imageSize} px image store`, async () => {
  const prepared = await prepareDataset({ mimicRoot: cohortDir, outDir: config.data, size: config.imageSize });
  console.log(`[demo] ${prepared.info.records} records (${prepared.info.splits.train} train), ${prepared.imagesDecoded} images decoded, ${prepared.imagesReused} reused; ${prepared.issues.summary()}`);
});

await step('3/4 staged Med-ST pre-training (tiny preset)', async () => {
  const { result, method } = await runPretraining(config, {
    onStep: (r) => {
      if (r.step % 25 === 0) console.log(`[demo] step ${r.step} [${r.stageName}] loss ${r.loss.toFixed(3)} ${Object.entries(r.terms).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ')} (${r.pairsPerSecond.toFixed(1)} pairs/s)`);
    },
  });
  method.dispose();
  console.log(`[demo] ${result.finished ? 'finished' : 'stopped'} at step ${result.position.step}`);
});

const reportFile = path.join(demoDir, 'report.html');
await step('4/4 writing the report', () => {
  writeFileAtomicSync(reportFile, trainingReport(readMetrics(config.out)));
});
console.log(`\n[demo] report: ${reportFile}`);

/** Loss terms per step with stage boundaries, and throughput. */
function trainingReport(steps: StepRecord[]): string {
  const boundaries = steps.filter((s, i) => i === 0 || s.stage !== steps[i - 1]!.stage);
  const shapes = boundaries.map((b) => ({ type: 'line', x0: b.step, x1: b.step, yref: 'paper', y0: 0, y1: 1, line: { dash: 'dot', color: '#888' } }));
  const annotations = boundaries.map((b) => ({ x: b.step, y: 1, yref: 'paper', text: b.stageName, showarrow: false, xanchor: 'left', yanchor: 'bottom' }));
  const losses: PlotlyFigure = {
    data: ['global', 'local', 'fmc', 'rmr'].map((term) => {
      const with_ = steps.filter((s) => s.terms[term] !== undefined);
      return { x: with_.map((s) => s.step), y: with_.map((s) => s.terms[term]), type: 'scatter', mode: 'lines', name: term };
    }),
    layout: { xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'loss (unweighted)' } }, shapes, annotations, height: 450 },
  };
  const speed: PlotlyFigure = {
    data: [{ x: steps.map((s) => s.step), y: steps.map((s) => s.pairsPerSecond), type: 'scatter', mode: 'lines', name: 'pairs/s' }],
    layout: { xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'image–report pairs / s' } }, shapes, height: 300 },
  };
  return figuresPageHtml('medst demo: staged Med-ST pre-training on the synthetic cohort', [
    { heading: 'Loss terms per step (stage boundaries dotted)', figure: losses },
    { heading: 'Throughput', figure: speed },
  ]);
}
