// Lab: one pre-training run + image-only evaluation (probe on encoder and projected features, temporal).
// usage: tsx scripts/lab/train_eval.ts PREPARED COHORT SIZE OUT 'JSON overrides of PretrainRunConfig'
import fs from 'node:fs';
import { initBackend } from '../../lib/backend.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { embedRecords, loadFrozenModel } from '../../lib/eval/embed.ts';
import { evaluateImageFeatures } from '../../lib/eval/image_evaluation.ts';
import { finalModelDir, runPretraining, type PretrainRunConfig } from '../../lib/train/run.ts';
await initBackend({ log: () => {} });
const [prepared, cohort, size, out, json] = process.argv.slice(2);
const o = JSON.parse(json!) as Partial<PretrainRunConfig> & { evalOnly?: boolean };
const config: PretrainRunConfig = {
  ...(o.method ? { method: o.method } : {}),
  data: prepared!, imageSize: Number(size), vocabSize: 1000,
  model: o.model ?? { preset: 'tiny', overrides: { seed: 1 } },
  stages: o.stages ?? [{ name: 'global', epochs: 3, losses: { global: 1 }, chunkLength: 2, learningRate: 1e-3, warmupFraction: 0.1 }],
  trainer: { rowsPerBatch: 32, crop: 64, maxTokens: 64, seed: 1, gradClipNorm: 1, checkpointEvery: 100000, ...(o.trainer ?? {}) },
  out: out!,
};
const t0 = Date.now();
let lastLog = 0;
const { method, result } = await runPretraining(config, { log: (l) => console.log(l), onStep: (r) => {
  if (r.step - lastLog >= 20 || r.step === 0) { lastLog = r.step; console.log(`step ${r.step} ${r.stageName} lr ${r.learningRate.toExponential(2)} loss ${r.loss.toFixed(3)} ${JSON.stringify(Object.fromEntries(Object.entries(r.terms).map(([k, v]) => [k, +v.toFixed(3)])))} gn ${r.gradNorm.toFixed(2)} ${r.pairsPerSecond.toFixed(1)} p/s rows ${r.rows}`); }
} });
method.dispose();
const trainS = (Date.now() - t0) / 1000;
const model = await loadFrozenModel(finalModelDir(out!), { maxTokens: config.trainer.maxTokens });
const { records } = readManifest(prepared!);
const emb = await embedRecords(model, imageStoreDir(prepared!, Number(size)), records);
const enc = evaluateImageFeatures(emb.imageFeatures, records, cohort!, { curve: true }).metrics;
const proj = evaluateImageFeatures(emb.image, records, cohort!, { curve: true }).metrics;
const line = { out, trainS, steps: result.position.step, enc: Object.fromEntries(Object.entries(enc).map(([k, v]) => [k, +v.value.toFixed(4)])), proj: Object.fromEntries(Object.entries(proj).map(([k, v]) => [k, +v.value.toFixed(4)])), o };
console.log('RESULT', JSON.stringify(line));
fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
