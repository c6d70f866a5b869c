// Lab: one pre-training run that also keeps exponential moving averages of the trainable
// weights (several decays at once, started at the end of the first epoch), then evaluates
// the final weights and each average with the same probe and temporal split. A prototype:
// the averages live in this script, not in the trainer.
// usage: tsx scripts/lab/ema_eval.ts PREPARED COHORT SIZE OUT 'JSON overrides of PretrainRunConfig' [DECAYS=0.99,0.995,0.998]
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../lib/backend.ts';
import type { TrainableMethod } from '../../lib/methods/method.ts';
import { finalModelDir, runPretraining } from '../../lib/train/run.ts';
import { saveParameters } from '../../lib/weights/checkpoint.ts';
import { evaluateSavedEncoder, labRunConfig, type LabOverrides } from './lab_run.ts';

await initBackend({ log: () => {} });
const [prepared, cohort, size, out, json, decayList] = process.argv.slice(2);
const decays = (decayList ?? '0.99,0.995,0.998').split(',').map(Number);
const config = labRunConfig(prepared!, Number(size), out!, JSON.parse(json!) as LabOverrides);
let trained: TrainableMethod | null = null;
const shadows = new Map<number, Map<string, tf.Variable>>();
const update = () => {
  if (!trained) return;
  for (const [decay, shadow] of shadows) {
    tf.tidy(() => {
      for (const [name, v] of trained!.params.named({ trainableOnly: true })) {
        const s = shadow.get(name)!;
        s.assign(tf.add(tf.mul(s, decay), tf.mul(v, 1 - decay)));
      }
    });
  }
};
const { method, result } = await runPretraining(config, {
  log: (l) => console.log(l),
  onStep: (r) => {
    update();
    if (r.step % 100 === 0) console.log(`step ${r.step} ${r.stageName} loss ${r.loss.toFixed(3)} ${r.pairsPerSecond.toFixed(1)} p/s`);
  },
  onEpochEnd: ({ method: m }) => {
    if (trained) return;
    trained = m;
    for (const d of decays) shadows.set(d, new Map(m.params.named({ trainableOnly: true }).map(([n, v]) => [n, tf.variable(v.clone(), false)])));
  },
});
const evaluate = async (dir: string) => (await evaluateSavedEncoder(dir, prepared!, Number(size), cohort!, config.trainer.maxTokens)).enc;
const rows: Record<string, unknown> = { final: await evaluate(finalModelDir(out!)) };
for (const [decay, shadow] of shadows) {
  for (const [name, v] of method.params.named({ trainableOnly: true })) v.assign(shadow.get(name)!);
  const dir = path.join(out!, `ema-${decay}`);
  await saveParameters(method.params, dir, method.describe());
  fs.copyFileSync(path.join(finalModelDir(out!), 'vocab.txt'), path.join(dir, 'vocab.txt'));
  rows[`ema ${decay}`] = await evaluate(dir);
}
const line = { out, steps: result.position.step, ema: rows, o: JSON.parse(json!) as unknown };
console.log('RESULT', JSON.stringify(line));
fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
