/**
 * What the per-method step benches share (`prior-step`, `imitate-step`, `mpma-step`): timing
 * full training steps of a registered method through the trainer's own
 * `trainingStep`, running the independent PyTorch side on a spec file, and
 * printing loss terms.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostBatch } from '../lib/data/batches.ts';
import type { TrainableMethod } from '../lib/methods/method.ts';
import { AdamW } from '../lib/train/optim.ts';
import type { StageConfig } from '../lib/train/schedule.ts';
import { trainingStep } from '../lib/train/trainer.ts';
import type { Rng } from '../lib/util/rng.ts';
import { stepStats } from './medst_step.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Untimed steps before the timed ones, on both sides. */
export const WARMUP = 3;
/** Global-norm clipping of both sides. */
export const CLIP_NORM = 1;
/** AdamW settings of both sides. */
export const OPTIMIZER = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-6 } as const;

/** One side's timing. */
export interface StepTiming {
  median: number;
  p90: number;
  pairsPerSecond: number;
  parameters: number;
  firstTerms: Record<string, number | null>;
  lastLoss: number | null;
}

/**
 * WARMUP + `steps` training steps of `method` on one batch; ms per timed step and the tensor count around them.
 * @param randomAt the step's random source (default: the trainer's); a bench that hands the step's draws to PyTorch makes them from the same one
 */
export function timeMethodSteps(method: TrainableMethod, batch: HostBatch, stage: StageConfig, steps: number, randomAt?: (step: number) => Rng): StepTiming & { tensorsBefore: number; tensorsAfter: number } {
  const optimizer = new AdamW({ weightDecay: OPTIMIZER.weightDecay });
  const run = (step: number) => trainingStep(method, optimizer, batch, stage, { step, stage: 0, epoch: 0, batch: step, learningRate: stage.learningRate, gradClipNorm: CLIP_NORM }, randomAt?.(step));
  try {
    let firstTerms: Record<string, number> = {};
    let lastLoss = Number.NaN;
    for (let i = 0; i < WARMUP; i++) {
      const record = run(i);
      if (i === 0) firstTerms = record.terms;
      lastLoss = record.loss;
    }
    const tensorsBefore = tf.memory().numTensors;
    const ms: number[] = [];
    for (let i = 0; i < steps; i++) {
      const started = performance.now();
      lastLoss = run(WARMUP + i).loss;
      ms.push(performance.now() - started);
    }
    const { median, p90 } = stepStats(ms);
    return { median, p90, pairsPerSecond: (batch.rows * 1000) / median, parameters: method.params.count({ trainableOnly: true }), firstTerms, lastLoss, tensorsBefore, tensorsAfter: tf.memory().numTensors };
  } finally {
    optimizer.dispose();
  }
}

/** Runs `bench/<script>` on a spec written to `dir`; its last stdout line is the timing. */
export function timeTorchSide(caseName: string, python: string, script: string, spec: unknown, dir: string): StepTiming & { torch: string; threads: number } {
  const file = join(dir, 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  const path = join(ROOT, 'bench', script);
  const result = spawnSync(python, [path, file], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  if (result.status !== 0) throw new Error(`${caseName}: ${path} failed (exit ${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

/** `name value, ...` in the method's reporting order. */
export const termsText = (names: readonly string[], terms: Record<string, number | null>) => names.map((n) => `${n} ${typeof terms[n] === 'number' ? terms[n]!.toFixed(3) : 'missing'}`).join(', ');

/** The terms that are missing or not finite. */
export const badTerms = (names: readonly string[], terms: Record<string, number | null>) => names.filter((n) => !Number.isFinite(terms[n]));

/** Records both sides' figures and checks (finite first-step terms, equal parameter counts); returns the ratio medst/PyTorch. */
export function compareSides(caseName: string, names: readonly string[], figures: Record<string, number | string>, ours: StepTiming, theirs: StepTiming & { torch: string; threads: number }, fail: (message: string) => void): number {
  const ratio = ours.median / theirs.median;
  figures[`PyTorch ${theirs.torch} ms/step median (${theirs.threads} threads)`] = Math.round(theirs.median);
  figures['PyTorch ms/step p90'] = Math.round(theirs.p90);
  figures['PyTorch pairs/s'] = Number(theirs.pairsPerSecond.toFixed(2));
  figures['PyTorch first-step terms'] = termsText(names, theirs.firstTerms);
  figures['trainable params medst / PyTorch'] = `${ours.parameters} / ${theirs.parameters}${ours.parameters === theirs.parameters ? ' (equal)' : ' (DIFFER)'}`;
  figures['ratio medst/PyTorch (median ms/step)'] = Number(ratio.toFixed(2));
  if (badTerms(names, theirs.firstTerms).length > 0) fail(`PyTorch first-step terms not finite: ${termsText(names, theirs.firstTerms)}`);
  if (ours.parameters !== theirs.parameters) fail(`trainable parameter counts differ: medst ${ours.parameters}, PyTorch ${theirs.parameters}`);
  console.log(`${caseName}: cpu preset medst ${Math.round(ours.median)} ms/step (${ours.pairsPerSecond.toFixed(1)} pairs/s) vs PyTorch ${Math.round(theirs.median)} ms/step (${theirs.pairsPerSecond.toFixed(1)} pairs/s), ratio ${ratio.toFixed(2)}`);
  return ratio;
}

/** Records medst's figures and checks (flat tensor count, finite first-step terms). */
export function recordOurs(names: readonly string[], figures: Record<string, number | string>, ours: StepTiming & { tensorsBefore: number; tensorsAfter: number }, steps: number, fail: (message: string) => void): void {
  figures[`medst ms/step median (${steps} steps)`] = Math.round(ours.median);
  figures['medst ms/step p90'] = Math.round(ours.p90);
  figures['medst pairs/s'] = Number(ours.pairsPerSecond.toFixed(2));
  figures['medst tf.memory().numTensors before/after'] = `${ours.tensorsBefore} / ${ours.tensorsAfter}${ours.tensorsBefore === ours.tensorsAfter ? ' (flat)' : ' (LEAK)'}`;
  figures['medst first-step terms'] = termsText(names, ours.firstTerms);
  if (ours.tensorsBefore !== ours.tensorsAfter) fail(`tensor count grew from ${ours.tensorsBefore} to ${ours.tensorsAfter}`);
  if (badTerms(names, ours.firstTerms).length > 0) fail(`medst first-step terms not finite: ${termsText(names, ours.firstTerms)}`);
}

/** Timed steps per side: MEDST_BENCH_STEPS, else `fallback`; a bad value names the bench. */
export function benchSteps(name: string, fallback: number): number {
  const steps = Number(process.env.MEDST_BENCH_STEPS || fallback);
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`${name}: MEDST_BENCH_STEPS must be a positive integer, got "${process.env.MEDST_BENCH_STEPS}"`);
  return steps;
}

/** Prints a bench failure and marks the run failed (the bench goes on to print what it measured). */
export function benchFailer(name: string): (message: string) => void {
  return (message) => {
    console.log(`${name}: FAIL: ${message}`);
    process.exitCode = 1;
  };
}
