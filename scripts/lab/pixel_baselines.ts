// Lab: how strong is the raw-pixel reference row? The 100 % probe AUROC and fixed-split
// temporal macro accuracy of box-averaged centre crops at several sides, as they are and
// through PCA 64 (the reference row is 32 × 32 → PCA 64; lab notebook §35).
// usage: tsx scripts/lab/pixel_baselines.ts PREPARED COHORT SIZE CROP
import fs from 'node:fs';
import { initBackend } from '../../lib/backend.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { evaluateImageFeatures } from '../../lib/eval/image_evaluation.ts';
import type { Matrix } from '../../lib/eval/matrix.ts';
import { downsampledPixels, rawPixelFeatures } from '../../lib/eval/raw_pixels.ts';

await initBackend({ log: () => {} });
const [prepared, cohort, size, crop] = process.argv.slice(2) as [string, string, string, string];
const { records } = readManifest(prepared);
const store = imageStoreDir(prepared, Number(size));
const variants: Array<[string, () => Matrix]> = [
  ['pixels 8x8', () => downsampledPixels(store, records, Number(crop), 8)],
  ['pixels 16x16 -> PCA 64', () => rawPixelFeatures(store, records, { crop: Number(crop), side: 16 })],
  ['pixels 32x32 -> PCA 64 (reference row)', () => rawPixelFeatures(store, records, { crop: Number(crop) })],
  ['pixels 32x32 -> PCA 256', () => rawPixelFeatures(store, records, { crop: Number(crop), components: 256 })],
];
for (const [name, features] of variants) {
  const x = features();
  const { metrics } = evaluateImageFeatures(x, records, cohort, { curve: true });
  const line = { script: 'pixel_baselines', prepared, features: name, width: x.cols, probe_auroc_100: +metrics.probe_auroc_100!.value.toFixed(4), temporal_macro_acc: +metrics.temporal_macro_acc!.value.toFixed(4) };
  console.log('RESULT', JSON.stringify(line));
  fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
}
