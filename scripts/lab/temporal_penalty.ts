// Lab: is the temporal probe's fixed L2 penalty (λ = 1e-3 on standardised pair features) a
// handicap for a wide encoder feature against the raw pixels' 64 PCA components? The fixed-split
// temporal macro accuracy of a model's features and of the raw pixels at several λ (lab notebook §33).
// usage: tsx scripts/lab/temporal_penalty.ts PREPARED COHORT SIZE CROP (RUN_FINAL | 'JSON {method, model}') [L2,L2,...]
import fs from 'node:fs';
import { initBackend } from '../../lib/backend.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { embedRecords } from '../../lib/eval/embed.ts';
import type { Matrix } from '../../lib/eval/matrix.ts';
import { rawPixelFeatures } from '../../lib/eval/raw_pixels.ts';
import { frozenModelFrom } from './model_source.ts';
import { macroByFinding, temporalPerFinding } from './temporal_per_finding.ts';

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
for (const [name, x] of features) {
  for (const l2 of penalties) {
    const split = temporalPerFinding(x, records, cohort, { l2 });
    const line = { script: 'temporal_penalty', source: source.slice(0, 80), features: name, width: x.cols, l2, temporal_macro_acc: +split.meanMacroAccuracy.toFixed(4), perFinding: macroByFinding(split) };
    console.log('RESULT', JSON.stringify(line));
    fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
  }
}
