/** The training progress display: notebook HTML, line mode, and composed hooks. */
import test from 'ava';
import { composeHooks, describeStep, progressHtml, trainingProgress } from '../../lib/train/progress.ts';
import type { StepRecord } from '../../lib/train/trainer.ts';

const record = (step: number): StepRecord =>
  ({ step, stage: 0, stageName: 'align', epoch: 0, batch: step, loss: 7.3141, terms: { global: 5.4, local: 0.021 }, learningRate: 1e-3, gradNorm: 1, pairsPerSecond: 83.21, rows: 32, skipped: null }) as unknown as StepRecord;

test('a step is described by its loss and every term', (t) => {
  t.is(describeStep(record(1)), 'loss 7.314 · global 5.400 local 0.021');
});

test('the notebook view: stage, steps done of total, a bar, terms, pairs/s, escaped log lines', (t) => {
  const html = progressHtml({ label: 'stage 2: align+fmc', total: 40, done: 10, started: Date.now() - 10_000, last: record(9) }, ['checkpoint <step-10>']);
  t.regex(html, /stage 2: align\+fmc · step 10\/40 · 0:30 left/);
  t.regex(html, /width:25\.0%/);
  t.regex(html, /loss 7\.314 · global 5\.400 local 0\.021 · 83\.2 pairs\/s/);
  t.regex(html, /checkpoint &lt;step-10&gt;/);
});

test('line mode prints the stage, every Nth step and log lines', (t) => {
  const printed: string[] = [];
  const original = console.log;
  console.log = (line: string) => printed.push(line);
  try {
    const progress = trainingProgress({ mode: 'lines', lineEvery: 2 });
    progress.onStageStart({ name: 'align', epochs: 1, losses: { global: 1 }, chunkLength: 2, learningRate: 1e-3, warmupFraction: 0.1 }, 0, 3);
    for (const step of [0, 1, 2]) progress.onStep(record(step));
    progress.log('saved');
    progress.stop();
  } finally {
    console.log = original;
  }
  t.deepEqual(printed.map((line) => line.split(' · ')[0]), ['stage 1: align (3 steps)', 'step 0 [align] loss 7.314', 'step 2 [align] loss 7.314', 'saved']);
});

test('composeHooks calls every set in order and keeps the signal', async (t) => {
  const calls: string[] = [];
  const controller = new AbortController();
  const hooks = composeHooks({ onStep: () => calls.push('a'), log: (l) => calls.push(`a:${l}`) }, { onStep: () => calls.push('b'), onEpochEnd: async () => { calls.push('epoch'); }, signal: controller.signal });
  hooks.onStep!(record(0));
  hooks.log!('x');
  await hooks.onEpochEnd!({ stage: 0, epoch: 0, step: 1, epochsDone: 1, method: null as never });
  t.deepEqual(calls, ['a', 'b', 'a:x', 'epoch']);
  t.is(hooks.signal, controller.signal);
});

test("'none' shows no progress but keeps the run's log lines (a quiet CLI still says where it resumed)", (t) => {
  const printed: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => printed.push(args.join(' '));
  try {
    const progress = trainingProgress({ mode: 'none' });
    progress.onStageStart({ name: 's', epochs: 1, losses: { global: 1 }, chunkLength: 1, learningRate: 1e-3, warmupFraction: 0 }, 0, 2);
    progress.onStep({ step: 0, stage: 0, stageName: 's', epoch: 0, batch: 0, learningRate: 1e-3, loss: 1, terms: { global: 1 }, gradNorm: 1, rows: 4, fullChunks: 0, ms: 10, pairsPerSecond: 400 });
    progress.log('resuming from run/checkpoints/step-00000004');
    progress.stop();
  } finally {
    console.log = original;
  }
  t.deepEqual(printed, ['resuming from run/checkpoints/step-00000004']);
});
