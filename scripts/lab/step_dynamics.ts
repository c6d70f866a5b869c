// Lab: the `medst-step` bench batch (32 rows of random images and tokens) trained on for
// 11 steps by the trainer's own step, from the `cpu` preset at a given init seed: the
// per-group gradient norms at init, then loss (global/local/fmc/rmr) and gradient norm per
// step. Also writes the bench's PyTorch spec so `step_dynamics_torch.py` runs the same
// batch shape and settings (lab notebook §33).
// usage: tsx scripts/lab/step_dynamics.ts SEED SPEC_OUT.json   (run on an idle machine)
import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import { benchSetup, syntheticBatch, torchSpec } from '../../bench/medst_step.ts';
import { initBackend } from '../../lib/backend.ts';
import { toTensors } from '../../lib/data/batches.ts';
import { MedST } from '../../lib/methods/medst.ts';
import { AdamW } from '../../lib/train/optim.ts';
import type { StageConfig } from '../../lib/train/schedule.ts';
import { trainingStep } from '../../lib/train/trainer.ts';
import { Rng } from '../../lib/util/rng.ts';

await initBackend({ log: () => {} });
const seed = Number(process.argv[2] ?? 0);
const specOut = process.argv[3];
const STEPS = 11;
const { config, shape } = benchSetup('cpu');
const method = new MedST({ ...config, seed });
const batch = syntheticBatch(shape, 1234);
const stage: StageConfig = { name: 'bench', epochs: 1, losses: { global: 1, local: 1, fmc: 1, rmr: 1 }, chunkLength: shape.chunkLength, learningRate: shape.learningRate, warmupFraction: 0 };

// Gradient norm per parameter group at init (group: the name's first two parts; the stem's first three).
const trainable = method.params.named({ trainableOnly: true });
const nameOf = new Map(trainable.map(([name, v]) => [v.name, name]));
const tensors = toTensors(batch);
const { value, grads } = tf.variableGrads(() => tf.addN(Object.values(method.lossTerms({ batch, tensors, stage, step: 0, random: new Rng(0) })).filter((t): t is tf.Scalar => t !== undefined)) as tf.Scalar, trainable.map(([, v]) => v));
const squares = new Map<string, number>();
for (const [tfName, grad] of Object.entries(grads)) {
  const name = nameOf.get(tfName)!;
  const parts = name.split('.');
  const group = parts.slice(0, name.startsWith('image.patch_embed') ? 3 : 2).join('.');
  squares.set(group, (squares.get(group) ?? 0) + tf.tidy(() => tf.sum(tf.square(grad)).dataSync()[0]!));
}
const initLoss = value.dataSync()[0]!;
tf.dispose([value, ...Object.values(grads), ...Object.values(tensors)]);
const gradNorms = Object.fromEntries([...squares].map(([group, s]) => [group, Number(Math.sqrt(s).toPrecision(4))]));

const optimizer = new AdamW({});
const steps = [];
for (let i = 0; i < STEPS; i++) {
  const r = trainingStep(method, optimizer, batch, stage, { step: i, stage: 0, epoch: 0, batch: 0, learningRate: shape.learningRate, gradClipNorm: 1 });
  steps.push({ loss: Number(r.loss.toFixed(3)), terms: Object.fromEntries(Object.entries(r.terms).map(([k, v]) => [k, Number(v.toFixed(3))])), gradNorm: Number(r.gradNorm.toFixed(2)) });
}
if (specOut) writeFileSync(specOut, JSON.stringify(torchSpec('cpu', method, batch, stage, STEPS, 2)));
optimizer.dispose();
method.dispose();
console.log(`RESULT ${JSON.stringify({ side: 'medst', seed, initLoss, gradNorms, steps })}`);
