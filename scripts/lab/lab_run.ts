// Lab helper shared by train_eval.ts and ema_eval.ts: the run config a lab run starts from
// (JSON overrides on the CPU regime's trainer settings), and the probe / temporal split of
// a saved model's encoder features.
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { embedRecords, loadFrozenModel } from '../../lib/eval/embed.ts';
import { evaluateImageFeatures } from '../../lib/eval/image_evaluation.ts';
import type { PretrainRunConfig } from '../../lib/train/run.ts';

/** Overrides a lab run takes as JSON. */
export type LabOverrides = Partial<PretrainRunConfig>;

/** The run config of a lab run on a prepared cohort (defaults: tiny Med-ST, 3 global-only epochs). */
export function labRunConfig(prepared: string, size: number, out: string, o: LabOverrides): PretrainRunConfig {
  return {
    ...(o.method ? { method: o.method } : {}),
    data: prepared, imageSize: size, vocabSize: 1000,
    model: o.model ?? { preset: 'tiny', overrides: { seed: 1 } },
    stages: o.stages ?? [{ name: 'global', epochs: 3, losses: { global: 1 }, chunkLength: 2, learningRate: 1e-3, warmupFraction: 0.1 }],
    trainer: { rowsPerBatch: 32, crop: 64, maxTokens: 64, seed: 1, gradClipNorm: 1, checkpointEvery: 100000, ...(o.trainer ?? {}) },
    out,
  };
}

/** The 100 % probe and fixed-split temporal accuracy of a final/ folder's encoder features and joint-space embeddings, rounded to 4 decimals. */
export async function evaluateSavedEncoder(dir: string, prepared: string, size: number, cohort: string, maxTokens: number): Promise<{ enc: Record<string, number>; proj: Record<string, number> }> {
  const model = await loadFrozenModel(dir, { maxTokens });
  const { records } = readManifest(prepared);
  try {
    const emb = await embedRecords(model, imageStoreDir(prepared, size), records);
    const rounded = (features: typeof emb.image) =>
      Object.fromEntries(Object.entries(evaluateImageFeatures(features, records, cohort, { curve: true }).metrics).map(([k, v]) => [k, +v.value.toFixed(4)]));
    return { enc: rounded(emb.imageFeatures), proj: rounded(emb.image) };
  } finally {
    model.method.dispose();
  }
}
