/**
 * `medst-step`: one full Med-ST training step — forward, all four losses
 * (global, local, FMC, RMR), backward, global-norm clipping, AdamW — for the
 * `cpu`, `tiny` and `small` presets, against an independent PyTorch
 * implementation of the same architecture, batch and losses
 * (`bench/medst_step_torch.py`) run in the same bench run, right after the
 * medst timing of each preset.
 *
 * Batch per preset:
 * - `cpu`: as the trainer runs the cpu regime (REGIMES.cpu in
 *   lib/train/regime.ts): fixed-size batches of `rowsPerBatch` = 32 rows
 *   (8 full chunks × T = 4), L = `maxTokens` = 64, vocabulary `vocabSize` =
 *   1000, crop 64 (= the preset's image size), learning rate of the regime; the
 *   model is `medstConfig(regime.models.medst.preset, {...regime.models.medst.overrides, vocabSize})`
 *   as lib/train/run.ts builds it (VGG stem, patch 8, width 192).
 * - `tiny`, `small`: 4 full chunks × T = 4 = 16 rows, L = 112, vocabulary
 *   28996 (Bio_ClinicalBERT's: the embedding table and its dense gradient),
 *   crop = the preset's image size, learning rate 4e-5 (the default curriculum).
 * Frontal + lateral (lateral present for ~70% of rows, seeded), realistic
 * padding and word ids (pieces of a word share an index, −1 for
 * [CLS]/[SEP]/[PAD]), seeded random images in [−1, 1]. The token rows, the
 * lateral presence and the resolved preset numbers (the full resolved ViT
 * config: stem, stemConvsPerStage, stemNorm, pool, plus the conv or VGG stem's
 * channels) are written to a JSON file that the Python side reads, so the two
 * cannot drift.
 *
 * Per side: 3 warm-up steps, then N timed steps (median and p90 ms/step,
 * pairs/s). medst also reports peak RSS (sampled `rss` and `maxRSS`) and
 * `tf.memory().numTensors` before/after the timed steps (must be equal). The
 * step is the trainer's own `trainingStep` (lib/train/trainer.ts): variableGrads
 * over the weighted sum, the loss and terms read back, AdamW.apply with
 * global-norm clipping. PyTorch runs with `torch.set_num_threads` = the TF thread count.
 *
 * Correctness (cheap, every run): the loss terms of the first step on both
 * sides are printed side by side and must be finite, and the trainable
 * parameter counts must be equal (the two sides have independent random
 * inits, so the values are close at best, not equal). A failure prints a
 * `medst-step: FAIL` line and sets a non-zero exit code.
 *
 * Headline: pairs/s of both sides and the ratio medst/PyTorch (median
 * ms/step) per preset; PASS when ≤ 1.2 on the cpu preset and ≤ 1.5 on the
 * small preset. Steps: MEDST_BENCH_STEPS (default 10 cpu and tiny, 5 small);
 * presets: MEDST_BENCH_PRESETS (default "cpu,tiny,small"). Python with torch is
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
import { resolveViTConfig, stemStageChannels } from '../lib/configs/vit.ts';
import type { HostBatch } from '../lib/data/batches.ts';
import { MEDST_PRESETS, MedST, medstConfig, type MedSTConfig, type MedSTPreset } from '../lib/methods/medst.ts';
import { AdamW } from '../lib/train/optim.ts';
import { REGIMES, type Regime } from '../lib/train/regime.ts';
import { trainingStep } from '../lib/train/trainer.ts';
import type { LossName, StageConfig } from '../lib/train/schedule.ts';
import { Rng } from '../lib/util/rng.ts';
import type { BenchCase } from './case.ts';
import { benchFailer, benchSteps } from './method_step.ts';
import { findBenchPython } from './python.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LATERAL_FRACTION = 0.7;
const WARMUP = 3;
const CLIP_NORM = 1;
const CLS_ID = 2;
const SEP_ID = 3;
const PAD_ID = 0;
/** The terms of the bench step, in the order they are printed. */
const TERMS = ['global', 'local', 'fmc', 'rmr'] as const satisfies readonly LossName[];
/** PASS when ratio medst/PyTorch (median ms/step) ≤ this, per preset; presets without one just print the ratio. */
const TARGET_RATIO: Partial<Record<string, number>> = { cpu: 1.2, small: 1.5 };
/** Steps timed per preset unless MEDST_BENCH_STEPS says otherwise. */
const DEFAULT_STEPS: Partial<Record<string, number>> = { cpu: 10, tiny: 10, small: 5 };

/** The batch and step settings of one preset. */
export interface BenchShape {
  /** Full chunks S and their length T: the batch is S·T rows. */
  chunks: number;
  chunkLength: number;
  rows: number;
  /** L. */
  maxTokens: number;
  /** Text vocabulary (the embedding table and its dense gradient). */
  vocab: number;
  /** Word-piece ids are drawn from [firstWordId, vocab − 1] (below: the tokenizer's special tokens). */
  firstWordId: number;
  /** Square crop C (must equal the model's image size). */
  crop: number;
  learningRate: number;
  /** Where the numbers come from, for the figures table. */
  source: string;
}

/** The regime that trains a preset under the same name (REGIMES.cpu for `cpu`), if any. */
function regimeOf(preset: MedSTPreset): Regime | null {
  const regime = (REGIMES as Record<string, Regime>)[preset];
  return regime && regime.models.medst.preset === preset ? regime : null;
}

/**
 * The model config and batch settings the bench uses for a preset: a regime's
 * own (model overrides, rowsPerBatch, maxTokens, vocabSize, crop, learning
 * rate) where one trains this preset, else 4 chunks × T = 4, L = 112 and
 * Bio_ClinicalBERT's vocabulary.
 */
export function benchSetup(preset: MedSTPreset): { config: MedSTConfig; shape: BenchShape } {
  const chunkLength = 4; // the last curriculum stage (all four losses) runs T = 4
  const regime = regimeOf(preset);
  if (regime) {
    if (regime.rowsPerBatch % chunkLength !== 0) throw new Error(`medst-step: REGIMES.${preset}.rowsPerBatch ${regime.rowsPerBatch} is not a multiple of T = ${chunkLength}`);
    const config = medstConfig(regime.models.medst.preset, { ...regime.models.medst.overrides, vocabSize: regime.vocabSize });
    const shape: BenchShape = {
      chunks: regime.rowsPerBatch / chunkLength,
      chunkLength,
      rows: regime.rowsPerBatch,
      maxTokens: regime.maxTokens,
      vocab: regime.vocabSize,
      firstWordId: 5, // after [PAD] [UNK] [CLS] [SEP] [MASK] of a built vocabulary
      crop: regime.crop,
      learningRate: regime.learningRate,
      source: `REGIMES.${preset}`,
    };
    return { config, shape };
  }
  const vocab = 28996; // Bio_ClinicalBERT's vocabulary size
  const config = medstConfig(preset, { vocabSize: vocab });
  const crop = resolveViTConfig(config.vision).imageSize;
  return { config, shape: { chunks: 4, chunkLength, rows: 4 * chunkLength, maxTokens: 112, vocab, firstWordId: 1000, crop, learningRate: 4e-5, source: 'bench default' } };
}

/** The stage the bench step runs: all four losses at weight 1, T of the shape. */
function benchStage(shape: BenchShape): StageConfig {
  return {
    name: 'bench: all four losses',
    epochs: 1,
    losses: { global: 1, local: 1, fmc: 1, rmr: 1 },
    chunkLength: shape.chunkLength,
    learningRate: shape.learningRate,
    warmupFraction: 0,
  };
}

/** A seeded synthetic batch shaped like the loader's (images in [−1, 1], tokenizer-like word ids). */
export function syntheticBatch(shape: BenchShape, seed: number): HostBatch {
  const { rows, crop, maxTokens, vocab, firstWordId, chunks, chunkLength } = shape;
  const rng = new Rng(seed);
  const pixels = rows * crop * crop;
  const frontal = new Float32Array(pixels);
  const lateral = new Float32Array(pixels);
  const lateralPresent = new Float32Array(rows);
  for (let i = 0; i < pixels; i++) frontal[i] = rng.range(-1, 1);
  for (let r = 0; r < rows; r++) {
    lateralPresent[r] = rng.bernoulli(LATERAL_FRACTION) ? 1 : 0;
    if (!lateralPresent[r]) continue; // zeros where absent, as the loader
    for (let i = r * crop * crop; i < (r + 1) * crop * crop; i++) lateral[i] = rng.range(-1, 1);
  }
  const inputIds = new Int32Array(rows * maxTokens).fill(PAD_ID);
  const attentionMask = new Int32Array(rows * maxTokens);
  const wordIds = new Int32Array(rows * maxTokens).fill(-1);
  for (let r = 0; r < rows; r++) {
    const base = r * maxTokens;
    // Report length: a quarter fill all L tokens (truncated), the rest 30..L−1.
    const length = rng.bernoulli(0.25) ? maxTokens : rng.int(30, maxTokens - 1);
    inputIds[base] = CLS_ID;
    attentionMask[base] = 1;
    let t = 1;
    let word = 0;
    while (t < length - 1) {
      const u = rng.uniform();
      const pieces = Math.min(u < 0.7 ? 1 : u < 0.9 ? 2 : 3, length - 1 - t);
      for (let k = 0; k < pieces; k++, t++) {
        inputIds[base + t] = rng.int(firstWordId, vocab - 1);
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
    rows,
    crop,
    records: [],
    inputIds,
    attentionMask,
    wordIds,
    maxTokens,
    chunkIndex: Int32Array.from({ length: rows }, (_, i) => Math.floor(i / chunkLength)),
    stepIndex: Int32Array.from({ length: rows }, (_, i) => i % chunkLength),
    fullChunks: chunks,
    chunkLength,
  };
}

/** One training step exactly as the trainer runs it; returns the loss and its terms. */
function trainStep(method: MedST, optimizer: AdamW, batch: HostBatch, stage: StageConfig): { loss: number; terms: Record<string, number> } {
  const record = trainingStep(method, optimizer, batch, stage, { step: 0, stage: 0, epoch: 0, batch: 0, learningRate: stage.learningRate, gradClipNorm: CLIP_NORM });
  return { loss: record.loss, terms: record.terms };
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
  /** Loss terms of the first (warm-up) step, before any update. */
  firstTerms: Record<string, number>;
  lastLoss: number;
  steps: number;
}

function timeMedst(method: MedST, batch: HostBatch, stage: StageConfig, steps: number): MedstTiming {
  const optimizer = new AdamW({});
  let peakRss = process.memoryUsage().rss;
  let lastLoss = Number.NaN;
  let firstTerms: Record<string, number> = {};
  try {
    for (let i = 0; i < WARMUP; i++) {
      const result = trainStep(method, optimizer, batch, stage);
      if (i === 0) firstTerms = result.terms;
      lastLoss = result.loss;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const tensorsBefore = tf.memory().numTensors;
    const ms: number[] = [];
    for (let i = 0; i < steps; i++) {
      const started = performance.now();
      lastLoss = trainStep(method, optimizer, batch, stage).loss;
      ms.push(performance.now() - started);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const tensorsAfter = tf.memory().numTensors;
    const { median, p90 } = stepStats(ms);
    return {
      median,
      p90,
      pairsPerSecond: (batch.rows * 1000) / median,
      peakRssMiB: peakRss / 2 ** 20,
      maxRssMiB: resourceUsage().maxRSS / 1024,
      tensorsBefore,
      tensorsAfter,
      parameters: method.params.count({ trainableOnly: true }),
      firstTerms,
      lastLoss,
      steps,
    };
  } finally {
    optimizer.dispose();
  }
}

/** What the PyTorch side reads: the resolved preset numbers, the token rows and the step settings. */
export function torchSpec(preset: string, method: MedST, batch: HostBatch, stage: StageConfig, steps: number, threads: number): unknown {
  const config = method.config;
  const vision = method.image.config;
  return {
    preset,
    // The resolved ViT config (stem, stemConvsPerStage, stemNorm, pool included) and the conv or VGG stem's stage widths.
    vision: { ...vision, stemChannels: stemStageChannels(vision) },
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
    optimizer: { learningRate: stage.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.05, clipNorm: CLIP_NORM },
    losses: stage.losses,
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
  /** null where not finite. */
  firstTerms: Record<string, number>;
  lastLoss: number | null;
}

function timeTorch(python: string, spec: unknown, dir: string, name: string): TorchTiming {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const script = join(ROOT, 'bench', 'medst_step_torch.py');
  const result = spawnSync(python, [script, file], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  if (result.status !== 0) throw new Error(`medst-step: ${script} failed (exit ${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as TorchTiming;
}

/** A term's value for printing (the PyTorch side sends a non-finite value as null). */
function termText(value: number | null | undefined): string {
  return value === undefined ? 'missing' : typeof value === 'number' ? value.toFixed(4) : String(value);
}

/** "global 6.9312, local …" for the figures table. */
function termsText(terms: Record<string, number>): string {
  return TERMS.map((name) => `${name} ${termText(terms[name])}`).join(', ');
}

/** The names of the bench terms that are missing or not finite. */
function badTerms(terms: Record<string, number>): string[] {
  return TERMS.filter((name) => !Number.isFinite(terms[name]));
}

/** "cpu,tiny,small" (or MEDST_BENCH_PRESETS), checked against MEDST_PRESETS. */
function benchPresets(): MedSTPreset[] {
  const names = (process.env.MEDST_BENCH_PRESETS || 'cpu,tiny,small').split(',').map((p) => p.trim()).filter((p) => p !== '');
  const unknown = names.filter((name) => !(name in MEDST_PRESETS));
  if (unknown.length > 0) throw new Error(`medst-step: unknown preset(s) ${unknown.join(', ')} in MEDST_BENCH_PRESETS (presets: ${Object.keys(MEDST_PRESETS).join(', ')})`);
  return names as MedSTPreset[];
}

export const medstStepCase: BenchCase = {
  name: 'medst-step',
  async run() {
    const threads = activeBackend()?.threads ?? 0;
    const presets = benchPresets();
    const stepsFor = (preset: string) => benchSteps('medst-step', DEFAULT_STEPS[preset] ?? 5);
    const figures: Record<string, number | string> = {
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
    const fail = benchFailer('medst-step');
    const dir = mkdtempSync(join(tmpdir(), 'medst-bench-step-'));
    try {
      for (const preset of presets) {
        const steps = stepsFor(preset);
        const { config, shape } = benchSetup(preset);
        const stage = benchStage(shape);
        const method = new MedST(config);
        try {
          const v = method.image.config;
          const t = method.text.config;
          if (shape.crop !== v.imageSize) throw new Error(`medst-step: ${preset}: crop ${shape.crop} ≠ the model's image size ${v.imageSize}`);
          const batch = syntheticBatch(shape, 1234);
          const ours = timeMedst(method, batch, stage, steps);
          const stem = v.stem === 'conv' || v.stem === 'vgg' ? `${v.stem} stem ${stemStageChannels(v).join('→')}${v.stemConvsPerStage > 1 ? ` ×${v.stemConvsPerStage}/stage` : ''}${v.stemNorm && v.stem === 'conv' ? ' +LN' : ''} →1×1` : `${v.stem} stem`;
          figures[`${preset}: batch (${shape.source})`] = `${shape.chunks} chunks × T=${shape.chunkLength} = ${shape.rows} rows, frontal + lateral (~${LATERAL_FRACTION * 100}% present), crop ${shape.crop}, L=${shape.maxTokens}, vocab ${shape.vocab}, lr ${shape.learningRate}`;
          figures[`${preset}: model`] = `ViT ${v.imageSize}px/p${v.patchSize} ${stem} w${v.width} d${v.depth} h${v.heads} pool ${v.pool}; BERT w${t.width} l${t.layers} h${t.heads}; head ${config.head.hiddenWidth}→${config.head.outputWidth}; ${(ours.parameters / 1e6).toFixed(2)} M params`;
          figures[`${preset}: medst ms/step median (${steps} steps)`] = Math.round(ours.median);
          figures[`${preset}: medst ms/step p90`] = Math.round(ours.p90);
          figures[`${preset}: medst pairs/s`] = Number(ours.pairsPerSecond.toFixed(2));
          figures[`${preset}: medst peak RSS MiB (sampled rss / maxRSS)`] = `${Math.round(ours.peakRssMiB)} / ${Math.round(ours.maxRssMiB)}`;
          figures[`${preset}: medst tf.memory().numTensors before/after`] = `${ours.tensorsBefore} / ${ours.tensorsAfter}${ours.tensorsBefore === ours.tensorsAfter ? ' (flat)' : ' (LEAK)'}`;
          figures[`${preset}: medst first-step terms`] = termsText(ours.firstTerms);
          figures[`${preset}: medst last loss`] = Number(ours.lastLoss.toFixed(4));
          if (badTerms(ours.firstTerms).length > 0) fail(`${preset}: medst first-step terms not finite (${badTerms(ours.firstTerms).join(', ')}): ${termsText(ours.firstTerms)}`);
          if (!python) continue;
          const spec = torchSpec(preset, method, batch, stage, steps, threads);
          const theirs = timeTorch(python, spec, dir, preset);
          const ratio = ours.median / theirs.median;
          figures[`${preset}: PyTorch ${theirs.torch} ms/step median (${theirs.threads} threads, ${theirs.attention})`] = Math.round(theirs.median);
          figures[`${preset}: PyTorch ms/step p90`] = Math.round(theirs.p90);
          figures[`${preset}: PyTorch pairs/s`] = Number(theirs.pairsPerSecond.toFixed(2));
          figures[`${preset}: PyTorch maxRSS MiB / params`] = `${Math.round(theirs.maxRssMiB)} / ${(theirs.parameters / 1e6).toFixed(2)} M`;
          figures[`${preset}: PyTorch first-step terms`] = termsText(theirs.firstTerms);
          figures[`${preset}: PyTorch last loss`] = termText(theirs.lastLoss);
          figures[`${preset}: ratio medst/PyTorch (median ms/step)`] = Number(ratio.toFixed(2));
          console.log(`medst-step: ${preset} first-step terms (independent inits)\n  ${'term'.padEnd(8)}${'medst'.padStart(12)}${'PyTorch'.padStart(12)}`);
          for (const name of TERMS) console.log(`  ${name.padEnd(8)}${termText(ours.firstTerms[name]).padStart(12)}${termText(theirs.firstTerms[name]).padStart(12)}`);
          if (badTerms(theirs.firstTerms).length > 0) fail(`${preset}: PyTorch first-step terms not finite (${badTerms(theirs.firstTerms).join(', ')}): ${termsText(theirs.firstTerms)}`);
          const sameParams = theirs.parameters === ours.parameters;
          figures[`${preset}: trainable params medst / PyTorch`] = `${ours.parameters} / ${theirs.parameters}${sameParams ? ' (equal)' : ' (DIFFER)'}`;
          if (!sameParams) fail(`${preset}: trainable parameter counts differ: medst ${ours.parameters}, PyTorch ${theirs.parameters}`);
          const pace = `${preset} preset medst ${Math.round(ours.median)} ms/step (${ours.pairsPerSecond.toFixed(1)} pairs/s) vs PyTorch ${Math.round(theirs.median)} ms/step (${theirs.pairsPerSecond.toFixed(1)} pairs/s), ratio ${ratio.toFixed(2)}`;
          const target = TARGET_RATIO[preset];
          if (target !== undefined) {
            const verdict = ratio <= target ? 'PASS' : 'FAIL';
            figures[`requirement ${preset} ≤ ${target}× PyTorch`] = `${verdict} (${ratio.toFixed(2)}×)`;
            console.log(`medst-step: ${verdict}: ${pace} (target ≤ ${target})`);
          } else {
            console.log(`medst-step: ${pace}`);
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
