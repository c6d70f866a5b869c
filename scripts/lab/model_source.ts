// Lab helper: a frozen model from a trained run's final/ folder, or a method's random
// initialisation from 'JSON {method, model: {preset, overrides}}' (tokenizer built on the
// training reports, as the trainer builds it).
import type { ManifestRecord } from '../../lib/data/manifest.ts';
import { createTokenizer } from '../../lib/data/tokenizer/factory.ts';
import { loadFrozenModel, type FrozenModel } from '../../lib/eval/embed.ts';
import { createMethod } from '../../lib/methods/registry.ts';

export async function frozenModelFrom(source: string, records: readonly ManifestRecord[]): Promise<FrozenModel> {
  if (!source.trim().startsWith('{')) return loadFrozenModel(source);
  const o = JSON.parse(source) as { method: string; model: { preset: string; overrides: Record<string, unknown> } };
  const tokenizer = await createTokenizer({ kind: 'corpus', corpus: records.filter((r) => r.split === 'train').map((r) => r.report.text), build: { vocabSize: 1000 } });
  const method = createMethod(o.method, { preset: o.model.preset, overrides: o.model.overrides, vocabSize: tokenizer.vocabSize, specialTokenIds: tokenizer.specialTokenIds });
  return { method, tokenizer, description: method.describe(), crop: method.inputSize, maxTokens: 64 };
}
