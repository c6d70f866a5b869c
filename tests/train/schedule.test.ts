import test from 'ava';
import { MEDST_LOSS_NAMES, MEDST_SCHEDULE_RULES } from '../../lib/methods/medst.ts';
import { DEFAULT_CURRICULUM, activeLosses, describeSchedule, learningRateAt, validateSchedule, type StageConfig } from '../../lib/train/schedule.ts';

const stage: StageConfig = { name: 's', epochs: 1, losses: { global: 1 }, chunkLength: 2, learningRate: 1e-3, warmupFraction: 0.4, minLearningRate: 1e-5 };

test('the default curriculum goes from alignment to +FMC to +RMR with growing chunks', (t) => {
  validateSchedule(DEFAULT_CURRICULUM, MEDST_SCHEDULE_RULES);
  t.deepEqual(DEFAULT_CURRICULUM.map((s) => activeLosses(s, MEDST_LOSS_NAMES)), [['global', 'local'], ['global', 'local', 'fmc'], ['global', 'local', 'fmc', 'rmr']]);
  t.deepEqual(DEFAULT_CURRICULUM.map((s) => s.chunkLength), [2, 3, 4]);
  // Typed data that survives JSON (it is stored in checkpoints).
  t.deepEqual(JSON.parse(JSON.stringify(DEFAULT_CURRICULUM)), DEFAULT_CURRICULUM);
  t.regex(describeSchedule(DEFAULT_CURRICULUM), /3\s+align\+fmc\+rmr\s+4\s+4\s+4\.0e-5\s+20%\s+global×1 \+ local×1 \+ fmc×1 \+ rmr×1/);
});

test('learning rate: linear warm-up to the peak, cosine down to the floor', (t) => {
  const total = 10; // warm-up = 4 steps
  const lrs = Array.from({ length: total }, (_, s) => learningRateAt(stage, s, total));
  t.deepEqual(lrs.slice(0, 4).map((x) => x / 1e-3), [0.25, 0.5, 0.75, 1]);
  t.is(lrs[4], 1e-3, 'decay starts at the peak');
  const mid = learningRateAt(stage, 7, total); // progress 0.5
  t.true(Math.abs(mid - (1e-5 + 0.5 * (1e-3 - 1e-5))) < 1e-12);
  t.true(Math.abs(learningRateAt(stage, 10, total) - 1e-5) < 1e-15);
  for (let s = 5; s < total; s++) t.true(lrs[s]! < lrs[s - 1]!);
});

test('bad schedules are rejected naming the stage and field', (t) => {
  t.throws(() => validateSchedule([], MEDST_SCHEDULE_RULES), { message: /at least one stage/ });
  t.throws(() => validateSchedule([{ ...stage, epochs: 0 }], MEDST_SCHEDULE_RULES), { message: /stage 1 \("s"\): epochs/ });
  t.throws(() => validateSchedule([stage, { ...stage, name: 'b', losses: { fmc: 1 }, chunkLength: 1 }], MEDST_SCHEDULE_RULES), { message: /stage 2 \("b"\): temporal losses need chunkLength ≥ 2/ });
  t.throws(() => validateSchedule([{ ...stage, losses: { glob: 1 } as never }], MEDST_SCHEDULE_RULES), { message: /unknown loss "glob" \(this method computes: global, local, fmc, rmr, mim, mlm\)/ });
  t.throws(() => validateSchedule([{ ...stage, losses: { global: 0 } }], MEDST_SCHEDULE_RULES), { message: /no active loss/ });
  t.throws(() => validateSchedule([{ ...stage, warmupFraction: 1 }], MEDST_SCHEDULE_RULES), { message: /warmupFraction/ });
});
