// Lab: is the temporal probe's fixed L2 penalty (λ = 1e-3 on standardised pair features) a
// handicap for a wide encoder feature against the raw pixels' 64 PCA components? The fixed-split
// temporal macro accuracy of a model's features and of the raw pixels at several λ (lab notebook §33).
// usage: tsx scripts/lab/temporal_penalty.ts PREPARED COHORT SIZE CROP (RUN_FINAL | 'JSON {method, model}') [L2,L2,...]
import fs from 'node:fs';
import { initBackend } from '../../lib/backend.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { embedRecords } from '../../lib/eval/embed.ts';
import { temporalPairsOf } from '../../lib/eval/image_evaluation.ts';
import { selectRows, type Matrix } from '../../lib/eval/matrix.ts';
import { rawPixelFeatures } from '../../lib/eval/raw_pixels.ts';
import { fixedSplitTemporal, pairFeatures, temporalLabelsFromPairs } from '../../lib/eval/temporal_classification.ts';
import { frozenModelFrom } from './model_source.ts';

await initBackend({ log: () => {} });
const [prepared, cohort, size, crop, source, l2List] = process.argv.slice(2) as [string, string, string, string, string, string | undefined];
const penalties = (l2List ?? '1e-4,1e-3,1e-2,1e-1,1,10').split(',').map(Number);
const { records } = readManifest(prepared);
const store = imageStoreDir(prepared, Number(size));
const model = await frozenModelFrom(source, records);
const features: Array<[string, Matrix]> = [
  ['model', (await embedRecords(model, store, records)).imageFeatures],
  ['raw_pixels', rawPixelFeatures(store, records, { crop: Number(crop) })],
];
model.method.dispose();
const rowOf = new Map(records.map((r, i) => [r.id, i]));
const splitOf = new Map(records.map((r) => [r.id, r.split]));
const pairs = temporalPairsOf(cohort, new Set(rowOf.keys()));
const isTest = pairs.map((p) => splitOf.get(p.dicomId) !== 'train');
for (const [name, x] of features) {
  const input = { features: pairFeatures(selectRows(x, pairs.map((p) => rowOf.get(p.dicomId)!)), selectRows(x, pairs.map((p) => rowOf.get(p.previousDicomId)!))), ...temporalLabelsFromPairs(pairs) };
  const findings = Object.entries(input.labels)
    .filter(([, labels]) => labels.some((v, i) => v !== null && isTest[i]) && labels.some((v, i) => v !== null && !isTest[i]))
    .map(([finding]) => finding);
  for (const l2 of penalties) {
    const split = fixedSplitTemporal(input, isTest, { findings, probe: { l2 } });
    const line = { script: 'temporal_penalty', source: source.slice(0, 80), features: name, width: x.cols, l2, temporal_macro_acc: +split.meanMacroAccuracy.toFixed(4), perFinding: Object.fromEntries(split.findings.map((f) => [f.finding, +f.macroAccuracy.toFixed(3)])) };
    console.log('RESULT', JSON.stringify(line));
    fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
  }
}
