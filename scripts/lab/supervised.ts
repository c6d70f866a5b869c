// Lab: supervised ceiling on a prepared cohort. usage: PREPARED COHORT SIZE OUT 'JSON {vision, epochs, learningRate, rowsPerBatch}'
import { initBackend } from '../../lib/backend.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { evaluateImageFeatures } from '../../lib/eval/image_evaluation.ts';
import { imageFeatureMatrix } from '../../lib/eval/image_features.ts';
import { trainSupervisedCeiling } from '../../lib/train/supervised_run.ts';
import fs from 'node:fs';
await initBackend({ log: () => {} });
const [prepared, cohort, size, out, json] = process.argv.slice(2);
const o = JSON.parse(json!);
const { records } = readManifest(prepared!);
const t0 = Date.now();
const model = await trainSupervisedCeiling({ data: prepared!, imageSize: Number(size), records, vision: o.vision, seed: 1, epochs: o.epochs, learningRate: o.learningRate, warmupFraction: 0.1,
  trainer: { rowsPerBatch: o.rowsPerBatch ?? 32, crop: o.vision.imageSize, seed: 1, gradClipNorm: 1, checkpointEvery: 100000 }, out: out! }, { onStep: (r) => { if (r.step % 40 === 0) console.log(r.step, r.loss.toFixed(4), r.pairsPerSecond.toFixed(1)); } });
const x = imageFeatureMatrix((f) => model.imageFeatures(f), imageStoreDir(prepared!, Number(size)), records, o.vision.imageSize);
const m = evaluateImageFeatures(x, records, cohort!, { curve: true }).metrics;
const line = { out, kind: 'supervised', trainS: (Date.now() - t0) / 1000, enc: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, +v.value.toFixed(4)])), o };
console.log('RESULT', JSON.stringify(line));
fs.appendFileSync('/tmp/exp/results.jsonl', JSON.stringify(line) + '\n');
