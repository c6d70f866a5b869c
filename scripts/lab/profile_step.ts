// Lab: where one training step of the `cpu` regime spends its time, per kernel (tf.profile).
// usage: node --import=tsx scripts/lab/profile_step.ts [steps] [imitate | medst] ['JSON vision overrides (medst)']
//        (run on an idle machine)
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../lib/backend.ts';
import { Imitate, imitateConfig } from '../../lib/methods/imitate.ts';
import { MedST, medstConfig } from '../../lib/methods/medst.ts';
import type { PretrainingMethod } from '../../lib/methods/method.ts';
import type { HostBatch } from '../../lib/data/batches.ts';
import type { StageConfig } from '../../lib/train/schedule.ts';
import { REGIMES } from '../../lib/train/regime.ts';
import { AdamW } from '../../lib/train/optim.ts';
import { trainingStep } from '../../lib/train/trainer.ts';
import { imitateBatch } from '../../bench/imitate_step.ts';
import { benchSetup, syntheticBatch } from '../../bench/medst_step.ts';

await initBackend({ log: () => {} });
const steps = Number(process.argv[2] ?? 3);
const which = process.argv[3] ?? 'imitate';
const regime = REGIMES.cpu;
let method: PretrainingMethod;
let batch: HostBatch;
let stage: StageConfig;
if (which === 'medst') {
  const { config, shape } = benchSetup('cpu');
  method = new MedST(medstConfig('cpu', { ...config, vision: { ...config.vision, ...JSON.parse(process.argv[4] ?? '{}') }, vocabSize: regime.vocabSize }));
  batch = syntheticBatch(shape, 1);
  stage = { name: 'all four', epochs: 1, losses: { global: 1, local: 1, fmc: 1, rmr: 1 }, chunkLength: shape.chunkLength, learningRate: 1e-3, warmupFraction: 0 };
} else {
  const imitate = new Imitate(imitateConfig(regime.models.imitate.preset, { ...regime.models.imitate.overrides, vocabSize: regime.vocabSize }));
  method = imitate;
  batch = imitateBatch(imitate);
  stage = { name: 'cicl', epochs: 1, losses: { impression: 1, findings: 1, impression_views: 1, findings_views: 1 }, chunkLength: 1, learningRate: 1e-3, warmupFraction: 0 };
}
const optimizer = new AdamW({ weightDecay: 0.05 });
const step = (i: number) => trainingStep(method, optimizer, batch, stage, { step: i, stage: 0, epoch: 0, batch: i, learningRate: 1e-3, gradClipNorm: 1 });
for (let i = 0; i < 3; i++) step(i);
const byKernel = new Map<string, { ms: number; calls: number }>();
let wall = 0;
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  const info = await tf.profile(() => {
    step(10 + i);
  });
  wall += performance.now() - t0;
  for (const k of info.kernels) {
    const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += Number(await k.kernelTimeMs);
    entry.calls += 1;
    byKernel.set(k.name, entry);
  }
}
const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
console.log(`${steps} profiled steps: ${(wall / steps).toFixed(0)} ms/step wall (profiling adds overhead), kernels ${(total / steps).toFixed(0)} ms/step`);
// Ops called straight through the backend (medst's fused kernels, FusedBatchNorm, BiasAdd…) are not tfjs kernels:
// their forward time shows under the wrapper that calls them (gelu, layerNorm, batchNorm, linear); backward and AdamW's not at all.
console.log('(fused / native ops run outside tfjs kernels: forward time under their wrappers, backward and the optimiser step not listed)');
for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
  console.log(`${name.padEnd(28)} ${(e.ms / steps).toFixed(1).padStart(8)} ms/step ${(100 * e.ms / total).toFixed(1).padStart(5)} %  ${(e.calls / steps).toFixed(0).padStart(5)} calls/step`);
}
method.dispose();
