// Lab: reference rows on a prepared cohort (raw pixels at several sides).
import { initBackend } from '../../lib/backend.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { evaluateImageFeatures } from '../../lib/eval/image_evaluation.ts';
import { rawPixelFeatures } from '../../lib/eval/raw_pixels.ts';
await initBackend({ log: () => {} });
const [prepared, cohort, size, crop] = process.argv.slice(2);
const { records } = readManifest(prepared!);
for (const side of [16, 32, 64]) {
  const t = Date.now();
  const x = rawPixelFeatures(imageStoreDir(prepared!, Number(size)), records, { crop: Number(crop), side });
  const r = evaluateImageFeatures(x, records, cohort!, { curve: true });
  console.log(side, JSON.stringify(r.metrics), (Date.now() - t) / 1000);
}
