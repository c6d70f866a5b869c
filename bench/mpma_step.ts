/**
 * `mpma-step`: one full MPMA training step — GLA (ViT on whole frontal images,
 * BERT on unmasked reports, projection heads, global InfoNCE, Med-ST's local
 * loss), the ViT on the visible patches of the masked images, BERT on the
 * masked reports, MLM through the memory-augmented fusion, MIM through the
 * pixel decoder, backward, global-norm clipping, AdamW — for the `cpu` preset
 * in the `cpu` regime (REGIMES.cpu: 32 rows, L = 64, vocabulary 1000, crop 64),
 * against an independent PyTorch implementation of the same architecture,
 * batch and losses (`bench/mpma_step_torch.py`) run right after it.
 *
 * The batch is the Med-ST bench's synthetic one. Each step's masks are drawn
 * here with `method.drawMasks` from that step's seeded source, the one medst's
 * step itself then draws from, and go to the Python side with the token rows
 * and resolved configs in a JSON file, so both sides mask the same patches and
 * tokens at every step. Per side: 3 warm-up steps, then N timed steps
 * (MEDST_BENCH_STEPS, default 10): median and p90 ms/step, pairs/s; medst also
 * reports `tf.memory().numTensors` before/after (must be equal). Checks:
 * first-step terms finite on both sides, trainable parameter counts equal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeBackend } from '../lib/backend.ts';
import { stemStageChannels } from '../lib/configs/vit.ts';
import type { HostBatch } from '../lib/data/batches.ts';
import { MPMA_LOSS_NAMES, Mpma, mpmaConfig } from '../lib/methods/mpma.ts';
import { REGIMES } from '../lib/train/regime.ts';
import type { StageConfig } from '../lib/train/schedule.ts';
import { Rng, deriveSeed } from '../lib/util/rng.ts';
import type { BenchCase } from './case.ts';
import { syntheticBatch } from './medst_step.ts';
import { CLIP_NORM, OPTIMIZER, WARMUP, benchFailer, benchSteps, compareSides, recordOurs, timeMethodSteps, timeTorchSide } from './method_step.ts';
import { findBenchPython } from './python.ts';

const NAME = 'mpma-step';
const SEED = 1234;

/** The source of step `step`'s masks, on both sides. */
const randomAt = (step: number) => new Rng(deriveSeed(SEED, 7, step));

/** The masks of steps 0 … count − 1 as plain arrays (visible [B, keep], patchMask [B, P], inputIds and labels [B, L]). */
function maskRows(method: Mpma, batch: HostBatch, count: number) {
  return Array.from({ length: count }, (_, step) => {
    const { patches, tokens } = method.drawMasks(batch, randomAt(step));
    return { visible: Array.from(patches.visible), patchMask: Array.from(patches.masked), inputIds: Array.from(tokens.inputIds), labels: Array.from(tokens.labels) };
  });
}

export const mpmaStepCase: BenchCase = {
  name: NAME,
  async run() {
    const threads = activeBackend()?.threads ?? 0;
    const steps = benchSteps(NAME, 10);
    const regime = REGIMES.cpu;
    const method = new Mpma(mpmaConfig(regime.models.mpma.preset, { ...regime.models.mpma.overrides, vocabSize: regime.vocabSize }));
    const stage: StageConfig = { name: 'mpma', epochs: 1, losses: { global: 1, local: 1, mim: 1, mlm: 1 }, chunkLength: 1, learningRate: regime.learningRate, warmupFraction: 0 };
    const fail = benchFailer(NAME);
    const figures: Record<string, number | string> = { step: `fwd + ${MPMA_LOSS_NAMES.join('/')} + bwd + clip + AdamW`, 'TF threads (initBackend)': threads };
    const dir = mkdtempSync(join(tmpdir(), 'medst-bench-mpma-'));
    try {
      const rows = regime.rowsPerBatch;
      const shape = { chunks: rows, chunkLength: 1, rows, maxTokens: regime.maxTokens, vocab: regime.vocabSize, firstWordId: 5, crop: method.inputSize, learningRate: regime.learningRate, source: 'REGIMES.cpu' };
      const batch = syntheticBatch(shape, SEED);
      const v = method.image.config;
      const t = method.text.config;
      const { fusion, masking } = method.config;
      figures['batch (REGIMES.cpu)'] = `${batch.rows} rows, frontal only, crop ${batch.crop}, L=${batch.maxTokens}, vocab ${regime.vocabSize}; masks: ${masking.imageRatio} of patches, ${masking.textRatio} of tokens`;
      figures['model'] = `ViT ${v.stem} stem, patch ${v.patchSize}, w${v.width} d${v.depth}; BERT w${t.width} l${t.layers}; fusion w${fusion.width} l${fusion.layers} ${fusion.memorySlots} slots; decoder depth ${method.config.decoderDepth}`;
      const ours = timeMethodSteps(method, batch, stage, steps, randomAt);
      recordOurs(MPMA_LOSS_NAMES, figures, ours, steps, fail);
      const { python, note } = findBenchPython(NAME, ['torch', 'numpy']);
      if (!python) {
        console.log(`${NAME}: SKIP PyTorch comparison (${note})`);
        figures['PyTorch'] = `skipped: ${note}`;
        return figures;
      }
      const spec = {
        // The conv or VGG stem's stage widths, as medst_step_torch.py's ViT reads them.
        vision: { ...v, stemChannels: stemStageChannels(v) },
        text: t,
        mpma: { head: method.config.head, fusion, decoderDepth: method.config.decoderDepth, normalisePixels: method.config.normalisePixels, temperatures: method.config.temperatures },
        batch: {
          rows: batch.rows,
          maxTokens: batch.maxTokens,
          inputIds: Array.from(batch.inputIds),
          attentionMask: Array.from(batch.attentionMask),
          wordIds: Array.from(batch.wordIds),
          masks: maskRows(method, batch, WARMUP + steps),
        },
        optimizer: { learningRate: stage.learningRate, ...OPTIMIZER, clipNorm: CLIP_NORM },
        losses: stage.losses,
        warmup: WARMUP,
        steps,
        threads,
        seed: SEED,
      };
      const theirs = timeTorchSide(NAME, python, 'mpma_step_torch.py', spec, dir);
      compareSides(NAME, MPMA_LOSS_NAMES, figures, ours, theirs, fail);
      return figures;
    } finally {
      method.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
