/**
 * Experiments as data: the shipped Med-ST ablation (equal epoch budgets, valid
 * schedules for its method, staged peaks that halve: lab notebook §11), and the
 * checks that name a bad file's row and field.
 */
import test from 'ava';
import { methodNames } from '../../lib/methods/registry.ts';
import { medstAblation, parseExperiment, variantStages } from '../../lib/eval/experiment.ts';
import { MEDST_SCHEDULE_RULES } from '../../lib/methods/medst.ts';
import { validateSchedule } from '../../lib/train/schedule.ts';

const experiment = medstAblation();

test('the Med-ST ablation: a random-init row, then five pre-trained rows of a registered method', (t) => {
  t.deepEqual(experiment.variants.map((v) => v.name), ['random', 'global', 'global_local', 'move', 'fmc', 'medst']);
  t.deepEqual(experiment.variants.map((v) => v.pretrain), [false, true, true, true, true, true]);
  for (const variant of experiment.variants) t.true(methodNames().includes(variant.method), variant.name);
  t.deepEqual(experiment.variants.map((v) => v.overrides['useLateral']), [false, false, false, true, true, true]);
});

test('every pre-trained row trains 3 × epochsPerSlot epochs on a schedule its method accepts', (t) => {
  for (const variant of experiment.variants.filter((v) => v.pretrain)) {
    const stages = variantStages(variant, 4, 1e-3);
    t.notThrows(() => validateSchedule(stages, MEDST_SCHEDULE_RULES), variant.name);
    t.is(stages.reduce((n, s) => n + s.epochs, 0), 12, variant.name);
  }
});

test('a staged row restarts each later stage at half the previous peak; single stages use the full peak', (t) => {
  for (const variant of experiment.variants.filter((v) => v.pretrain)) {
    const peaks = variantStages(variant, 1, 1e-3).map((s) => s.learningRate);
    t.is(peaks[0], 1e-3, variant.name);
    peaks.slice(1).forEach((peak, i) => t.is(peak, peaks[i]! / 2, `${variant.name} stage ${i + 2}`));
  }
  t.deepEqual(variantStages(experiment.variants.find((v) => v.name === 'medst')!, 1, 1e-3).map((s) => s.learningRate), [1e-3, 5e-4, 2.5e-4]);
});

test('a bad experiment file is refused, naming the file, row and field', (t) => {
  const row = { name: 'a', label: 'A', method: 'medst', pretrain: true, stages: [{ name: 's', slots: 1, losses: { global: 1 }, chunkLength: 2, peak: 1 }] };
  t.throws(() => parseExperiment({ name: 'x', variants: [] }, 'x.json'), { message: 'x.json: variants: expected a non-empty list' });
  t.throws(() => parseExperiment({ name: 'x', variants: [row, row] }, 'x.json'), { message: 'x.json: variant "a": the name is used twice' });
  t.throws(() => parseExperiment({ name: 'x', variants: [{ ...row, stages: [{ ...row.stages[0], slots: 0 }] }] }, 'x.json'), { message: 'x.json: variant "a".stages[0].slots: expected a positive number, got 0' });
  t.throws(() => parseExperiment({ name: 'x', variants: [{ ...row, stages: [] }] }, 'x.json'), { message: /a pre-trained row needs at least one stage/ });
});
