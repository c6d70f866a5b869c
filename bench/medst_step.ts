/**
 * `medst-step`: one full Med-ST training step — forward, all four losses
 * (global, local, FMC, RMR), backward, global-norm clipping, AdamW — for the
 * `tiny` and `small` presets, against an independent PyTorch implementation of
 * the same architecture, batch and losses (`bench/medst_step_torch.py`) run in
 * the same bench run, right after the medst timing of each preset.
 *
 * Batch (like the default training config): 4 full chunks × T = 4 = 16 rows,
 * frontal + lateral (lateral present for ~70% of rows, seeded), L = 112 tokens
 * with realistic padding and word ids (pieces of a word share an index, −1 for
 * [CLS]/[SEP]/[PAD]), seeded random images in [−1, 1]. The token rows, the
 * lateral presence and the resolved preset numbers are written to a JSON file
 * that the Python side reads, so the two cannot drift.
 *
 * Per side: 3 warm-up steps, then N timed steps (median and p90 ms/step,
 * pairs/s). medst also reports peak RSS (sampled `rss` and `maxRSS`) and
 * `tf.memory().numTensors` before/after the timed steps (must be equal). The
 * step is the trainer's own `trainingStep` (lib/train/trainer.ts): variableGrads
 * over the weighted sum, the loss and terms read back, clipByGlobalNorm,
 * AdamW.apply. PyTorch runs with `torch.set_num_threads` = the TF thread count.
 *
 * Headline: ratio medst/PyTorch (median ms/step) per preset; PASS when ≤ 1.5
 * on the small preset. Steps: MEDST_BENCH_STEPS (default 10 tiny, 5 small);
 * presets: MEDST_BENCH_PRESETS (default "tiny,small"). Python with torch is
 * found as in decode-resize (MEDST_BENCH_PYTHON, .venv-bench, .venv; creates
 * .venv-bench from requirements-bench.txt); without torch the comparison is a
 * SKIP line, not a failure.
 *
 * The machine state matters: both sides run in the same bench run, one after
 * the other, so compare the ratio, not absolute figures across runs. The TF
 * CPU allocator in use is printed (`TF_CPU_ALLOCATOR_USE_BFC=true` in the
 * environment, read when TensorFlow starts, keeps large activations mapped).
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceUsage } from 'node:process';
import { fileURLToPath } from 'node:url';
import { activeBackend } from '../lib/backend.ts';
import type { HostBatch } from '../lib/data/batches.ts';
import { MedST, medstConfig, type MedSTPreset } from '../lib/methods/medst.ts';
import { AdamW } from '../lib/train/optim.ts';
import { trainingStep } from '../lib/train/trainer.ts';
import type { StageConfig } from '../lib/train/schedule.ts';
import { Rng } from '../lib/util/rng.ts';
import type { BenchCase } from './case.ts';
import { findBenchPython } from './python.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHUNKS = 4;
const STEPS_PER_CHUNK = 4;
const ROWS = CHUNKS * STEPS_PER_CHUNK;
const MAX_TOKENS = 112;
const LATERAL_FRACTION = 0.7;
/** Bio_ClinicalBERT's vocabulary size (the embedding table and its dense gradient). */
const VOCAB = 28996;
const WARMUP = 3;
const LEARNING_RATE = 4e-5;
const CLIP_NORM = 1;
const TARGET_RATIO = 1.5;
const CLS_ID = 2;
const SEP_ID = 3;
const PAD_ID = 0;

const STAGE: StageConfig = {
  name: 'bench: all four losses',
  epochs: 1,
  losses: { global: 1, local: 1, fmc: 1, rmr: 1 },
  chunkLength: STEPS_PER_CHUNK,
  learningRate: LEARNING_RATE,
  warmupFraction: 0,
};

/** A seeded synthetic batch shaped like the loader's (images in [−1, 1], tokenizer-like word ids). */
export function syntheticBatch(crop: number, seed: number): HostBatch {
  const rng = new Rng(seed);
  const pixels = ROWS * crop * crop;
  const frontal = new Float32Array(pixels);
  const lateral = new Float32Array(pixels);
  const lateralPresent = new Float32Array(ROWS);
  for (let i = 0; i < pixels; i++) frontal[i] = rng.range(-1, 1);
  for (let r = 0; r < ROWS; r++) {
    lateralPresent[r] = rng.bernoulli(LATERAL_FRACTION) ? 1 : 0;
    if (!lateralPresent[r]) continue; // zeros where absent, as the loader
    for (let i = r * crop * crop; i < (r + 1) * crop * crop; i++) lateral[i] = rng.range(-1, 1);
  }
  const inputIds = new Int32Array(ROWS * MAX_TOKENS).fill(PAD_ID);
  const attentionMask = new Int32Array(ROWS * MAX_TOKENS);
  const wordIds = new Int32Array(ROWS * MAX_TOKENS).fill(-1);
  for (let r = 0; r < ROWS; r++) {
    const base = r * MAX_TOKENS;
    // Report length: a quarter fill all L tokens (truncated), the rest 30..L−1.
    const length = rng.bernoulli(0.25) ? MAX_TOKENS : rng.int(30, MAX_TOKENS - 1);
    inputIds[base] = CLS_ID;
    attentionMask[base] = 1;
    let t = 1;
    let word = 0;
    while (t < length - 1) {
      const u = rng.uniform();
      const pieces = Math.min(u < 0.7 ? 1 : u < 0.9 ? 2 : 3, length - 1 - t);
      for (let k = 0; k < pieces; k++, t++) {
        inputIds[base + t] = rng.int(1000, VOCAB - 1);
        attentionMask[base + t] = 1;
        wordIds[base + t] = word;
      }
      word++;
    }
    inputIds[base + t] = SEP_ID; // [SEP] closes the (possibly truncated) report
    attentionMask[base + t] = 1;
  }
  return {
    frontal,
    lateral,
    lateralPresent,
    rows: ROWS,
    crop,
    records: [],
    inputIds,
    attentionMask,
    wordIds,
    maxTokens: MAX_TOKENS,
    chunkIndex: Int32Array.from({ length: ROWS }, (_, i) => Math.floor(i / STEPS_PER_CHUNK)),
    stepIndex: Int32Array.from({ length: ROWS }, (_, i) => i % STEPS_PER_CHUNK),
    fullChunks: CHUNKS,
    chunkLength: STEPS_PER_CHUNK,
  };
}

/** One training step exactly as the trainer runs it; returns the loss. */
function trainStep(method: MedST, optimizer: AdamW, batch: HostBatch): number {
  return trainingStep(method, optimizer, batch, STAGE, { step: 0, stage: 0, epoch: 0, batch: 0, learningRate: LEARNING_RATE, gradClipNorm: CLIP_NORM }).loss;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median and p90 of a list of step times. */
export function stepStats(ms: number[]): { median: number; p90: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
}

interface MedstTiming {
  median: number;
  p90: number;
  pairsPerSecond: number;
  peakRssMiB: number;
  maxRssMiB: number;
  tensorsBefore: number;
  tensorsAfter: number;
  parameters: number;
  lastLoss: number;
  steps: number;
}

function timeMedst(method: MedST, batch: HostBatch, steps: number): MedstTiming {
  const optimizer = new AdamW({});
  let peakRss = process.memoryUsage().rss;
  let lastLoss = Number.NaN;
  try {
    for (let i = 0; i < WARMUP; i++) {
      lastLoss = trainStep(method, optimizer, batch);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const tensorsBefore = tf.memory().numTensors;
    const ms: number[] = [];
    for (let i = 0; i < steps; i++) {
      const started = performance.now();
      lastLoss = trainStep(method, optimizer, batch);
      ms.push(performance.now() - started);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const tensorsAfter = tf.memory().numTensors;
    const { median, p90 } = stepStats(ms);
    return {
      median,
      p90,
      pairsPerSecond: (ROWS * 1000) / median,
      peakRssMiB: peakRss / 2 ** 20,
      maxRssMiB: resourceUsage().maxRSS / 1024,
      tensorsBefore,
      tensorsAfter,
      parameters: method.params.count({ trainableOnly: true }),
      lastLoss,
      steps,
    };
  } finally {
    optimizer.dispose();
  }
}

/** What the PyTorch side reads: the resolved preset numbers, the token rows and the step settings. */
export function torchSpec(preset: string, method: MedST, batch: HostBatch, steps: number, threads: number): unknown {
  const config = method.config;
  return {
    preset,
    vision: method.image.config,
    text: method.text.config,
    head: config.head,
    temperatures: config.temperatures,
    varianceLambda: config.varianceLambda,
    useLateral: config.useLateral,
    batch: {
      rows: batch.rows,
      chunks: batch.fullChunks,
      chunkLength: batch.chunkLength,
      maxTokens: batch.maxTokens,
      inputIds: Array.from(batch.inputIds),
      attentionMask: Array.from(batch.attentionMask),
      wordIds: Array.from(batch.wordIds),
      lateralPresent: Array.from(batch.lateralPresent),
    },
    optimizer: { learningRate: LEARNING_RATE, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.05, clipNorm: CLIP_NORM },
    losses: STAGE.losses,
    warmup: WARMUP,
    steps,
    threads,
    seed: 1234,
  };
}


interface TorchTiming {
  median: number;
  p90: number;
  pairsPerSecond: number;
  maxRssMiB: number;
  torch: string;
  threads: number;
  attention: string;
  parameters: number;
  lastLoss: number;
}

function timeTorch(python: string, spec: unknown, dir: string, name: string): TorchTiming {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const script = join(ROOT, 'bench', 'medst_step_torch.py');
  const result = spawnSync(python, [script, file], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  if (result.status !== 0) throw new Error(`medst-step: ${script} failed (exit ${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as TorchTiming;
}

export const medstStepCase: BenchCase = {
  name: 'medst-step',
  async run() {
    const threads = activeBackend()?.threads ?? 0;
    const presets = (process.env.MEDST_BENCH_PRESETS || 'tiny,small').split(',').map((p) => p.trim()) as MedSTPreset[];
    const stepsFor = (preset: string) => {
      const steps = Number(process.env.MEDST_BENCH_STEPS || (preset === 'tiny' ? 10 : 5));
      if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`medst-step: MEDST_BENCH_STEPS must be a positive integer, got "${process.env.MEDST_BENCH_STEPS}"`);
      return steps;
    };
    const figures: Record<string, number | string> = {
      batch: `${CHUNKS} chunks × T=${STEPS_PER_CHUNK} = ${ROWS} rows, frontal + lateral (~${LATERAL_FRACTION * 100}% present), L=${MAX_TOKENS}, vocab ${VOCAB}`,
      step: 'fwd + global/local/FMC/RMR + bwd + clip + AdamW',
      'TF threads (initBackend)': threads,
      // Large activations (attention scores of the small preset are 59 MB) are page-faulted afresh on
      // every allocation with TF's default CPU allocator; its BFC allocator caches them.
      TF_CPU_ALLOCATOR_USE_BFC: process.env.TF_CPU_ALLOCATOR_USE_BFC ?? '(unset: TF default allocator)',
    };
    const { python, note } = findBenchPython('medst-step', ['torch', 'numpy']);
    if (!python) {
      console.log(`medst-step: SKIP PyTorch comparison (${note}); set MEDST_BENCH_PYTHON to a Python with torch`);
      figures['PyTorch'] = `skipped: ${note}`;
    }
    const dir = mkdtempSync(join(tmpdir(), 'medst-bench-step-'));
    try {
      for (const preset of presets) {
        const steps = stepsFor(preset);
        const config = medstConfig(preset, { vocabSize: VOCAB });
        const method = new MedST(config);
        const batch = syntheticBatch(method.image.config.imageSize, 1234);
        try {
          const ours = timeMedst(method, batch, steps);
          const v = method.image.config;
          const t = method.text.config;
          figures[`${preset}: model`] = `ViT ${v.imageSize}px/p${v.patchSize} w${v.width} d${v.depth} h${v.heads}; BERT w${t.width} l${t.layers} h${t.heads}; head ${config.head.hiddenWidth}→${config.head.outputWidth}; ${(ours.parameters / 1e6).toFixed(2)} M params`;
          figures[`${preset}: medst ms/step median (${steps} steps)`] = Math.round(ours.median);
          figures[`${preset}: medst ms/step p90`] = Math.round(ours.p90);
          figures[`${preset}: medst pairs/s`] = Number(ours.pairsPerSecond.toFixed(2));
          figures[`${preset}: medst peak RSS MiB (sampled rss / maxRSS)`] = `${Math.round(ours.peakRssMiB)} / ${Math.round(ours.maxRssMiB)}`;
          figures[`${preset}: medst tf.memory().numTensors before/after`] = `${ours.tensorsBefore} / ${ours.tensorsAfter}${ours.tensorsBefore === ours.tensorsAfter ? ' (flat)' : ' (LEAK)'}`;
          figures[`${preset}: medst last loss`] = Number(ours.lastLoss.toFixed(4));
          if (!python) continue;
          const spec = torchSpec(preset, method, batch, steps, threads);
          const theirs = timeTorch(python, spec, dir, preset);
          const ratio = ours.median / theirs.median;
          figures[`${preset}: PyTorch ${theirs.torch} ms/step median (${theirs.threads} threads, ${theirs.attention})`] = Math.round(theirs.median);
          figures[`${preset}: PyTorch ms/step p90`] = Math.round(theirs.p90);
          figures[`${preset}: PyTorch pairs/s`] = Number(theirs.pairsPerSecond.toFixed(2));
          figures[`${preset}: PyTorch maxRSS MiB / params`] = `${Math.round(theirs.maxRssMiB)} / ${(theirs.parameters / 1e6).toFixed(2)} M`;
          figures[`${preset}: PyTorch last loss`] = Number(theirs.lastLoss.toFixed(4));
          figures[`${preset}: ratio medst/PyTorch (median ms/step)`] = Number(ratio.toFixed(2));
          if (preset === 'small') {
            const verdict = ratio <= TARGET_RATIO ? 'PASS' : 'FAIL';
            figures[`requirement small ≤ ${TARGET_RATIO}× PyTorch`] = `${verdict} (${ratio.toFixed(2)}×)`;
            console.log(`medst-step: ${verdict}: small preset ${Math.round(ours.median)} ms/step vs PyTorch ${Math.round(theirs.median)} ms/step, ratio ${ratio.toFixed(2)} (target ≤ ${TARGET_RATIO})`);
          } else {
            console.log(`medst-step: ${preset} preset ${Math.round(ours.median)} ms/step vs PyTorch ${Math.round(theirs.median)} ms/step, ratio ${ratio.toFixed(2)}`);
          }
        } finally {
          method.dispose();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
