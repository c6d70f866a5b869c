// Lab: does a two-view model's frontal-only embedding (all downstream use) drift
// from the two-view embedding it was trained on? Embeds the held-out records both
// ways and reports i2t R@5, zero-shot pneumonia AUROC and the cosine between the two.
// With `--recalibrate[=PASSES]`, the image global head's BatchNorm running statistics
// are first re-estimated on frontal-only training crops (PASSES passes, default 3).
// `--split train` measures on training studies instead (as many as are held out, the
// first by id), to tell overfitting from an embedding that never aligned. A
// frontal-only model (no lateral expert) gets the frontal-only rows only.
// usage: tsx scripts/lab/view_shift.ts RUN_FINAL_DIR PREPARED SIZE [--recalibrate[=PASSES]] [--split held-out|train]
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../lib/backend.ts';
import { BatchLoader } from '../../lib/data/batches.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { embedTexts, loadFrozenModel } from '../../lib/eval/embed.ts';
import { REGIMES } from '../../lib/train/regime.ts';
import { matrix } from '../../lib/eval/matrix.ts';
import { retrieval } from '../../lib/eval/retrieval.ts';
import { zeroShotBinary } from '../../lib/eval/zero_shot.ts';
import { PNEUMONIA_PROMPTS } from '../../lib/eval/suite.ts';
import type { MedST } from '../../lib/methods/medst.ts';
import { twoViewEmbeddings } from './two_view.ts';
await initBackend({ log: () => {} });
const [finalDir, prepared, size, ...flags] = process.argv.slice(2);
const recalibrateFlag = flags.find((f) => f.startsWith('--recalibrate'));
const passes = recalibrateFlag?.includes('=') ? Number(recalibrateFlag.split('=')[1]) : 3;
const split = flags.includes('--split') ? flags[flags.indexOf('--split') + 1]! : 'held-out';
if (split !== 'held-out' && split !== 'train') throw new Error(`--split must be held-out or train, got ${split}`);
// The text length the model was trained with; the regime's by default.
const maxTokens = Number(process.env.MAX_TOKENS ?? REGIMES.cpu.maxTokens);
const model = await loadFrozenModel(finalDir!, { maxTokens });
const method = model.method as MedST;
const twoView = method.config.useLateral;
const allRecords = readManifest(prepared!).records;
const heldOut = allRecords.filter((r) => r.split !== 'train');
const records = split === 'train' ? allRecords.filter((r) => r.split === 'train').sort((a, b) => (a.id < b.id ? -1 : 1)).slice(0, heldOut.length) : heldOut;
if (recalibrateFlag) {
  // Training-mode forwards of the image side only: the head's BatchNorm moves its running statistics (momentum 0.1) towards frontal-only batches.
  const train = new BatchLoader(imageStoreDir(prepared!, Number(size)), allRecords.filter((r) => r.split === 'train'), model.tokenizer, { chunkLength: 1, chunksPerBatch: 32, crop: model.crop, augment: false, shuffle: true, seed: 0, maxTokens, useWorker: false, lateral: false, sentences: 0 });
  for (let pass = 0; pass < passes; pass++) {
    for await (const batch of train.epoch(pass)) tf.tidy(() => method.encodeImages({ frontal: tf.tensor4d(batch.frontal, [batch.rows, batch.crop, batch.crop, 1]) }, true));
  }
  await train.close();
  console.log(`image heads' BatchNorm statistics re-estimated on frontal-only training crops (${passes} passes)`);
}
const loader = new BatchLoader(imageStoreDir(prepared!, Number(size)), records, model.tokenizer, { chunkLength: 1, chunksPerBatch: 32, crop: model.crop, augment: false, shuffle: false, seed: 0, maxTokens, useWorker: false, lateral: twoView, sentences: 0 });
const d = method.embeddingWidth;
const single: number[] = [];
const both: number[] = [];
const text: number[] = [];
const order: string[] = [];
const presentFlags: number[] = [];
let withLateral = 0;
for await (const { batch, frontalOnly, twoView: twoViewEmbedding } of twoViewEmbeddings(method, loader, 'imageGlobal')) {
  single.push(...frontalOnly);
  both.push(...twoViewEmbedding);
  text.push(...tf.tidy(() => method.embedTexts(batch).dataSync()));
  order.push(...batch.records.map((r) => r.id));
  withLateral += Array.from(batch.lateralPresent).filter((v) => v > 0).length;
  presentFlags.push(...(twoView ? Array.from(batch.lateralPresent) : new Array<number>(batch.rows).fill(0)));
}
await loader.close();
const byId = new Map(records.map((r) => [r.id, r]));
const ordered = order.map((id) => byId.get(id)!);
const n = ordered.length;
const reports = ordered.map((r) => r.report.text);
const labels = ordered.map((r) => (r.labels?.Pneumonia === 1 ? 1 : 0));
const prompts = { negative: embedTexts(model, PNEUMONIA_PROMPTS.negative), positive: embedTexts(model, PNEUMONIA_PROMPTS.positive) };
const cosines = { with: [] as number[], without: [] as number[] };
for (let i = 0; i < n; i++) {
  let s = 0;
  for (let j = 0; j < d; j++) s += single[i * d + j]! * both[i * d + j]!;
  (presentFlags[i]! > 0 ? cosines.with : cosines.without).push(s);
}
const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
console.log(`${split} studies`);
for (const [name, emb] of twoView ? ([['frontal only', single], ['frontal + lateral', both]] as const) : ([['frontal only', single]] as const)) {
  const images = matrix(Float32Array.from(emb), n, d);
  const r = retrieval(images, matrix(Float32Array.from(text), n, d), { reportTexts: reports });
  const z = zeroShotBinary(images, prompts, labels);
  console.log(`${name}: i2t R@5 ${r.imageToText.recall[5]!.toFixed(3)}, t2i R@5 ${r.textToImage.recall[5]!.toFixed(3)}, zero-shot pneumonia ${z.rocAuc.toFixed(3)}`);
}
console.log(`n ${n}, with lateral ${withLateral}; mean cosine frontal-only vs two-view: ${meanOf(cosines.with).toFixed(3)} with a lateral, ${meanOf(cosines.without).toFixed(3)} without`);
method.dispose();
