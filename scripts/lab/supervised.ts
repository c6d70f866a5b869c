// Lab: supervised ceiling on a prepared cohort. usage: PREPARED COHORT SIZE OUT 'JSON {vision, epochs, learningRate, rowsPerBatch}'
import { initBackend } from '../../lib/backend.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { evaluateImageFeatures } from '../../lib/eval/image_evaluation.ts';
import { imageFeatureMatrix } from '../../lib/eval/image_features.ts';
import { trainSupervisedCeiling } from '../../lib/train/supervised_run.ts';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { linear } from '../../lib/models/layers/linear.ts';
import { CHEXPERT_COMPETITION_LABELS, CHEXPERT_LABELS } from '../../lib/data/labels.ts';
import { competitionTargets } from '../../lib/eval/image_evaluation.ts';
import { rocAucMultiLabel } from '../../lib/eval/metrics.ts';
await initBackend({ log: () => {} });
const [prepared, cohort, size, out, json] = process.argv.slice(2);
const o = JSON.parse(json!);
const { records } = readManifest(prepared!);
const t0 = Date.now();
const model = await trainSupervisedCeiling({ data: prepared!, imageSize: Number(size), records, vision: o.vision, seed: 1, epochs: o.epochs, learningRate: o.learningRate, warmupFraction: 0.1,
  trainer: { rowsPerBatch: o.rowsPerBatch ?? 32, crop: o.vision.imageSize, ...(o.jitter ? { jitter: o.jitter } : {}), seed: 1, gradClipNorm: 1, checkpointEvery: 100000 }, out: out! }, { onStep: (r) => { if (r.step % 40 === 0) console.log(r.step, r.loss.toFixed(4), r.pairsPerSecond.toFixed(1)); } });
const x = imageFeatureMatrix((f) => model.imageFeatures(f), imageStoreDir(prepared!, Number(size)), records, o.vision.imageSize);
// The head's own test AUROC on the competition labels (is the probe or the encoder the limit?).
const logits = imageFeatureMatrix((f) => linear(model.imageFeatures(f), model.head) as tf.Tensor2D, imageStoreDir(prepared!, Number(size)), records, o.vision.imageSize);
const test = records.map((r, i) => [r, i] as const).filter(([r]) => r.split !== 'train');
const cols = CHEXPERT_COMPETITION_LABELS.map((l) => CHEXPERT_LABELS.indexOf(l));
const y = test.flatMap(([r]) => competitionTargets(r));
const sc = test.flatMap(([, i]) => cols.map((c) => logits.data[i * logits.cols + c]!));
console.log('head AUROC (5 labels, test)', rocAucMultiLabel(y, sc, 5).macro.toFixed(4));
const m = evaluateImageFeatures(x, records, cohort!, { curve: true }).metrics;
const line = { out, kind: 'supervised', trainS: (Date.now() - t0) / 1000, enc: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, +v.value.toFixed(4)])), o };
console.log('RESULT', JSON.stringify(line));
fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
