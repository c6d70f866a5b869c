// Lab: which frozen feature of a ViT carries the findings — the CLS feature the suite reads,
// the mean of the frontal patch tokens, or both concatenated — by the 100 % probe and the
// fixed-split temporal accuracy (no training of the encoder).
// usage: tsx scripts/lab/feature_readout.ts PREPARED COHORT SIZE (RUN_FINAL | 'JSON {method, model}')
import fs from 'node:fs';
import { initBackend } from '../../lib/backend.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { embedRecords, patchFeatures } from '../../lib/eval/embed.ts';
import { evaluateImageFeatures } from '../../lib/eval/image_evaluation.ts';
import { matrix, type Matrix } from '../../lib/eval/matrix.ts';
import { frozenModelFrom } from './model_source.ts';

await initBackend({ log: () => {} });
const [prepared, cohort, size, source] = process.argv.slice(2) as [string, string, string, string];
const { records } = readManifest(prepared);
const model = await frozenModelFrom(source, records);
const store = imageStoreDir(prepared, Number(size));
const cls = (await embedRecords(model, store, records)).imageFeatures;
const dense = await patchFeatures(model, store, records);
const cells = dense.grid * dense.grid;
const meanTokens = new Float32Array(records.length * dense.width);
for (let n = 0; n < records.length; n++) {
  for (let p = 0; p < cells; p++) for (let c = 0; c < dense.width; c++) meanTokens[n * dense.width + c]! += dense.features[(n * cells + p) * dense.width + c]! / cells;
}
const patchMean = matrix(meanTokens, records.length, dense.width);
const concat = (a: Matrix, b: Matrix): Matrix => {
  const out = new Float32Array(a.rows * (a.cols + b.cols));
  for (let r = 0; r < a.rows; r++) {
    out.set(a.data.subarray(r * a.cols, (r + 1) * a.cols), r * (a.cols + b.cols));
    out.set(b.data.subarray(r * b.cols, (r + 1) * b.cols), r * (a.cols + b.cols) + a.cols);
  }
  return matrix(out, a.rows, a.cols + b.cols);
};
for (const [name, features] of [['cls', cls], ['patch_mean', patchMean], ['cls+patch_mean', concat(cls, patchMean)]] as const) {
  const m = evaluateImageFeatures(features, records, cohort, { curve: true }).metrics;
  const line = { script: 'feature_readout', source: source.slice(0, 80), readout: name, width: features.cols, probe_auroc_100: +m.probe_auroc_100!.value.toFixed(4), temporal_macro_acc: +(m.temporal_macro_acc?.value ?? Number.NaN).toFixed(4) };
  console.log('RESULT', JSON.stringify(line));
  fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
}
model.method.dispose();
