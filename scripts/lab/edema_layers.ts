// Lab: where along the image encoder the grade of a diffuse finding (edema) is lost. Reads
// frozen features at three depths of a ViT method's image encoder (the stem's patch tokens
// mean-pooled, the final tokens mean-pooled, the CLS feature the suite reads) and scores the
// fixed-split temporal task per finding for each, beside the raw pixels (lab notebook §35).
// usage: tsx scripts/lab/edema_layers.ts PREPARED COHORT SIZE CROP (RUN_FINAL | 'JSON {method, model}')
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../lib/backend.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { imageFeatureMatrix } from '../../lib/eval/image_features.ts';
import { selectRows, type Matrix } from '../../lib/eval/matrix.ts';
import { fitPca, projectPca } from '../../lib/eval/pca.ts';
import { downsampledPixels, rawPixelFeatures } from '../../lib/eval/raw_pixels.ts';
import type { VisionTransformer } from '../../lib/models/vit.ts';
import { frozenModelFrom } from './model_source.ts';
import { macroByFinding, temporalPerFinding } from './temporal_per_finding.ts';

await initBackend({ log: () => {} });
const [prepared, cohort, size, crop, source] = process.argv.slice(2) as [string, string, string, string, string];
const { records } = readManifest(prepared);
const store = imageStoreDir(prepared, Number(size));
const model = await frozenModelFrom(source, records);
const vit = (model.method as unknown as { image: VisionTransformer }).image;
const trainRows = records.flatMap((r, i) => (r.split === 'train' ? [i] : []));
// The spatial layout kept: flattened tokens, 64 PCA components fitted on the training split (as the raw-pixel row).
const pca64 = (x: Matrix): Matrix => projectPca(fitPca(selectRows(x, trainRows), 64, { seed: 0 }), x);
const flat = (t: tf.Tensor3D): tf.Tensor2D => tf.reshape(t, [t.shape[0], -1]) as tf.Tensor2D;
const features: Array<[string, Matrix]> = [
  ['stem_tokens_pca64', pca64(imageFeatureMatrix((x) => flat(vit.embedPatches(x, false)), store, records, model.crop))],
  ['final_tokens_pca64', pca64(imageFeatureMatrix((x) => flat(vit.forward({ frontal: x }).local), store, records, model.crop))],
  ['pixels_8x8', downsampledPixels(store, records, Number(crop), 8)],
  ['stem_tokens_mean', imageFeatureMatrix((x) => tf.mean(vit.embedPatches(x, false), 1) as tf.Tensor2D, store, records, model.crop)],
  ['final_tokens_mean', imageFeatureMatrix((x) => tf.mean(vit.forward({ frontal: x }).local, 1) as tf.Tensor2D, store, records, model.crop)],
  ['cls', imageFeatureMatrix((x) => vit.forward({ frontal: x }).global, store, records, model.crop)],
  ['raw_pixels', rawPixelFeatures(store, records, { crop: Number(crop) })],
];
model.method.dispose();
for (const [name, x] of features) {
  const split = temporalPerFinding(x, records, cohort);
  const line = { script: 'edema_layers', source: source.slice(0, 80), features: name, width: x.cols, temporal_macro_acc: +split.meanMacroAccuracy.toFixed(4), perFinding: macroByFinding(split) };
  console.log('RESULT', JSON.stringify(line));
  fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
}
