// Lab: the VGG stem's BatchNorm in a two-view (MoVE) model normalises frontal crops,
// lateral crops and the zero placeholders of absent laterals with one set of
// statistics. How far are its running statistics from the frontal crops' own, and
// does the frontal-only probe move when they are re-estimated on frontal crops of the
// training split (exact per-layer statistics, earlier layers already re-estimated)?
// usage: tsx scripts/lab/stem_bn_views.ts RUN_FINAL_DIR PREPARED COHORT SIZE
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../lib/backend.ts';
import { BatchLoader } from '../../lib/data/batches.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { embedRecords, loadFrozenModel } from '../../lib/eval/embed.ts';
import { evaluateImageFeatures } from '../../lib/eval/image_evaluation.ts';
import { relu } from '../../lib/models/layers/activations.ts';
import { REGIMES } from '../../lib/train/regime.ts';
import type { MedST } from '../../lib/methods/medst.ts';

await initBackend({ log: () => {} });
const [finalDir, prepared, cohort, size] = process.argv.slice(2) as [string, string, string, string];
const maxTokens = Number(process.env.MAX_TOKENS ?? REGIMES.cpu.maxTokens);
const model = await loadFrozenModel(finalDir, { maxTokens });
const method = model.method as MedST;
const vgg = method.image.vgg;
if (!vgg) throw new Error(`${finalDir}: not a VGG-stem model`);
const { records } = readManifest(prepared);
const train = records.filter((r) => r.split === 'train').slice(0, 1024);

/** Centre crops of the training split: frontal, lateral (present only). */
async function crops(which: 'frontal' | 'lateral'): Promise<tf.Tensor4D> {
  const loader = new BatchLoader(imageStoreDir(prepared, Number(size)), train, model.tokenizer, { chunkLength: 1, chunksPerBatch: 128, crop: model.crop, augment: false, shuffle: false, seed: 0, maxTokens, useWorker: false, lateral: true, sentences: 0 });
  const parts: Float32Array[] = [];
  for await (const batch of loader.epoch(0)) {
    const px = batch.crop * batch.crop;
    for (let i = 0; i < batch.rows; i++) {
      if (which === 'lateral' && !batch.lateralPresent[i]) continue;
      parts.push((which === 'frontal' ? batch.frontal : batch.lateral).slice(i * px, (i + 1) * px));
    }
  }
  await loader.close();
  const out = new Float32Array(parts.length * model.crop * model.crop);
  parts.forEach((p, i) => out.set(p, i * p.length));
  return tf.tensor4d(out, [parts.length, model.crop, model.crop, 1]);
}

/** Per-layer conv outputs' channel moments of `images` through the stem in evaluation mode. */
function layerMoments(images: tf.Tensor4D): Array<{ mean: Float32Array; variance: Float32Array }> {
  return tf.tidy(() => {
    const out: Array<{ mean: Float32Array; variance: Float32Array }> = [];
    let x: tf.Tensor4D = images;
    for (const conv of vgg!.convs) {
      const y = tf.conv2d(x, conv.weight as tf.Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      out.push({ mean: mean.dataSync() as Float32Array, variance: variance.dataSync() as Float32Array });
      x = relu(conv.bn.forward(y, { training: false })) as tf.Tensor4D;
      if (conv.poolAfter) x = tf.maxPool(x, 2, 2, 'valid');
    }
    return out;
  });
}

const frontal = await crops('frontal');
const lateral = await crops('lateral');
// One zero placeholder per study without a lateral, as training stacks them.
const zeros = tf.zeros([frontal.shape[0] - lateral.shape[0], model.crop, model.crop, 1]) as tf.Tensor4D;
console.log(`${frontal.shape[0]} studies, ${lateral.shape[0]} with a lateral`);
/** Mean over channels of |μ_a − μ_running| / σ_running and of log(σ²_a / σ²_running). */
function distance(m: { mean: Float32Array; variance: Float32Array }, i: number): { dMean: number; logVar: number } {
  const rm = vgg!.convs[i]!.bn.runningMean.dataSync();
  const rv = vgg!.convs[i]!.bn.runningVar.dataSync();
  let dMean = 0;
  let logVar = 0;
  for (let c = 0; c < rm.length; c++) {
    dMean += Math.abs(m.mean[c]! - rm[c]!) / Math.sqrt(rv[c]!);
    logVar += Math.log(m.variance[c]! / rv[c]!);
  }
  return { dMean: +(dMean / rm.length).toFixed(3), logVar: +(logVar / rm.length).toFixed(3) };
}
const mixed = tf.concat([frontal, lateral, zeros], 0) as tf.Tensor4D;
for (const [name, images] of [['frontal', frontal], ['lateral', lateral], ['frontal+lateral+zeros', mixed]] as const) {
  console.log(name, JSON.stringify(layerMoments(images).map(distance)));
}

async function probe(label: string): Promise<void> {
  const embeddings = await embedRecords(model, imageStoreDir(prepared, Number(size)), records);
  const m = evaluateImageFeatures(embeddings.imageFeatures, records, cohort, { curve: true }).metrics;
  const line = { script: 'stem_bn_views', source: finalDir, stem_statistics: label, probe_auroc_100: +m.probe_auroc_100!.value.toFixed(4), temporal_macro_acc: +(m.temporal_macro_acc?.value ?? Number.NaN).toFixed(4) };
  console.log('RESULT', JSON.stringify(line));
  fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
}

await probe('as trained');
// Exact re-estimation on frontal crops, layer by layer (each layer's input uses the earlier re-estimated layers).
for (let i = 0; i < vgg.convs.length; i++) {
  const m = layerMoments(frontal)[i]!;
  const bn = vgg.convs[i]!.bn;
  const n = frontal.shape[0] * (model.crop >> Math.floor(i / vgg.config.convsPerStage)) ** 2;
  bn.runningMean.assign(tf.tensor1d(m.mean));
  bn.runningVar.assign(tf.tensor1d(Float32Array.from(m.variance, (v) => (v * n) / (n - 1))));
}
await probe('re-estimated on frontal crops');
method.dispose();
