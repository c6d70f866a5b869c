/**
 * `npm run demo`: the main job on the synthetic cohort, end to end.
 *   1. generate a cohort (MIMIC-CXR-JPG + MS-CXR-T layouts)       out/demo/cohort
 *   2. prepare it (manifest + 144 px image store)                 out/demo/prepared
 *   3. pre-train Med-ST (tiny preset) through the staged schedule  out/demo/run-medst-tiny
 *   4. evaluate it downstream (temporal classification, sentence similarity,
 *      zero-shot, linear probes, retrieval, segmentation)
 *   5. write an HTML report of the run and its evaluation         out/demo/report.html
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
import { escapeHtml, figuresPageHtml, type PlotlyFigure } from '../lib/viz/plotly.ts';
import { loadFrozenModel } from '../lib/eval/embed.ts';
import { HEADLINE_METRICS, evaluateSuite, type SuiteResult } from '../lib/eval/suite.ts';
import { readManifest } from '../lib/data/manifest.ts';
import { finalModelDir } from '../lib/train/run.ts';
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

await step('1/5 generating the synthetic cohort (150 patients, 256 px)', () => {
  if (fs.existsSync(path.join(cohortDir, 'mimic-cxr-2.0.0-metadata.csv'))) return console.log('[demo] cohort exists; reusing it');
  execFileSync(process.execPath, ['--import=tsx', path.join(root, 'data-prep', 'synth.ts'), '--out', cohortDir, '--patients', '150', '--size', '256', '--seed', '1'], { stdio: 'inherit' });
});

await step(`2/5 preparing the manifest and the ${config.imageSize} px image store`, async () => {
  const prepared = await prepareDataset({ mimicRoot: cohortDir, outDir: config.data, size: config.imageSize });
  console.log(`[demo] ${prepared.info.records} records (${prepared.info.splits.train} train), ${prepared.imagesDecoded} images decoded, ${prepared.imagesReused} reused; ${prepared.issues.summary()}`);
});

await step('3/5 staged Med-ST pre-training (tiny preset)', async () => {
  const { result, method } = await runPretraining(config, {
    onStep: (r) => {
      if (r.step % 25 === 0) console.log(`[demo] step ${r.step} [${r.stageName}] loss ${r.loss.toFixed(3)} ${Object.entries(r.terms).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ')} (${r.pairsPerSecond.toFixed(1)} pairs/s)`);
    },
  });
  method.dispose();
  console.log(`[demo] ${result.finished ? 'finished' : 'stopped'} at step ${result.position.step}`);
});

const evaluation = await step('4/5 downstream evaluation of the final model', async () => {
  const model = await loadFrozenModel(finalModelDir(config.out), { maxTokens: config.trainer.maxTokens });
  const { records } = readManifest(config.data);
  const result = await evaluateSuite(model, { cohortDir, preparedDir: config.data, imageSize: config.imageSize, records });
  model.method.dispose();
  for (const { key, label } of HEADLINE_METRICS) if (result.headline[key] !== undefined) console.log(`[demo]   ${label}: ${result.headline[key]!.toFixed(3)}`);
  return result;
});

const reportFile = path.join(demoDir, 'report.html');
await step('5/5 writing the report', () => {
  writeFileAtomicSync(reportFile, demoReport(readMetrics(config.out), evaluation));
});
console.log(`\n[demo] report: ${reportFile}`);

/** Loss terms per step with stage boundaries, throughput, and the evaluation. */
function demoReport(steps: StepRecord[], evaluation: SuiteResult): string {
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
  const figures = [
    { heading: 'Loss terms per step (stage boundaries dotted)', figure: losses },
    { heading: 'Throughput', figure: speed },
  ];
  const findings = evaluation.temporalCv?.findings.filter((f) => f.pairs > 0) ?? [];
  if (findings.length) {
    figures.push({
      heading: 'Temporal image classification accuracy per finding (5-fold CV by patient, mean ± std over 3 seeds)',
      figure: { data: [{ type: 'bar', x: findings.map((f) => f.finding), y: findings.map((f) => f.accuracy.mean), error_y: { type: 'data', array: findings.map((f) => f.accuracy.std), visible: true } }], layout: { height: 320, yaxis: { range: [0, 1] } } },
    });
  }
  const k = evaluation.retrieval.imageToText.curve.map((_, i) => i + 1);
  figures.push({
    heading: 'Retrieval recall@k on held-out pairs',
    figure: { data: [{ x: k, y: evaluation.retrieval.imageToText.curve, type: 'scatter', name: 'image → text' }, { x: k, y: evaluation.retrieval.textToImage.curve, type: 'scatter', name: 'text → image' }], layout: { height: 320 } },
  });
  const table = `<table border="1"><tr><th>metric</th><th>value</th></tr>${HEADLINE_METRICS.filter((m) => evaluation.headline[m.key] !== undefined)
    .map((m) => `<tr><td>${escapeHtml(m.label)}</td><td>${evaluation.headline[m.key]!.toFixed(3)}</td></tr>`)
    .join('')}</table>`;
  return figuresPageHtml('medst demo: staged Med-ST pre-training on the synthetic cohort', figures).replace('</h1>', `</h1>\n<h2>Downstream evaluation</h2>\n${table}`);
}
