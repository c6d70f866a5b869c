// Lab: does a BatchNorm stem's eval mode suffer from running statistics gathered on mixed
// frontal + lateral batches? Re-estimates them on frontal training crops only (train-mode
// forwards, no gradient) and probes again.
// usage: tsx scripts/lab/bn_recalibrate.ts PREPARED COHORT SIZE RUN_DIR [passes]
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../lib/backend.ts';
import { BatchLoader } from '../../lib/data/batches.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { embedRecords, loadFrozenModel } from '../../lib/eval/embed.ts';
import { evaluateImageFeatures } from '../../lib/eval/image_evaluation.ts';
import { finalModelDir } from '../../lib/train/run.ts';
await initBackend({ log: () => {} });
const [prepared, cohort, size, run, passes] = process.argv.slice(2);
const model = await loadFrozenModel(finalModelDir(run!), { maxTokens: 64 });
const { records } = readManifest(prepared!);
const store = imageStoreDir(prepared!, Number(size));
const report = async (label: string) => {
  const emb = await embedRecords(model, store, records);
  const m = evaluateImageFeatures(emb.imageFeatures, records, cohort!, {}).metrics;
  console.log(label, JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, +v.value.toFixed(4)]))));
};
await report('as trained');
const train = records.filter((r) => r.split === 'train');
const loader = new BatchLoader(store, train, model.tokenizer, { chunkLength: 1, chunksPerBatch: 64, crop: model.crop, augment: true, shuffle: true, seed: 3, maxTokens: 64, useWorker: false, lateral: false, sentences: model.method.batchContents.sentences });
for (let p = 0; p < Number(passes ?? 1); p++) {
  for await (const batch of loader.epoch(p)) {
    tf.tidy(() => { model.method.imageFeatures(tf.tensor4d(batch.frontal, [batch.rows, batch.crop, batch.crop, 1]), { training: true }); });
  }
}
await loader.close();
await report('frontal-only running statistics');
