/**
 * The staged pre-training loop: for each stage of the schedule, batches of
 * chunks → the method's loss terms → the stage-weighted total → gradients →
 * global-norm clipping → AdamW, with a JSONL metrics log, atomic checkpoints
 * every N steps and at stage ends, exact resume, and a guard that skips steps
 * with a non-finite loss or gradient and stops after several in a row.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { BatchLoader, toTensors, type HostBatch } from '../data/batches.ts';
import type { ManifestRecord } from '../data/manifest.ts';
import { validateJitter, type JitterConfig } from '../data/jitter.ts';
import type { WordPieceTokenizer } from '../data/tokenizer/index.ts';
import type { TrainableMethod } from '../methods/method.ts';
import { Rng, deriveSeed } from '../util/rng.ts';
import { writeFileAtomicSync } from '../util/atomic_file.ts';
import { firstDifference } from '../util/first_difference.ts';
import { readCheckpointConfig } from '../weights/checkpoint.ts';
import { latestCheckpoint, loadTrainingCheckpoint, removeAbandonedCheckpointSaves, saveTrainingCheckpoint, type TrainingPosition } from './checkpoint.ts';
import { AdamW, type AdamWConfig } from './optim.ts';
import { activeLosses, describeSchedule, learningRateAt, validateSchedule, type StageConfig } from './schedule.ts';

/** Everything about a run except the method and the data. */
export interface TrainerConfig {
  stages: StageConfig[];
  /** Chunks per batch (the paper: 10); batches vary in rows. Give this or `rowsPerBatch`. */
  chunksPerBatch?: number;
  /** Exactly this many image–report pairs per step (the CPU presets); an epoch's last, smaller batch is dropped. */
  rowsPerBatch?: number;
  /** C: training crop side; default (and the only value accepted) the method's `inputSize`. */
  crop?: number;
  /** Rotation/scale/intensity jitter of the training crops (default none; lib/data/jitter.ts). */
  jitter?: JitterConfig;
  /** L: token length. */
  maxTokens: number;
  seed: number;
  optimizer?: Partial<AdamWConfig>;
  /** Clip gradients to this global L2 norm. */
  gradClipNorm: number;
  /** Save a checkpoint every N optimiser steps (and at each stage end). */
  checkpointEvery: number;
  /** Checkpoints kept on disk. */
  keepCheckpoints?: number;
  /** Stop after this many non-finite steps in a row. */
  maxNonFiniteInARow?: number;
}

/** The data a run trains on. */
export interface TrainingData {
  /** Image store made by `prepareDataset`. */
  storeDir: string;
  /** Training records (e.g. the train split of the manifest). */
  records: readonly ManifestRecord[];
  tokenizer: WordPieceTokenizer;
}

/** One line of metrics.jsonl. */
export interface StepRecord {
  step: number;
  stage: number;
  stageName: string;
  epoch: number;
  batch: number;
  learningRate: number;
  /** The stage-weighted total. */
  loss: number;
  /** Unweighted terms. */
  terms: Record<string, number>;
  gradNorm: number;
  /** Image–report pairs in the batch. */
  rows: number;
  fullChunks: number;
  ms: number;
  pairsPerSecond: number;
  /** Why the update was skipped (non-finite loss or gradient); absent when applied. */
  skipped?: string;
}

/** Hooks for CLIs and notebooks. */
export interface TrainHooks {
  onStep?: (record: StepRecord) => void;
  onStageStart?: (stage: StageConfig, index: number, stepsInStage: number) => void;
  onCheckpoint?: (dir: string, position: TrainingPosition) => void;
  /** After each completed epoch (not on resume of a finished one): learning curves evaluate here. */
  onEpochEnd?: (info: { stage: number; epoch: number; step: number; epochsDone: number; method: TrainableMethod }) => void | Promise<void>;
  /** Stop (without saving) after this many steps of this call: simulates a kill in tests. */
  stopAfterSteps?: number;
  /**
   * When aborted, training stops before its next step, saves a checkpoint there
   * and throws `TrainingInterrupted`; running again resumes from it.
   */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** What a finished (or stopped) run reports. */
export interface TrainResult {
  position: TrainingPosition;
  resumedFrom: string | null;
  steps: StepRecord[];
  finished: boolean;
}

export const METRICS_FILE = 'metrics.jsonl';

/** Thrown when `TrainHooks.signal` stops a run: where it stopped and the checkpoint that holds it. */
export class TrainingInterrupted extends Error {
  override readonly name = 'TrainingInterrupted';
  constructor(
    readonly position: TrainingPosition,
    readonly checkpoint: string,
  ) {
    super(`training interrupted at step ${position.step} (stage ${position.stage + 1}, epoch ${position.epoch + 1}); checkpoint ${checkpoint}; run again to resume`);
  }
}

/**
 * Trains `method` on `data` through every stage; resumes from the run folder's
 * latest checkpoint when there is one.
 */
export async function train(method: TrainableMethod, data: TrainingData, config: TrainerConfig, runDir: string, hooks: TrainHooks = {}): Promise<TrainResult> {
  validateSchedule(config.stages, { lossNames: method.lossNames, checkStage: method.checkStage?.bind(method) });
  // One source for the crop: the model's input size.
  if (config.crop !== undefined && config.crop !== method.inputSize) throw new Error(`trainer: crop ${config.crop} does not match the model's input size ${method.inputSize} (leave crop out to use the model's)`);
  if (config.jitter) validateJitter(config.jitter);
  const log = hooks.log ?? ((line: string) => console.log(line));
  fs.mkdirSync(runDir, { recursive: true });
  // A learned temperature is not a weight: CLIP keeps it out of weight decay (Med-ST's logit_scale, PRIOR's global_/local_logit_scale).
  const optimizer = new AdamW({ noDecay: /(^|\.|_)logit_scale$/, ...config.optimizer });
  let position: TrainingPosition = { stage: 0, epoch: 0, batch: 0, step: 0 };
  let nonFiniteInARow = 0;
  const resumeDir = latestCheckpoint(runDir);
  if (resumeDir) {
    await checkSameRun(resumeDir, method, config);
    const state = await loadTrainingCheckpoint(resumeDir, method.params, optimizer);
    position = state.position;
    nonFiniteInARow = state.nonFiniteInARow;
    log(
      position.stage >= config.stages.length
        ? `run already finished at step ${position.step} (${resumeDir})`
        : `resuming from ${resumeDir} at step ${position.step} (stage ${position.stage + 1}, epoch ${position.epoch + 1}, batch ${position.batch + 1})`,
    );
  } else {
    log(`schedule:\n${describeSchedule(config.stages)}`);
  }
  for (const name of removeAbandonedCheckpointSaves(runDir)) log(`removed ${name}: a checkpoint save that a killed run never finished`);
  const metricsFile = path.join(runDir, METRICS_FILE);
  for (const line of trimMetricsForResume(metricsFile, position.step)) log(line);

  const save = async (): Promise<string> => {
    const dir = await saveTrainingCheckpoint(runDir, method.params, optimizer, { position, nonFiniteInARow, run: config }, method.describe(), config.keepCheckpoints ?? 3);
    hooks.onCheckpoint?.(dir, position);
    return dir;
  };
  const steps: StepRecord[] = [];
  const maxNonFinite = config.maxNonFiniteInARow ?? 5;
  try {
    for (let s = position.stage; s < config.stages.length; s++) {
      const stage = config.stages[s]!;
      const loader = new BatchLoader(data.storeDir, data.records, data.tokenizer, {
        chunkLength: stage.chunkLength,
        chunksPerBatch: config.chunksPerBatch,
        rowsPerBatch: config.rowsPerBatch,
        dropLast: config.rowsPerBatch !== undefined,
        crop: method.inputSize,
        augment: true,
        jitter: config.jitter ?? null,
        shuffle: true,
        seed: deriveSeed(config.seed, s),
        maxTokens: config.maxTokens,
        // The method's declaration decides what the batches hold.
        lateral: method.batchContents.lateral,
        sentences: method.batchContents.sentences,
        sections: method.batchContents.sections ?? false,
      });
      // Said once: a cut report loses its last sentences, often findings (lab notebook §29).
      if (s === position.stage && loader.truncatedReports > 0) {
        log(`text: ${loader.truncatedReports} of ${data.records.length} training reports are longer than maxTokens = ${config.maxTokens} and reach the model cut`);
      }
      try {
        const perEpoch = loader.batchesPerEpoch();
        const stageSteps = perEpoch * stage.epochs;
        hooks.onStageStart?.(stage, s, stageSteps);
        for (let e = position.epoch; e < stage.epochs; e++) {
          for await (const batch of loader.epoch(e, position.batch)) {
            if (hooks.signal?.aborted) throw new TrainingInterrupted(position, await save());
            const stepInStage = e * perEpoch + position.batch;
            const record = trainingStep(method, optimizer, batch, stage, {
              step: position.step,
              stage: s,
              epoch: e,
              batch: position.batch,
              learningRate: learningRateAt(stage, stepInStage, stageSteps),
              gradClipNorm: config.gradClipNorm,
            }, new Rng(deriveSeed(config.seed, 7, position.step)));
            nonFiniteInARow = record.skipped ? nonFiniteInARow + 1 : 0;
            fs.appendFileSync(metricsFile, JSON.stringify(record) + '\n');
            steps.push(record);
            hooks.onStep?.(record);
            if (record.skipped) log(`step ${record.step}: skipped (${record.skipped})`);
            if (nonFiniteInARow >= maxNonFinite) throw new Error(`training stopped: ${nonFiniteInARow} non-finite steps in a row (last at step ${record.step}, stage "${stage.name}")`);
            position = { stage: s, epoch: e, batch: position.batch + 1, step: position.step + 1 };
            if (hooks.stopAfterSteps !== undefined && steps.length >= hooks.stopAfterSteps) return { position, resumedFrom: resumeDir, steps, finished: false };
            if (position.step % config.checkpointEvery === 0) await save();
          }
          position = { ...position, epoch: e + 1, batch: 0 };
          const epochsDone = config.stages.slice(0, s).reduce((n, st) => n + st.epochs, 0) + e + 1;
          await hooks.onEpochEnd?.({ stage: s, epoch: e, step: position.step, epochsDone, method });
        }
      } finally {
        await loader.close();
      }
      position = { stage: s + 1, epoch: 0, batch: 0, step: position.step };
      await save();
    }
  } finally {
    optimizer.dispose();
  }
  return { position, resumedFrom: resumeDir, steps, finished: true };
}

/** Where a step sits in the run, and its optimiser settings. */
export interface StepContext {
  step: number;
  stage: number;
  epoch: number;
  batch: number;
  learningRate: number;
  gradClipNorm: number;
}

/**
 * One optimisation step: the stage-weighted loss terms, gradients, clipping and
 * AdamW (skipped when the loss or gradient is not finite). Every tensor it makes
 * is disposed before it returns. Exported for the step benchmark.
 */
export function trainingStep(method: TrainableMethod, optimizer: AdamW, batch: HostBatch, stage: StageConfig, context: StepContext, random: Rng = new Rng(deriveSeed(0, context.step))): StepRecord {
  const started = performance.now();
  const trainable = method.params.named({ trainableOnly: true });
  const nameOf = new Map(trainable.map(([name, variable]) => [variable.name, name] as const));
  const tensors = toTensors(batch);
  const kept: Record<string, tf.Scalar> = {};
  const active = activeLosses(stage, method.lossNames);
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | null = null;
  try {
    result = tf.variableGrads(() => {
      const terms = method.lossTerms({ batch, tensors, stage, step: context.step, random });
      const weighted: tf.Scalar[] = [];
      for (const name of active) {
        const term = terms[name];
        if (!term) continue; // e.g. no full chunk in this batch for a temporal term
        kept[name] = tf.keep(term);
        weighted.push(tf.mul(term, stage.losses[name]!));
      }
      if (weighted.length === 0) throw new Error(`stage "${stage.name}": the method returned none of the active losses (${active.join(', ')})`);
      return tf.addN(weighted) as tf.Scalar;
    }, trainable.map(([, v]) => v));
    const grads: Record<string, tf.Tensor> = {};
    for (const [tfName, grad] of Object.entries(result.grads)) grads[nameOf.get(tfName)!] = grad;
    const loss = result.value.dataSync()[0]!;
    const termValues = Object.fromEntries(Object.entries(kept).map(([name, t]) => [name, t.dataSync()[0]!]));
    let skipped: string | undefined;
    let norm = Number.NaN;
    if (!Number.isFinite(loss)) skipped = `non-finite loss ${loss}`;
    else {
      const update = optimizer.apply(trainable, grads, context.learningRate, { clipNorm: context.gradClipNorm });
      norm = update.gradNorm!;
      if (!update.applied) skipped = `non-finite gradient norm ${norm}`;
    }
    const ms = performance.now() - started;
    return {
      ...context,
      stageName: stage.name,
      loss,
      terms: termValues,
      gradNorm: norm,
      rows: batch.rows,
      fullChunks: batch.fullChunks,
      ms,
      pairsPerSecond: (batch.rows * 1000) / ms,
      ...(skipped ? { skipped } : {}),
    } as StepRecord;
  } finally {
    tf.dispose(Object.values(tensors));
    tf.dispose(Object.values(kept));
    if (result) {
      result.value.dispose();
      tf.dispose(Object.values(result.grads));
    }
  }
}

/** The parsed lines of a metrics log; a line that is not a JSON step record is returned as bad. */
function parseMetricsLines(file: string): { records: Array<{ line: number; record: StepRecord }>; bad: number[]; lastLine: number } {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const records: Array<{ line: number; record: StepRecord }> = [];
  const bad: number[] = [];
  let lastLine = 0;
  lines.forEach((text, index) => {
    if (text.trim() === '') return;
    lastLine = index + 1;
    try {
      const record = JSON.parse(text) as StepRecord;
      if (typeof record?.step !== 'number') throw new Error('no step');
      records.push({ line: index + 1, record });
    } catch {
      bad.push(index + 1);
    }
  });
  return { records, bad, lastLine };
}

/**
 * Before a resume: keeps only the metric lines of steps before `step` (the
 * steps after the checkpoint are redone) and drops lines a kill left
 * half-written. The file is rewritten atomically.
 * @returns what was repaired, for the log (empty when nothing was).
 */
export function trimMetricsForResume(file: string, step: number): string[] {
  if (!fs.existsSync(file)) return [];
  const { records, bad, lastLine } = parseMetricsLines(file);
  const kept = records.filter(({ record }) => record.step < step);
  writeFileAtomicSync(file, kept.map(({ record }) => JSON.stringify(record) + '\n').join(''));
  return bad.map((line) =>
    line === lastLine
      ? `${file}: dropped line ${line}, a step record left half-written when the run stopped`
      : `${file}: dropped line ${line}, which is not a step record`,
  );
}

/**
 * Reads a run's metrics log. A half-written last line (a run being written
 * or killed mid-line) is skipped; an unreadable line before it is an error
 * naming the file and line.
 */
export function readMetrics(runDir: string): StepRecord[] {
  const file = path.join(runDir, METRICS_FILE);
  if (!fs.existsSync(file)) return [];
  const { records, bad, lastLine } = parseMetricsLines(file);
  const broken = bad.filter((line) => line !== lastLine);
  if (broken.length > 0) throw new Error(`${file}: line ${broken[0]} is not a step record`);
  return records.map(({ record }) => record);
}

/**
 * Before a resume: the checkpoint must come from the model and schedule this
 * call trains (a preset edited since, or a stage changed, would otherwise
 * load, or fail on a missing weight, without saying why). The model's seed is
 * left out: a resumed run's weights come from the checkpoint.
 */
async function checkSameRun(resumeDir: string, method: TrainableMethod, config: TrainerConfig): Promise<void> {
  const { seed: _savedSeed, ...saved } = (await readCheckpointConfig(resumeDir)) as Record<string, unknown>;
  const { seed: _seed, ...current } = JSON.parse(JSON.stringify(method.describe())) as Record<string, unknown>;
  const state = JSON.parse(fs.readFileSync(path.join(resumeDir, 'trainer.json'), 'utf8')) as { run?: { stages?: unknown } };
  const model = firstDifference(saved, current);
  const stages = state.run?.stages === undefined ? null : firstDifference(state.run.stages, JSON.parse(JSON.stringify(config.stages)), 'stages');
  const difference = model ?? stages;
  if (!difference) return;
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));
  throw new Error(
    `${resumeDir}: this run folder was started with another ${model ? 'model' : 'schedule'} (${difference.path}: ${show(difference.saved)} then, ${show(difference.current)} now); ` +
      'resume with the config it was started with, or train into a new folder',
  );
}
