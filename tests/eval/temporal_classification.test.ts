import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { Rng } from '../../lib/util/rng.ts';
import { groupKFold, stratifiedKFold } from '../../lib/eval/folds.ts';
import { matrix } from '../../lib/eval/matrix.ts';
import { crossValidateTemporal, fixedSplitTemporal, pairFeatures, temporalLabelsFromPairs, type TemporalPairsInput } from '../../lib/eval/temporal_classification.ts';
import type { MsCxrTImagePair } from '../../lib/data/ms_cxr_t.ts';

test.before(async () => {
  await nativeBackend();
});

/**
 * 90 pairs of 30 patients (1–5 pairs each); embeddings d = 4 where
 * current − previous along axis 0 encodes the change of "edema"
 * (improving −1, stable 0, worsening +1); "effusion" is labelled on half the pairs.
 */
function cohort(): TemporalPairsInput {
  const rng = new Rng(11);
  const n = 90;
  const d = 4;
  const current = new Float32Array(n * d);
  const previous = new Float32Array(n * d);
  const edema: Array<number | null> = [];
  const effusion: Array<number | null> = [];
  const subjects: number[] = [];
  for (let i = 0; i < n; i++) {
    subjects.push(Math.floor(rng.uniform() * 30) + 100);
    const label = i % 3;
    edema.push(label);
    effusion.push(i % 2 === 0 ? (label + 1) % 3 : null);
    for (let j = 0; j < d; j++) {
      previous[i * d + j] = rng.normal();
      current[i * d + j] = previous[i * d + j]! + rng.normal() * 0.1;
    }
    current[i * d] = previous[i * d]! + (label - 1) * 2; // edema change
    current[i * d + 1] = previous[i * d + 1]! + (((label + 1) % 3) - 1) * 2; // effusion change
  }
  // Concatenation alone is enough for a linear probe here: the difference is linear in [cur ‖ prev].
  return { features: pairFeatures(matrix(current, n, d), matrix(previous, n, d)), labels: { edema, effusion }, subjectIds: subjects };
}

test('group k-fold keeps every patient in one fold, and stratified k-fold balances classes', (t) => {
  const groups = Array.from({ length: 200 }, (_, i) => Math.floor(i / 3) % 37);
  for (const seed of [0, 1]) {
    const folds = groupKFold(groups, 5, seed);
    const foldOf = new Map<number, number>();
    groups.forEach((g, i) => {
      if (foldOf.has(g)) t.is(foldOf.get(g), folds[i]);
      foldOf.set(g, folds[i]!);
    });
    const sizes = [0, 1, 2, 3, 4].map((k) => folds.filter((f) => f === k).length);
    t.true(Math.max(...sizes) - Math.min(...sizes) <= 6, `balanced within one group: ${sizes}`);
  }
  t.notDeepEqual(groupKFold(groups, 5, 0), groupKFold(groups, 5, 1));
  t.throws(() => groupKFold([1, 1, 2], 3, 0), { message: /2 groups cannot fill 3 folds/ });
  const labels = Array.from({ length: 23 }, (_, i) => (i < 8 ? 1 : 0));
  const folds = stratifiedKFold(labels, 4, 3);
  for (let k = 0; k < 4; k++) {
    const positives = labels.filter((y, i) => y === 1 && folds[i] === k).length;
    t.true(positives === 2, `fold ${k} has ${positives} positives`);
  }
});

test('cross-validation: folds are patient-disjoint, every labelled pair tested exactly once per seed, accuracy high', (t) => {
  const input = cohort();
  const result = crossValidateTemporal(input, { folds: 5, seeds: [0, 1, 2] });
  t.deepEqual(result.findings.map((f) => f.finding), ['edema', 'effusion']);
  for (const finding of result.findings) {
    const labelled = input.labels[finding.finding]!.map((v, i) => (v === null ? -1 : i)).filter((i) => i >= 0);
    t.is(finding.pairs, labelled.length);
    t.is(finding.seeds.length, 3);
    for (const seed of [0, 1, 2]) {
      const predictions = finding.predictions.filter((p) => p.seed === seed);
      t.deepEqual(predictions.map((p) => p.pair).sort((a, b) => a - b), labelled, 'each labelled pair once');
      const foldsOfSubject = new Map<number, Set<number>>();
      for (const p of predictions) {
        const subject = (input.subjectIds as number[])[p.pair]!;
        if (!foldsOfSubject.has(subject)) foldsOfSubject.set(subject, new Set());
        foldsOfSubject.get(subject)!.add(p.fold);
        t.is(p.truth, input.labels[finding.finding]![p.pair] as number);
        t.is(p.probabilities.length, 3);
      }
      t.true([...foldsOfSubject.values()].every((folds) => folds.size === 1), 'patients never straddle folds');
      const seedResult = finding.seeds.find((s) => s.seed === seed)!;
      t.is(seedResult.folds.reduce((a, f) => a + f.test, 0), labelled.length);
    }
    t.true(finding.accuracy.mean > 0.9, `${finding.finding}: ${finding.accuracy.mean}`);
    t.is(finding.accuracy.values.length, 3);
  }
});

test('fixed split: macro accuracy per finding, predictions on test pairs only, shared patients reported', (t) => {
  const input = cohort();
  const isTest = (input.subjectIds as number[]).map((s) => s % 3 === 0);
  const result = fixedSplitTemporal(input, isTest);
  t.is(result.sharedSubjects, 0);
  for (const finding of result.findings) {
    t.true(finding.predictions.every((p) => isTest[p.pair]));
    t.is(finding.confusion.flat().reduce((a, b) => a + b, 0), finding.test);
    t.true(finding.macroAccuracy > 0.85, `${finding.finding}: ${finding.macroAccuracy}`);
  }
  t.is(result.meanMacroAccuracy, (result.findings[0]!.macroAccuracy + result.findings[1]!.macroAccuracy) / 2);
  const leaky = fixedSplitTemporal(input, isTest.map((v, i) => (i === 0 ? !v : v)));
  t.is(leaky.sharedSubjects, 1);
});

test('labels from MS-CXR-T pairs, bad labels throw, and no tensor leaks', (t) => {
  const pair = (subjectId: number, edema: 'improving' | 'stable' | 'worsening' | null): MsCxrTImagePair => ({
    dicomId: 'a',
    previousDicomId: 'b',
    studyId: 1,
    previousStudyId: 2,
    subjectId,
    progression: { consolidation: null, edema, pleural_effusion: 'stable', pneumonia: null, pneumothorax: null },
  });
  const converted = temporalLabelsFromPairs([pair(7, 'worsening'), pair(8, null), pair(9, 'improving')]);
  t.deepEqual(converted.labels.edema, [2, null, 0]);
  t.deepEqual(Array.from(converted.subjectIds), [7, 8, 9]);
  const input = cohort();
  t.throws(() => crossValidateTemporal({ ...input, labels: { edema: input.labels.edema!.map(() => 5) } }), { message: /label 5/ });
  t.throws(() => crossValidateTemporal(input, { probe: { loss: 'sigmoid' } }), { message: /single-label/ });
  crossValidateTemporal(input, { folds: 3, seeds: [0], findings: ['edema'] }); // warm-up
  const before = tf.memory().numTensors;
  crossValidateTemporal(input, { folds: 3, seeds: [0], findings: ['edema'] });
  t.is(tf.memory().numTensors, before);
});
