// Lab: pneumothorax segmentation on frozen patch features — the decoder trained on every
// training image against MGCA's balanced set (every positive + as many negatives), at a few
// step counts. Dice over all test images and over the positive ones, with the training time.
// usage: tsx scripts/lab/segmentation.ts PREPARED COHORT SIZE (RUN_FINAL | 'JSON {method, model}')
import { initBackend } from '../../lib/backend.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { balancedSegmentationRows, evaluateSegmentation, maskPresence, selectGrids, selectMasks } from '../../lib/eval/segmentation.ts';
import { patchGrid, pneumothoraxTask } from '../../lib/eval/suite.ts';
import { frozenModelFrom } from './model_source.ts';
import fs from 'node:fs';

await initBackend({ log: () => {} });
const [prepared, cohort, size, source] = process.argv.slice(2) as [string, string, string, string];
const { records } = readManifest(prepared);
const model = await frozenModelFrom(source, records);
const store = imageStoreDir(prepared, Number(size));
const task = pneumothoraxTask({ cohortDir: cohort, preparedDir: prepared, imageSize: Number(size), records }, model.crop);
if (!task) throw new Error(`${cohort}: no pneumothorax task`);
const trainAll = { features: await patchGrid(model, store, task.train), masks: task.trainMasks };
const testSet = { features: await patchGrid(model, store, task.test), masks: task.testMasks };
const positive = maskPresence(task.testMasks);
const trainPositive = maskPresence(task.trainMasks);
const balanced = (ratio: number) => {
  const rows = balancedSegmentationRows(trainPositive, 0, ratio);
  return { features: selectGrids(trainAll.features, rows), masks: selectMasks(task.trainMasks, rows) };
};
const ratios = (process.env.RATIOS ?? '1,2,4').split(',').map(Number);
const steps = Number(process.env.STEPS ?? 300);
console.log(`train ${task.train.length} (${trainPositive.filter(Boolean).length} positive), test ${task.test.length} (${positive.filter(Boolean).length} positive)`);
for (const [name, train] of [['all', trainAll] as const, ...ratios.map((k) => [`1:${k}`, balanced(k)] as const)]) {
  const t0 = performance.now();
  const r = evaluateSegmentation(train, testSet, { steps });
  const seconds = (performance.now() - t0) / 1000;
  const pos = r.dice.filter((_, i) => positive[i]);
  const neg = r.dice.filter((_, i) => !positive[i]);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const out = { script: 'segmentation', source: source.slice(0, 80), train: name, steps, dice_all: +mean(r.dice).toFixed(4), dice_pos: +mean(pos).toFixed(4), dice_neg: +mean(neg).toFixed(4), n_pos: pos.length, n: r.dice.length, final_loss: +r.losses.at(-1)!.toFixed(4), seconds: +seconds.toFixed(1) };
  console.log('RESULT', JSON.stringify(out));
  fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(out) + '\n');
}
model.method.dispose();
