// Lab: can the trainer fit labels with a linear model on 16×16 pixels? (pipeline sanity vs the ViT)
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../lib/backend.ts';
import { CHEXPERT_COMPETITION_LABELS, CHEXPERT_LABELS } from '../../lib/data/labels.ts';
import { readManifest, recordsOfSplit } from '../../lib/data/manifest.ts';
import { createTokenizer } from '../../lib/data/tokenizer/index.ts';
import { competitionTargets } from '../../lib/eval/image_evaluation.ts';
import { imageFeatureMatrix } from '../../lib/eval/image_features.ts';
import { rocAucMultiLabel } from '../../lib/eval/metrics.ts';
import { supervisedTargets } from '../../lib/methods/supervised.ts';
import type { LossTerms, StepInput, TrainableMethod } from '../../lib/methods/method.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { train } from '../../lib/train/trainer.ts';
await initBackend({ log: null });
const [lrArg, epochsArg] = process.argv.slice(2);
class LinearPixels implements TrainableMethod {
  readonly batchContents = { lateral: false, sentences: 0 };
  readonly lossNames = ['supervised'] as const;
  readonly name = 'linear';
  readonly inputSize = 64;
  readonly params = new ParameterSet(1);
  readonly w = this.params.create('w', [256, 14], { kind: 'zeros' });
  readonly b = this.params.create('b', [14], { kind: 'zeros' });
  imageFeatures(f: tf.Tensor4D): tf.Tensor2D { return tf.reshape(tf.avgPool(f, 4, 4, 'valid'), [f.shape[0], 256]) as tf.Tensor2D; }
  logits(f: tf.Tensor4D): tf.Tensor2D { return tf.add(tf.matMul(this.imageFeatures(f), this.w), this.b) as tf.Tensor2D; }
  lossTerms({ batch, tensors }: StepInput): LossTerms {
    const z = this.logits(tensors.frontal);
    const y = tf.tensor2d(supervisedTargets(batch.records), [batch.rows, 14]);
    return { supervised: tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as tf.Scalar };
  }
  describe() { return { method: this.name }; }
  dispose() { this.params.dispose(); }
}
const { records } = readManifest('/tmp/exp/p77');
const m = new LinearPixels();
const tok = await createTokenizer({ kind: 'corpus', corpus: records.slice(0, 50).map((r) => r.report.text), build: { vocabSize: 200 } });
await train(m, { storeDir: '/tmp/exp/p77/images-72', records: recordsOfSplit(records, 'train'), tokenizer: tok }, { stages: [{ name: 's', epochs: Number(epochsArg ?? 6), losses: { supervised: 1 }, chunkLength: 1, learningRate: Number(lrArg ?? 1e-2), warmupFraction: 0.1 }], rowsPerBatch: 32, crop: 64, maxTokens: 8, seed: 1, gradClipNorm: 1, checkpointEvery: 100000 }, '/tmp/exp/lin_' + Date.now(), { log: () => {}, onStep: (r) => { if (r.step % 80 === 0) console.log(r.step, r.loss.toFixed(4)); } });
const logits = imageFeatureMatrix((f) => m.logits(f), '/tmp/exp/p77/images-72', records, 64);
const test = records.map((r, i) => [r, i] as const).filter(([r]) => r.split !== 'train');
const cols = CHEXPERT_COMPETITION_LABELS.map((l) => CHEXPERT_LABELS.indexOf(l));
console.log('linear-pixels head AUROC', rocAucMultiLabel(test.flatMap(([r]) => competitionTargets(r)), test.flatMap(([, i]) => cols.map((c) => logits.data[i * 14 + c]!)), 5).macro.toFixed(4));
