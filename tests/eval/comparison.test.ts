/**
 * `runComparison` end to end on a tiny cohort (quick regime): the rows it writes,
 * the learning curve (a point at every curve epoch, the last one being the final
 * evaluation's own numbers, not a second measurement), the temporal
 * cross-validation's repeats, and a rerun that reuses the finished runs.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCohort } from '../../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import { prepareDataset } from '../../lib/data/prepare.ts';
import { CURVE_FILE, runComparison, runConfig, type ComparisonConfig } from '../../lib/eval/comparison.ts';
import { medstAblation } from '../../lib/eval/experiment.ts';
import { REGIMES } from '../../lib/train/regime.ts';
import { readMetrics } from '../../lib/train/trainer.ts';
import { nativeBackend } from '../helpers/tf.ts';

test.before(async () => {
  await nativeBackend();
});

test('comparison rows, a learning curve whose last point is the final evaluation, and a rerun that reuses the runs', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-comparison-'));
  try {
    const regime = REGIMES.quick;
    await generateCohort(resolveSynthConfig({ out: path.join(dir, 'cohort'), patients: 30, size: 128, seed: 5, workers: 0 }));
    const prepared = await prepareDataset({ mimicRoot: path.join(dir, 'cohort'), outDir: path.join(dir, 'prepared'), size: regime.imageSize });
    const config: ComparisonConfig = {
      title: 'test',
      cohortDir: path.join(dir, 'cohort'),
      preparedDir: path.join(dir, 'prepared'),
      imageSize: regime.imageSize,
      seeds: [1],
      models: regime.models,
      trainer: { rowsPerBatch: regime.rowsPerBatch, crop: regime.crop, maxTokens: regime.maxTokens, gradClipNorm: 1, checkpointEvery: 1000 },
      vocabSize: regime.vocabSize,
      epochsPerSlot: 1,
      learningRate: regime.learningRate,
      variants: medstAblation().variants.filter((v) => ['random', 'global'].includes(v.name)),
      curves: ['global'],
      curveEveryEpochs: 2,
      supervised: false,
      quick: false,
      temporalCvRepeats: 1,
      workDir: path.join(dir, 'work'),
      outDir: path.join(dir, 'out'),
    };
    const lines: string[] = [];
    const results = await runComparison(config, prepared.records, (line) => lines.push(line));
    t.deepEqual(results.runs.map((r) => r.row), ['majority', 'raw_pixels', 'random', 'global']);
    t.is(lines.length, 4);
    const global = results.runs.find((r) => r.row === 'global')!;
    // 3 epochs (3 slots × 1), a point every 2 epochs and after the last: epochs 2 and 3.
    const curve = results.curves.find((c) => c.row === 'global')!;
    t.deepEqual(curve.points.map((p) => p.epoch), [2, 3]);
    const last = curve.points.at(-1)!;
    const globalRun = runConfig(config, config.variants.find((v) => v.name === 'global')!, 1);
    t.is(last.step, readMetrics(globalRun.out).length, 'the last point sits at the run\'s last step');
    for (const key of ['probe_auroc_100', 'temporal_macro_acc', 'temporal_acc'] as const) {
      if (global.metrics[key]) t.deepEqual(last.metrics[key], global.metrics[key], `${key}: the final evaluation's value`);
    }
    t.true(curve.points[0]!.step < last.step);
    // The curve file in the run folder holds the same points; results.json holds the rows.
    t.deepEqual(JSON.parse(fs.readFileSync(path.join(globalRun.out, CURVE_FILE), 'utf8')).points, curve.points);
    t.deepEqual(JSON.parse(fs.readFileSync(path.join(config.outDir, 'results.json'), 'utf8')).runs.map((r: { row: string }) => r.row), ['majority', 'raw_pixels', 'random', 'global']);
    // A rerun finds the finished runs: nothing is retrained, the numbers and the curve are the same.
    const steps = readMetrics(globalRun.out).length;
    const again = await runComparison(config, prepared.records, () => {});
    t.is(readMetrics(globalRun.out).length, steps);
    t.deepEqual(again.runs.find((r) => r.row === 'global')!.metrics, global.metrics);
    t.deepEqual(again.curves.find((c) => c.row === 'global')!.points, curve.points);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
