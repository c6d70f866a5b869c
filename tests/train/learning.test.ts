/**
 * Does pre-training learn the pairing? A small Med-ST trained with the global
 * loss must score its true image–report pairs better than the same batch with
 * the reports shuffled; before training the two are level. A pipeline that
 * mixed up rows (images of one record, reports of another) fails this.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCohort } from '../../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import { BatchLoader, toTensors, type HostBatch } from '../../lib/data/batches.ts';
import { imageStoreDir, prepareDataset } from '../../lib/data/prepare.ts';
import { createTokenizer } from '../../lib/data/tokenizer/index.ts';
import { MedST, medstConfig } from '../../lib/methods/medst.ts';
import { globalContrastiveLoss } from '../../lib/objectives/global_contrastive.ts';
import { REGIMES } from '../../lib/train/regime.ts';
import { train } from '../../lib/train/trainer.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

test.before(async () => {
  await nativeBackend();
});

/** Global loss of a batch with rows paired as given (eval mode). */
function pairedLoss(model: MedST, batch: HostBatch, order: number[]): number {
  return tf.tidy(() => {
    const tensors = toTensors(batch);
    const image = model.encodeImages({ frontal: tensors.frontal }, false).imageGlobal;
    const text = tf.gather(model.encodeText(batch, false).textGlobal, order);
    return globalContrastiveLoss(image, text as tf.Tensor2D, { temperature: 0.07 }).loss.dataSync()[0]!;
  });
}

test('after a few epochs the true pairs score better than shuffled ones; at init they do not', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-learning-'));
  await generateCohort(resolveSynthConfig({ out: path.join(dir, 'cohort'), patients: 40, size: 128, seed: 13, workers: 0 }));
  const prepared = await prepareDataset({ mimicRoot: path.join(dir, 'cohort'), outDir: path.join(dir, 'prepared'), size: REGIMES.quick.imageSize });
  const train_ = prepared.records.filter((r) => r.split === 'train');
  const tokenizer = await createTokenizer({ kind: 'corpus', corpus: train_.map((r) => r.report.text), build: { vocabSize: 300 } });
  const storeDir = imageStoreDir(path.join(dir, 'prepared'), REGIMES.quick.imageSize);
  const model = new MedST(medstConfig('cpu', { ...REGIMES.quick.models.medst.overrides, seed: 4, useLateral: false, vocabSize: tokenizer.vocabSize }));
  const loader = new BatchLoader(storeDir, train_, tokenizer, { chunkLength: 1, rowsPerBatch: 24, dropLast: true, crop: REGIMES.quick.crop, augment: false, shuffle: false, seed: 0, maxTokens: REGIMES.quick.maxTokens, useWorker: false });
  let batch: HostBatch | undefined;
  for await (const b of loader.epoch(0)) batch ??= b;
  await loader.close();
  // Distinct reports only: identical texts are true matches whichever way they are paired.
  const shuffled = Array.from({ length: batch!.rows }, (_, i) => (i + 7) % batch!.rows);
  const identity = Array.from({ length: batch!.rows }, (_, i) => i);
  const gapAtInit = pairedLoss(model, batch!, shuffled) - pairedLoss(model, batch!, identity);
  await train(model, { storeDir, records: train_, tokenizer }, {
    stages: [{ name: 'global', epochs: 25, losses: { global: 1 }, chunkLength: 1, learningRate: 2e-3, warmupFraction: 0.1 }],
    rowsPerBatch: 16, crop: REGIMES.quick.crop, maxTokens: REGIMES.quick.maxTokens, seed: 1, gradClipNorm: 1, checkpointEvery: 10000,
  }, path.join(dir, 'run'), { log: () => {} });
  const gapAfter = pairedLoss(model, batch!, shuffled) - pairedLoss(model, batch!, identity);
  t.log(`gap at init ${gapAtInit.toFixed(3)}, after ${gapAfter.toFixed(3)}, ${train_.length} training pairs`);
  t.true(Math.abs(gapAtInit) < 1, `at init the pairing barely matters (${gapAtInit.toFixed(3)})`);
  t.true(gapAfter > 1, `after training, shuffling the reports costs ${gapAfter.toFixed(3)} nats`);
  model.dispose();
});
