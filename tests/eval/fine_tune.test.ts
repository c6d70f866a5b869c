/**
 * Fine-tuning a saved checkpoint's image encoder with a linear head: the loss
 * falls, the scores are valid AUROCs, the checkpoint is untouched and nothing leaks.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCohort } from '../../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import { prepareDataset } from '../../lib/data/prepare.ts';
import { createTokenizer } from '../../lib/data/tokenizer/index.ts';
import { fineTuneProbe } from '../../lib/eval/fine_tune.ts';
import { MedST, medstConfig } from '../../lib/methods/medst.ts';
import { saveParameters } from '../../lib/weights/checkpoint.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

test('fine-tuning lowers the training loss, scores the held-out split and leaves the checkpoint as it was', async (t) => {
  await nativeBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-finetune-'));
  await generateCohort(resolveSynthConfig({ out: path.join(dir, 'cohort'), patients: 20, size: 128, seed: 31, workers: 0 }));
  const prepared = await prepareDataset({ mimicRoot: path.join(dir, 'cohort'), outDir: path.join(dir, 'prepared'), size: 40 });
  const tokenizer = await createTokenizer({ kind: 'corpus', corpus: prepared.records.map((r) => r.report.text), build: { vocabSize: 300 } });
  const small = { vision: { imageSize: 32, patchSize: 8, width: 32, depth: 1, heads: 2 }, text: { width: 32, layers: 1, heads: 2, intermediateSize: 64, maxPositions: 64 }, head: { hiddenWidth: 48, outputWidth: 16, bnEps: 1e-5, bnMomentum: 0.1 } };
  const method = new MedST(medstConfig('tiny', { ...small, seed: 3, vocabSize: tokenizer.vocabSize }));
  const modelDir = path.join(dir, 'final');
  await saveParameters(method.params, modelDir, method.describe());
  tokenizer.saveVocab(path.join(modelDir, 'vocab.txt'));
  method.dispose();
  const weightsBefore = fs.readFileSync(path.join(modelDir, 'model.safetensors'));
  const data = { cohortDir: path.join(dir, 'cohort'), preparedDir: path.join(dir, 'prepared'), imageSize: 40, records: prepared.records };
  // Warm-up (fills constant caches), then count.
  await fineTuneProbe(modelDir, data, { epochs: 1, maxTokens: 32, fraction: 0.1 });
  const before = tf.memory().numTensors;
  const result = await fineTuneProbe(modelDir, data, { epochs: 4, learningRate: 1e-3, maxTokens: 32 });
  t.is(tf.memory().numTensors, before, 'no tensors leak');
  t.is(result.losses.length, 4);
  t.true(result.losses[3]! < result.losses[0]!, `loss falls: ${result.losses.map((l) => l.toFixed(3)).join(' → ')}`);
  t.true(result.auroc >= 0 && result.auroc <= 1, `AUROC ${result.auroc}`);
  t.is(result.trainImages, prepared.records.filter((r) => r.split === 'train').length);
  t.deepEqual(fs.readFileSync(path.join(modelDir, 'model.safetensors')), weightsBefore, 'the checkpoint is not modified');
});
