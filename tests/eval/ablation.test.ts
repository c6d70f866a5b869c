/** The comparison's variants: equal epoch budgets, valid schedules, and staged peaks that halve (lab notebook §11). */
import test from 'ava';
import { ABLATION_VARIANTS } from '../../lib/eval/ablation.ts';
import { validateSchedule } from '../../lib/train/schedule.ts';
import { MEDST_SCHEDULE_RULES } from '../../lib/methods/medst.ts';

test('every pre-trained variant trains 3 × epochsPerSlot epochs on a valid schedule', (t) => {
  for (const variant of ABLATION_VARIANTS.filter((v) => v.pretrain)) {
    const stages = variant.stages(4, 1e-3);
    t.notThrows(() => validateSchedule(stages, MEDST_SCHEDULE_RULES), variant.name);
    t.is(stages.reduce((n, s) => n + s.epochs, 0), 12, variant.name);
  }
});

test('a staged variant restarts each later stage at half the previous peak; single stages use the full peak', (t) => {
  for (const variant of ABLATION_VARIANTS.filter((v) => v.pretrain)) {
    const peaks = variant.stages(1, 1e-3).map((s) => s.learningRate);
    t.is(peaks[0], 1e-3, variant.name);
    peaks.slice(1).forEach((peak, i) => t.is(peak, peaks[i]! / 2, `${variant.name} stage ${i + 2}`));
  }
  t.deepEqual(ABLATION_VARIANTS.find((v) => v.name === 'medst')!.stages(1, 1e-3).map((s) => s.learningRate), [1e-3, 5e-4, 2.5e-4]);
});
