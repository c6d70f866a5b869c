/**
 * The end-to-end check every method's test runs: a short pre-training run with a
 * flat tensor count within each stage, a copy killed before its end and resumed
 * to exactly the same losses, and the final checkpoint loaded through the
 * method slot, rebuilt by `restoreMethod`, and put through the evaluation suite
 * without leaking tensors.
 */
import type { ExecutionContext } from 'ava';
import path from 'node:path';
import { readManifest } from '../../lib/data/manifest.ts';
import { embedTexts, loadFrozenModel } from '../../lib/eval/embed.ts';
import { evaluateSuite } from '../../lib/eval/suite.ts';
import type { PretrainingMethod } from '../../lib/methods/method.ts';
import { restoreMethod } from '../../lib/methods/registry.ts';
import { finalModelDir, runPretraining, type PretrainRunConfig } from '../../lib/train/run.ts';
import type { StageConfig } from '../../lib/train/schedule.ts';
import { readMetrics } from '../../lib/train/trainer.ts';
import { tf } from './tf.ts';

/** Where the run's data lives (a generated cohort and its prepared copy at 40 px, crops of 32). */
export interface RunFixture {
  dir: string;
  /** The method's class: the loaded checkpoint must be one. */
  kind: abstract new (...args: never[]) => PretrainingMethod;
  /** The run config for an output folder name. */
  run: (out: string) => PretrainRunConfig;
}

/** The run config of these checks for a method's `quick` preset: 8 pairs per step, a checkpoint every 3 steps, in `dir/out`. */
export function quickRun(dir: string, method: string, stages: StageConfig[]): (out: string) => PretrainRunConfig {
  return (out) => ({
    method,
    data: path.join(dir, 'prepared'),
    vocabSize: 300,
    model: { preset: 'quick', overrides: { seed: 3 } },
    stages,
    trainer: { rowsPerBatch: 8, maxTokens: 48, seed: 3, gradClipNorm: 1, checkpointEvery: 3 },
    out: path.join(dir, out),
  });
}

export async function checkRunResumeEvaluate(t: ExecutionContext, { dir, kind, run }: RunFixture): Promise<void> {
  const quiet = { log: () => {} };
  const counts: number[] = [];
  const stages: number[] = [];
  const full = await runPretraining(run('full'), { ...quiet, onStep: (r) => (counts.push(tf.memory().numTensors), stages.push(r.stage)) });
  t.true(full.result.finished);
  t.true(counts.length >= 6);
  // Flat within each stage; a later stage may add the AdamW moments of the parameters it switches on.
  for (const stage of new Set(stages)) t.is(new Set(counts.filter((_, i) => stages[i] === stage)).size, 1, `stage ${stage}: tensor count over steps ${counts}`);
  full.method.dispose();
  const killed = await runPretraining(run('killed'), { ...quiet, stopAfterSteps: counts.length - 2 });
  t.false(killed.result.finished);
  killed.method.dispose();
  const resumed = await runPretraining(run('killed'), quiet);
  t.true(resumed.result.finished);
  t.not(resumed.result.resumedFrom, null);
  t.deepEqual(readMetrics(path.join(dir, 'killed')).map((m) => m.loss), readMetrics(path.join(dir, 'full')).map((m) => m.loss), 'identical losses after the resume (seeded randomness included)');
  const model = await loadFrozenModel(finalModelDir(path.join(dir, 'full')), { maxTokens: 48 });
  t.true(model.method instanceof kind);
  t.is(model.crop, 32);
  // The checkpoint rebuilds the same weights: embeddings match the resumed run's.
  const texts = ['no pleural effusion. heart size normal.', 'right lower lobe opacity.'];
  t.deepEqual(embedTexts(model, texts).data, embedTexts({ ...model, method: resumed.method }, texts).data);
  const fresh = restoreMethod(model.description, 'test');
  t.notDeepEqual(embedTexts({ ...model, method: fresh }, texts).data, embedTexts(model, texts).data, 'restoreMethod gives the initial weights');
  fresh.dispose();
  resumed.method.dispose();
  const before = tf.memory().numTensors;
  const suite = await evaluateSuite(model, { cohortDir: path.join(dir, 'cohort'), preparedDir: path.join(dir, 'prepared'), imageSize: 40, records: readManifest(path.join(dir, 'prepared')).records }, { quick: true });
  t.is(tf.memory().numTensors, before);
  t.true(suite.headline['i2t_r5'] !== undefined && suite.headline['i2t_r5'].value >= 0);
  model.method.dispose();
}
