// Lab: one pre-training run + image-only evaluation (probe on encoder and projected features, temporal).
// usage: tsx scripts/lab/train_eval.ts PREPARED COHORT SIZE OUT 'JSON overrides of PretrainRunConfig'
import fs from 'node:fs';
import { initBackend } from '../../lib/backend.ts';
import { finalModelDir, runPretraining } from '../../lib/train/run.ts';
import { evaluateSavedEncoder, labRunConfig, type LabOverrides } from './lab_run.ts';
await initBackend({ log: () => {} });
const [prepared, cohort, size, out, json] = process.argv.slice(2);
const o = JSON.parse(json!) as LabOverrides;
const config = labRunConfig(prepared!, Number(size), out!, o);
const t0 = Date.now();
let lastLog = 0;
const { method, result } = await runPretraining(config, { log: (l) => console.log(l), onStep: (r) => {
  if (r.step - lastLog >= 20 || r.step === 0) { lastLog = r.step; console.log(`step ${r.step} ${r.stageName} lr ${r.learningRate.toExponential(2)} loss ${r.loss.toFixed(3)} ${JSON.stringify(Object.fromEntries(Object.entries(r.terms).map(([k, v]) => [k, +v.toFixed(3)])))} gn ${r.gradNorm.toFixed(2)} ${r.pairsPerSecond.toFixed(1)} p/s rows ${r.rows}`); }
} });
method.dispose();
const trainS = (Date.now() - t0) / 1000;
const { enc, proj } = await evaluateSavedEncoder(finalModelDir(out!), prepared!, Number(size), cohort!, config.trainer.maxTokens);
const line = { out, trainS, steps: result.position.step, enc, proj, o };
console.log('RESULT', JSON.stringify(line));
fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
