/**
 * `imitate-step`: one full IMITATE training step — two augmented views of
 * every image (flips, rotation, perspective, autocontrast), the ResNet once per
 * view feeding the impression head and the multi-level findings branch, BERT
 * on the findings and on the impression, the four CICL terms (λ = 1),
 * backward, global-norm clipping, AdamW — for the `cpu` preset in the `cpu`
 * regime (REGIMES.cpu: 32 rows, L = 64, vocabulary 1000, crop 64), against an
 * independent PyTorch implementation of the same architecture, batch, views
 * and losses (`bench/imitate_step_torch.py`) run right after it.
 *
 * The batch is the Med-ST bench's synthetic one; its two sections are two
 * seeded token-row sets, with every 8th report lacking findings and every 9th
 * an impression. Token rows, section flags and resolved configs go to a JSON
 * file the Python side reads. Per side: 3 warm-up steps, then N timed steps
 * (MEDST_BENCH_STEPS, default 10): median and p90 ms/step, pairs/s; medst
 * also reports `tf.memory().numTensors` before/after (must be equal). Checks:
 * first-step terms finite on both sides, trainable parameter counts equal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeBackend } from '../lib/backend.ts';
import type { HostBatch, SectionRows } from '../lib/data/batches.ts';
import { Imitate, imitateConfig } from '../lib/methods/imitate.ts';
import { channelsPerStage } from '../lib/models/multi_level_branch.ts';
import { IMITATE_LOSS_NAMES } from '../lib/objectives/imitate.ts';
import { REGIMES } from '../lib/train/regime.ts';
import type { StageConfig } from '../lib/train/schedule.ts';
import type { BenchCase } from './case.ts';
import { syntheticBatch } from './medst_step.ts';
import { CLIP_NORM, OPTIMIZER, WARMUP, benchFailer, benchSteps, compareSides, recordOurs, timeMethodSteps, timeTorchSide } from './method_step.ts';
import { findBenchPython } from './python.ts';

const NAME = 'imitate-step';

/** The synthetic batch with seeded findings and impression rows. */
export function imitateBatch(method: Imitate): HostBatch {
  const regime = REGIMES.cpu;
  const rows = regime.rowsPerBatch;
  const shape = { chunks: rows, chunkLength: 1, rows, maxTokens: regime.maxTokens, vocab: regime.vocabSize, firstWordId: 5, crop: method.inputSize, learningRate: regime.learningRate, source: 'REGIMES.cpu' };
  const batch = syntheticBatch(shape, 1234);
  const section = (seed: number, every: number): SectionRows => {
    const rowsOf = syntheticBatch(shape, seed);
    return { inputIds: rowsOf.inputIds, attentionMask: rowsOf.attentionMask, present: Uint8Array.from({ length: rows }, (_, r) => (r % every === every - 1 ? 0 : 1)) };
  };
  batch.sections = { findings: section(77, 8), impression: section(78, 9) };
  return batch;
}

export const imitateStepCase: BenchCase = {
  name: NAME,
  async run() {
    const threads = activeBackend()?.threads ?? 0;
    const steps = benchSteps(NAME, 10);
    const regime = REGIMES.cpu;
    const method = new Imitate(imitateConfig(regime.models.imitate.preset, { ...regime.models.imitate.overrides, vocabSize: regime.vocabSize }));
    const stage: StageConfig = { name: 'cicl', epochs: 1, losses: { impression: 1, findings: 1, impression_views: 1, findings_views: 1 }, chunkLength: 1, learningRate: regime.learningRate, warmupFraction: 0 };
    const fail = benchFailer(NAME);
    const figures: Record<string, number | string> = { step: `2 views: fwd + ${IMITATE_LOSS_NAMES.join('/')} + bwd + clip + AdamW`, 'TF threads (initBackend)': threads };
    const dir = mkdtempSync(join(tmpdir(), 'medst-bench-imitate-'));
    try {
      const batch = imitateBatch(method);
      const v = method.image.config;
      const f = method.findingsBranch.config;
      figures['batch (REGIMES.cpu)'] = `${batch.rows} rows × 2 views, crop ${batch.crop}, findings + impression rows of L=${batch.maxTokens}, vocab ${regime.vocabSize}`;
      figures['model'] = `ResNet blocks [${v.blocks}] width ${v.baseWidth}${v.stemPool ? '' : ' (no stem pool)'}; findings branch ${channelsPerStage(f).join('+')} channel tokens of ${f.tokenGrid}×${f.tokenGrid} padded to ${f.tokenCount}; BERT w${method.text.config.width} l${method.text.config.layers}; d ${method.config.embedWidth}`;
      const ours = timeMethodSteps(method, batch, stage, steps);
      recordOurs(IMITATE_LOSS_NAMES, figures, ours, steps, fail);
      const { python, note } = findBenchPython(NAME, ['torch', 'numpy']);
      if (!python) {
        console.log(`${NAME}: SKIP PyTorch comparison (${note})`);
        figures['PyTorch'] = `skipped: ${note}`;
        return figures;
      }
      const { findings, impression } = batch.sections!;
      const rowsOf = (s: SectionRows) => ({ inputIds: Array.from(s.inputIds), attentionMask: Array.from(s.attentionMask), present: Array.from(s.present) });
      const spec = {
        vision: v,
        text: method.text.config,
        imitate: { ...method.config, findings: { ...f, counts: channelsPerStage(f) } },
        batch: { rows: batch.rows, maxTokens: batch.maxTokens, findings: rowsOf(findings), impression: rowsOf(impression) },
        optimizer: { learningRate: stage.learningRate, ...OPTIMIZER, clipNorm: CLIP_NORM },
        losses: stage.losses,
        warmup: WARMUP,
        steps,
        threads,
        seed: 1234,
      };
      const theirs = timeTorchSide(NAME, python, 'imitate_step_torch.py', spec, dir);
      compareSides(NAME, IMITATE_LOSS_NAMES, figures, ours, theirs, fail);
      return figures;
    } finally {
      method.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
