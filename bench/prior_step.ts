/**
 * `prior-step`: one full PRIOR training step of stage 3 — forward, all eight
 * terms (global ×10, local image, local text, prototype bank ×10, image
 * reconstruction, report reconstruction ×10 with per-sample Hungarian
 * matching, report KL, report global), backward, global-norm clipping, AdamW —
 * for the `cpu` preset in the `cpu` regime (REGIMES.cpu: 32 rows, L = 64,
 * vocabulary 1000, crop 64), against an independent PyTorch implementation of
 * the same architecture, batch and losses (`bench/prior_step_torch.py`) run
 * right after it in the same bench run.
 *
 * The batch is the Med-ST bench's synthetic one (seeded images in [−1, 1],
 * tokenizer-like rows) with every 8th word a period, so reports have several
 * sentences; its sentence ids come from the loader's own `sentenceIdsOf`. The
 * token rows, sentence ids and resolved configs are written to a JSON file the
 * Python side reads, so the two cannot drift.
 *
 * Per side: 3 warm-up steps, then N timed steps (MEDST_BENCH_STEPS, default
 * 10): median and p90 ms/step, pairs/s; medst also reports
 * `tf.memory().numTensors` before/after (must be equal). Checks: first-step
 * terms finite on both sides, trainable parameter counts equal. Headline: the
 * ratio medst/PyTorch (median ms/step), printed; without torch the comparison
 * is a SKIP line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeBackend } from '../lib/backend.ts';
import { resnetStride } from '../lib/configs/resnet.ts';
import type { HostBatch } from '../lib/data/batches.ts';
import { sentenceIdsOf } from '../lib/data/sentence_ids.ts';
import { PRIOR_LOSS_NAMES, PRIOR_SCHEDULE, Prior, priorConfig } from '../lib/methods/prior.ts';
import { REGIMES } from '../lib/train/regime.ts';
import type { StageConfig } from '../lib/train/schedule.ts';
import { Rng } from '../lib/util/rng.ts';
import type { BenchCase } from './case.ts';
import { syntheticBatch } from './medst_step.ts';
import { CLIP_NORM, OPTIMIZER, WARMUP, benchFailer, benchSteps, compareSides, recordOurs, timeMethodSteps, timeTorchSide } from './method_step.ts';
import { findBenchPython } from './python.ts';

/** Token ids of the synthetic rows: specials below 5, the period is 5 (words start there). */
const NAME = 'prior-step';
const PERIOD_ID = 5;
const SPECIAL_IDS = [0, 1, 2, 3, 4];

/** The synthetic batch with periods every 8th word and its sentence ids. */
function priorBatch(method: Prior): HostBatch {
  const regime = REGIMES.cpu;
  const rows = regime.rowsPerBatch;
  const shape = { chunks: rows, chunkLength: 1, rows, maxTokens: regime.maxTokens, vocab: regime.vocabSize, firstWordId: PERIOD_ID + 1, crop: method.inputSize, learningRate: regime.learningRate, source: 'REGIMES.cpu' };
  const batch = syntheticBatch(shape, 1234);
  const rng = new Rng(99);
  for (let i = 0; i < batch.inputIds.length; i++) {
    const next = batch.wordIds[i + 1];
    // The last piece of a word, and then one word in eight on average, becomes a period.
    if (batch.wordIds[i]! >= 0 && next !== batch.wordIds[i] && rng.bernoulli(1 / 8)) batch.inputIds[i] = PERIOD_ID;
  }
  batch.sentenceIds = sentenceIdsOf(batch.inputIds, batch.attentionMask, rows, shape.maxTokens, { boundary: new Set([PERIOD_ID]), special: new Set(SPECIAL_IDS) }, method.config.maxSentences);
  return batch;
}

export const priorStepCase: BenchCase = {
  name: NAME,
  async run() {
    const threads = activeBackend()?.threads ?? 0;
    const steps = benchSteps(NAME, 10);
    const regime = REGIMES.cpu;
    const method = new Prior(priorConfig(regime.models.prior.preset, { ...regime.models.prior.overrides, vocabSize: regime.vocabSize }));
    const last = PRIOR_SCHEDULE[PRIOR_SCHEDULE.length - 1]!;
    const stage: StageConfig = { ...last, losses: { ...last.losses }, learningRate: regime.learningRate };
    const fail = benchFailer(NAME);
    const figures: Record<string, number | string> = { step: `stage 3: fwd + ${PRIOR_LOSS_NAMES.join('/')} + bwd + clip + AdamW`, 'TF threads (initBackend)': threads };
    const dir = mkdtempSync(join(tmpdir(), 'medst-bench-prior-'));
    try {
      const batch = priorBatch(method);
      const v = method.image.config;
      figures['batch (REGIMES.cpu)'] = `${batch.rows} rows, frontal only, crop ${batch.crop}, L=${batch.maxTokens}, vocab ${regime.vocabSize}, up to ${method.config.maxSentences} sentences`;
      figures['model'] = `ResNet blocks [${v.blocks}] width ${v.baseWidth}${v.stemPool ? '' : ' (no stem pool)'} → ${method.grid}×${method.grid} tokens; BERT w${method.text.config.width} l${method.text.config.layers}; d ${method.config.embedWidth}; ${method.config.prototypes} prototypes`;
      const ours = timeMethodSteps(method, batch, stage, steps);
      recordOurs(PRIOR_LOSS_NAMES, figures, ours, steps, fail);
      const { python, note } = findBenchPython('prior-step', ['torch', 'numpy']);
      if (!python) {
        console.log(`prior-step: SKIP PyTorch comparison (${note})`);
        figures['PyTorch'] = `skipped: ${note}`;
        return figures;
      }
      const spec = {
        vision: v,
        text: method.text.config,
        prior: method.config,
        grid: method.grid,
        stride: resnetStride(v),
        batch: { rows: batch.rows, maxTokens: batch.maxTokens, inputIds: Array.from(batch.inputIds), attentionMask: Array.from(batch.attentionMask), sentenceIds: Array.from(batch.sentenceIds!) },
        optimizer: { learningRate: stage.learningRate, ...OPTIMIZER, clipNorm: CLIP_NORM },
        losses: stage.losses,
        warmup: WARMUP,
        steps,
        threads,
        seed: 1234,
      };
      const theirs = timeTorchSide(NAME, python, 'prior_step_torch.py', spec, dir);
      compareSides(NAME, PRIOR_LOSS_NAMES, figures, ours, theirs, fail);
      return figures;
    } finally {
      method.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
