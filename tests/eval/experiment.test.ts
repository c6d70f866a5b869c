/**
 * Experiments as data: the shipped Med-ST ablation (equal epoch budgets, valid
 * schedules for its method, staged peaks that halve: lab notebook §11), and the
 * checks that name a bad file's row and field.
 */
import test from 'ava';
import { methodNames, methodRules } from '../../lib/methods/registry.ts';
import { combineExperiments, experimentFile, medstAblation, methodAblations, methodComparison, parseExperiment, readExperiment, variantStages } from '../../lib/eval/experiment.ts';
import { createMethod } from '../../lib/methods/registry.ts';
import { nativeBackend } from '../helpers/tf.ts';
import { MEDST_SCHEDULE_RULES } from '../../lib/methods/medst.ts';
import { validateSchedule } from '../../lib/train/schedule.ts';
import { isCurveEpoch } from '../../lib/eval/comparison.ts';
import { REGIMES } from '../../lib/train/regime.ts';

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

test('the method comparison: Med-ST, PRIOR, IMITATE and MPMA rows, each with its random init, and the later methods\' ablations, on the same 3-slot budget', (t) => {
  const methods = methodComparison();
  t.deepEqual(methods.variants.map((v) => `${v.name}:${v.method}`), ['random:medst', 'global:medst', 'medst:medst', 'prior_random:prior', 'prior:prior', 'imitate_random:imitate', 'imitate:imitate', 'mpma_random:mpma', 'mpma:mpma']);
  const ablations = methodAblations();
  t.deepEqual(ablations.variants.map((v) => `${v.name}:${v.method}`), ['imitate_impression:imitate', 'mpma_no_gla:mpma', 'mpma_no_mlm:mpma', 'mpma_no_memory:mpma']);
  const rows = [...methods.variants, ...ablations.variants];
  const prior = methods.variants.find((v) => v.name === 'prior')!;
  const stages = variantStages(prior, 4, 1e-3);
  t.is(stages.reduce((n, s) => n + s.epochs, 0), 12);
  t.deepEqual(stages.map((s) => s.learningRate), [1e-3, 1e-3, 5e-4], "PRIOR's last stage at half the peak, as the paper's 5e-6 after 1e-5");
  t.is(stages[2]!.losses['global'], 10, 'the global term weighted 10 in stage 3');
  t.notThrows(() => validateSchedule(stages, methodRules('prior')));
  for (const name of ['imitate', 'imitate_impression']) {
    const imitate = variantStages(rows.find((v) => v.name === name)!, 4, 1e-3);
    t.deepEqual(imitate.map((s) => [s.epochs, s.learningRate]), [[12, 1e-3]], `${name}: one stage over the three slots`);
    t.notThrows(() => validateSchedule(imitate, methodRules('imitate')));
  }
  t.deepEqual(Object.keys(variantStages(rows.find((v) => v.name === 'imitate_impression')!, 4, 1e-3)[0]!.losses).sort(), ['impression', 'impression_views'], 'the ablation drops both findings terms');
  for (const name of ['mpma', 'mpma_no_gla', 'mpma_no_mlm', 'mpma_no_memory']) {
    const mpma = variantStages(rows.find((v) => v.name === name)!, 4, 1e-3);
    t.deepEqual(mpma.map((s) => [s.epochs, s.learningRate]), [[12, 1e-3]], `${name}: one stage over the three slots`);
    t.notThrows(() => validateSchedule(mpma, methodRules('mpma')));
  }
  t.deepEqual(Object.keys(variantStages(rows.find((v) => v.name === 'mpma_no_gla')!, 4, 1e-3)[0]!.losses).sort(), ['mim', 'mlm'], 'without GLA: reconstruction only');
  t.deepEqual(Object.keys(variantStages(rows.find((v) => v.name === 'mpma_no_mlm')!, 4, 1e-3)[0]!.losses).sort(), ['global', 'local', 'mim'], 'without MLM: GLA and image reconstruction');
  t.deepEqual(rows.find((v) => v.name === 'mpma_no_memory')!.overrides, { fusion: { memorySlots: 0 } });
});

test('experiments combine into one list of rows: shared rows run once, a conflicting definition is refused', (t) => {
  const combined = combineExperiments([experiment, methodComparison(), methodAblations()], ['a.json', 'b.json', 'c.json']);
  t.deepEqual(combined.variants.map((v) => v.name), ['random', 'global', 'global_local', 'move', 'fmc', 'medst', 'prior_random', 'prior', 'imitate_random', 'imitate', 'mpma_random', 'mpma', 'imitate_impression', 'mpma_no_gla', 'mpma_no_mlm', 'mpma_no_memory']);
  t.is(combined.name, 'medst-ablation+methods+method-ablations');
  const changed = { ...methodComparison(), variants: methodComparison().variants.map((v) => (v.name === 'medst' ? { ...v, label: 'other' } : v)) };
  t.throws(() => combineExperiments([experiment, changed], ['a.json', 'b.json']), { message: 'b.json: variant "medst" differs from the row of the same name in a.json; rename one of them' });
});

test('an experiment row is checked against its method when the file is read', (t) => {
  const row = { name: 'p', label: 'P', method: 'prior', pretrain: true, stages: [{ name: 's', slots: 1, losses: { global: 1, report_recon: 1 }, chunkLength: 1, peak: 1 }] };
  t.throws(() => parseExperiment({ name: 'x', variants: [row] }, 'x.json'), { message: /^x\.json: variant "p"\.stages: stage 1 \("s"\): the report reconstruction terms match sentence prototypes/ });
  t.throws(() => parseExperiment({ name: 'x', variants: [{ ...row, method: 'nope' }] }, 'x.json'), { message: /^x\.json: variant "p"\.method: unknown method "nope" \(known: medst, prior/ });
  t.throws(() => parseExperiment({ name: 'x', variants: [{ ...row, stages: [{ ...row.stages[0], losses: { fmc: 1 } }] }] }, 'x.json'), { message: /unknown loss "fmc" \(this method computes: global, local_image/ });
});

test('learning-curve points: every N epochs and after the last, for the regimes shipped', (t) => {
  const epochs = (every: number, last: number) => Array.from({ length: last }, (_, i) => i + 1).filter((e) => isCurveEpoch(e, every, last));
  t.deepEqual(epochs(2, 12), [2, 4, 6, 8, 10, 12]);
  t.deepEqual(epochs(5, 12), [5, 10, 12], 'the last epoch even when it is not a multiple');
  t.deepEqual(epochs(1, 3), [1, 2, 3]);
  // The cpu and demo regimes' points fall on the Med-ST curriculum's stage ends (every slot's last epoch).
  for (const name of ['cpu', 'demo'] as const) {
    const { epochsPerSlot, curveEveryEpochs } = REGIMES[name];
    t.is(epochsPerSlot % curveEveryEpochs, 0, name);
    const last = 3 * epochsPerSlot;
    t.true([epochsPerSlot, 2 * epochsPerSlot, last].every((end) => isCurveEpoch(end, curveEveryEpochs, last)), `${name}: a point at every stage end`);
  }
  t.deepEqual(epochs(REGIMES.demo.curveEveryEpochs, 3 * REGIMES.demo.epochsPerSlot), [4, 8, 12], 'the demo: stage ends only');
});

test("the Med-ST option lab rows: the reconstruction row is Med-ST's curriculum with mim in every stage, which the Med-ST its overrides build accepts and the plain preset refuses", async (t) => {
  await nativeBackend();
  const file = readExperiment(experimentFile('medst-options'));
  const row = file.variants.find((v) => v.name === 'medst_mim')!;
  const stages = variantStages(row, 4, 1e-3);
  const plain = variantStages(medstAblation().variants.find((v) => v.name === 'medst')!, 4, 1e-3);
  t.deepEqual(stages.map((s) => ({ ...s, losses: { ...s.losses, mim: undefined } })), plain.map((s) => ({ ...s, losses: { ...s.losses, mim: undefined } })), 'the same curriculum as Med-ST apart from the term');
  t.true(stages.every((s) => s.losses['mim'] === 1));
  const withTerm = createMethod('medst', { preset: 'cpu', overrides: { ...REGIMES.cpu.models.medst.overrides, ...row.overrides }, vocabSize: 50 });
  const without = createMethod('medst', { preset: 'cpu', overrides: { useLateral: true }, vocabSize: 50 });
  t.notThrows(() => validateSchedule(stages, { lossNames: withTerm.lossNames, checkStage: withTerm.checkStage!.bind(withTerm) }));
  t.throws(() => validateSchedule(stages, { lossNames: without.lossNames, checkStage: without.checkStage!.bind(without) }), { message: /mim term needs config.reconstruction/ });
  withTerm.dispose();
  without.dispose();
  t.deepEqual(combineExperiments([medstAblation(), file], ['a.json', 'b.json']).variants.map((v) => v.name).slice(-8), ['medst', 'medst_mim', 'medst_xsp', 'medst_long_align', 'medst_single_align', 'medst_lateral_dropout', 'medst_pairs', 'move_single']);
  const xsp = file.variants.find((v) => v.name === 'medst_xsp')!;
  t.deepEqual(variantStages(xsp, 4, 1e-3), plain, "medst_xsp: Med-ST's own curriculum");
  t.deepEqual(xsp.overrides, { useLateral: true, excludeSamePatientNegatives: true });
  const longAlign = variantStages(file.variants.find((v) => v.name === 'medst_long_align')!, 4, 1e-3);
  t.deepEqual(longAlign.map((s) => s.epochs), [8, 2, 2], 'medst_long_align: two slots of alignment, half a slot per temporal stage');
  t.deepEqual(longAlign.map((s) => ({ ...s, epochs: 0 })), plain.map((s) => ({ ...s, epochs: 0 })), "medst_long_align: otherwise Med-ST's own curriculum");
  const singleAlign = variantStages(file.variants.find((v) => v.name === 'medst_single_align')!, 4, 1e-3);
  t.deepEqual(singleAlign.map((s) => s.chunkLength), [1, 3, 4], 'medst_single_align: the alignment stage on single studies');
  t.deepEqual(singleAlign.map((s) => ({ ...s, chunkLength: 0 })), plain.map((s) => ({ ...s, chunkLength: 0 })), "medst_single_align: otherwise Med-ST's own curriculum");
  const dropout = file.variants.find((v) => v.name === 'medst_lateral_dropout')!;
  t.deepEqual(variantStages(dropout, 4, 1e-3), plain, "medst_lateral_dropout: Med-ST's own curriculum");
  t.deepEqual(dropout.overrides, { useLateral: true, lateralDropout: 0.5 });
  const dropping = createMethod('medst', { preset: 'cpu', overrides: { ...REGIMES.cpu.models.medst.overrides, ...dropout.overrides }, vocabSize: 50 });
  t.is((dropping as unknown as { config: { lateralDropout: number } }).config.lateralDropout, 0.5, 'the override reaches the model');
  dropping.dispose();
  const pairs = file.variants.find((v) => v.name === 'medst_pairs')!;
  const pairStages = variantStages(pairs, 4, 1e-3);
  t.deepEqual(pairStages.map((s) => s.chunkLength), [2, 2, 2], 'medst_pairs: every stage on chunks of two studies');
  t.deepEqual(pairStages.map((s) => ({ ...s, chunkLength: 0 })), plain.map((s) => ({ ...s, chunkLength: 0 })), "medst_pairs: otherwise Med-ST's own curriculum");
  t.deepEqual(pairs.overrides, { useLateral: true });
  const moveRow = medstAblation().variants.find((v) => v.name === 'move')!;
  const moveSingle = file.variants.find((v) => v.name === 'move_single')!;
  t.deepEqual(variantStages(moveSingle, 4, 1e-3).map((s) => s.chunkLength), [1], 'move_single: one stage on single studies');
  t.deepEqual(variantStages(moveSingle, 4, 1e-3).map((s) => ({ ...s, chunkLength: 0 })), variantStages(moveRow, 4, 1e-3).map((s) => ({ ...s, chunkLength: 0 })), "move_single: otherwise the ablation's + MoVE row");
  t.deepEqual(moveSingle.overrides, moveRow.overrides);
});

test('fractional slots round to whole epochs, at least one per stage', (t) => {
  const row = parseExperiment({ name: 'x', variants: [{ name: 'a', label: 'A', method: 'medst', pretrain: true, stages: [
    { name: 'align', slots: 2.5, losses: { global: 1 }, chunkLength: 2, peak: 1 },
    { name: 'align+fmc', slots: 0.5, losses: { global: 1, fmc: 1 }, chunkLength: 3, peak: 0.5 },
  ] }] }, 'x.json').variants[0]!;
  t.deepEqual(variantStages(row, 4, 1e-3).map((s) => s.epochs), [10, 2]);
  t.deepEqual(variantStages(row, 1, 1e-3).map((s) => s.epochs), [3, 1], 'a half slot of a one-epoch slot is still one epoch');
  t.deepEqual(variantStages(row, 3, 1e-3).map((s) => s.epochs), [8, 2], '7.5 and 1.5 round half up');
});
