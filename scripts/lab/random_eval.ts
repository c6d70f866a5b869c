// Lab: the random-initialisation row of any method/model on a cohort (no training).
// usage: tsx scripts/lab/random_eval.ts PREPARED COHORT SIZE 'JSON {method, model: {preset, overrides}}'
import { initBackend } from '../../lib/backend.ts';
import { createTokenizer } from '../../lib/data/tokenizer/factory.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { embedRecords } from '../../lib/eval/embed.ts';
import { evaluateImageFeatures } from '../../lib/eval/image_evaluation.ts';
import { createMethod } from '../../lib/methods/registry.ts';
await initBackend({ log: () => {} });
const [prepared, cohort, size, json] = process.argv.slice(2);
const o = JSON.parse(json!) as { method: string; model: { preset: string; overrides: Record<string, unknown> } };
const { records } = readManifest(prepared!);
const tokenizer = await createTokenizer({ kind: 'corpus', corpus: records.filter((r) => r.split === 'train').map((r) => r.report.text), build: { vocabSize: 1000 } });
const method = createMethod(o.method, { preset: o.model.preset, overrides: o.model.overrides, vocabSize: tokenizer.vocabSize, specialTokenIds: tokenizer.specialTokenIds });
const emb = await embedRecords({ method, tokenizer, description: method.describe(), crop: method.inputSize, maxTokens: 64 }, imageStoreDir(prepared!, Number(size)), records);
const m = evaluateImageFeatures(emb.imageFeatures, records, cohort!, {}).metrics;
console.log('RANDOM', json, JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, +v.value.toFixed(4)]))));
method.dispose();
