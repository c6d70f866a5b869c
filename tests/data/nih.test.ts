/** NIH ChestX-ray14: the data entry reader against Python's csv module, the patient-wise splits, and probe targets. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { DataIssues } from '../../lib/data/errors.ts';
import { NIH_LABELS, nihPatientSplit, nihProbeTargets, readNihDataEntry, readNihOfficialSplit } from '../../lib/data/nih.ts';
import { fitLinearProbe, probeScores } from '../../lib/eval/linear_probe.ts';
import { rocAucMultiLabel } from '../../lib/eval/metrics.ts';
import { Rng } from '../../lib/util/rng.ts';
import { readerFixture, realFixture, writeTemporaryFile } from './fixture_paths.ts';
import { nativeBackend } from '../helpers/tf.ts';

const refs = JSON.parse(readFileSync(readerFixture('nih_refs.json'), 'utf8'));
const { rows, issues, rowCount } = readNihDataEntry(realFixture('nih-data-entry-sample.csv'));

test('the data entry sample reads as Python csv reads it', (t) => {
  t.is(issues.total, 0);
  t.is(rows.length, refs.rows);
  t.is(rowCount, refs.rows);
  t.is(new Set(rows.map((r) => r.patientId)).size, refs.patients);
  t.is(rows.filter((r) => r.findings.length === 0).length, refs.noFinding);
  t.is(rows.filter((r) => r.findings.length > 1).length, refs.multiLabel);
  for (const label of NIH_LABELS) t.is(rows.filter((r) => r.labels[label] === 1).length, refs.positives[label], label);
  for (const [view, n] of Object.entries(refs.views as Record<string, number>)) t.is(rows.filter((r) => r.viewPosition === view).length, n);
  t.is(Math.max(...rows.map((r) => r.followUp)), refs.maxFollowUp);
  t.like(rows[0], { imageIndex: refs.first['Image Index'], findings: ['Cardiomegaly'], patientId: 1, age: 57, width: Number(refs.first['OriginalImage[Width']) });
});

test('the 2017 layout (trailing empty column, ages as 058Y) and bad rows', (t) => {
  const text = [
    'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],',
    '00000001_000.png,Cardiomegaly|Effusion,0,1,058Y,M,PA,2682,2749,0.143,0.143,',
    '00000002_000.png,Pneumonitis,0,2,081Y,M,PA,2500,2048,0.171,0.171,',
    '00000003_000.png,No Finding|Mass,0,3,081Y,F,PA,2500,2048,0.171,0.171,',
    '00000004_000.png,No Finding,0,4,081Y,F,AP,2500,2048,0.171,0.171,',
  ].join('\n');
  const collected = new DataIssues();
  const result = readNihDataEntry(writeTemporaryFile('Data_Entry_2017.csv', text), { issues: collected });
  t.deepEqual(result.rows.map((r) => [r.imageIndex, r.findings, r.age]), [['00000001_000.png', ['Cardiomegaly', 'Effusion'], 58], ['00000004_000.png', [], 81]]);
  t.is(collected.count('bad-value'), 2);
  t.regex(collected.examples('bad-value')[0]!.message, /Data_Entry_2017\.csv: row 2 \(line 3\), field "Finding Labels": unknown finding "Pneumonitis"/);
});

test('patient-wise splits: no patient in two parts, seeded, official lists honoured', (t) => {
  const split = nihPatientSplit(rows, { seed: 3 });
  const partOf = new Map<number, string>();
  const byIndex = new Map(rows.map((r) => [r.imageIndex, r]));
  for (const part of ['train', 'validate', 'test'] as const) {
    for (const id of split[part]) {
      const patient = byIndex.get(id)!.patientId;
      t.true((partOf.get(patient) ?? part) === part, `patient ${patient} in one part`);
      partOf.set(patient, part);
    }
  }
  t.is(split.train.length + split.validate.length + split.test.length, rows.length);
  const testPatients = new Set(split.test.map((id) => byIndex.get(id)!.patientId)).size;
  t.is(testPatients, Math.round(refs.patients * 0.2));
  t.deepEqual(nihPatientSplit(rows, { seed: 3 }), split, 'deterministic');
  t.notDeepEqual(nihPatientSplit(rows, { seed: 4 }).test, split.test);
  // Official lists: test as listed, train_val divided by patient.
  const testIds = rows.filter((r) => r.patientId % 5 === 0).map((r) => r.imageIndex);
  const trainValIds = rows.filter((r) => r.patientId % 5 !== 0).map((r) => r.imageIndex);
  const official = readNihOfficialSplit(writeTemporaryFile('train_val_list.txt', trainValIds.join('\n') + '\n'), writeTemporaryFile('test_list.txt', testIds.join('\n')), rows, { seed: 1 });
  t.deepEqual(official.test, testIds);
  t.is(official.train.length + official.validate.length, trainValIds.length);
  t.true(official.validate.length > 0);
  t.throws(() => readNihOfficialSplit(writeTemporaryFile('a.txt', testIds[0]!), writeTemporaryFile('b.txt', testIds[0]!), rows), { message: /b\.txt: image .* is in both split lists/ });
});

test('probe targets: a linear probe on features that carry the labels scores high, on noise near chance', async (t) => {
  await nativeBackend();
  const split = nihPatientSplit(rows, { seed: 1 });
  const train = nihProbeTargets(rows, split.train).targets;
  const test = nihProbeTargets(rows, split.test).targets;
  t.is(test.length, split.test.length * 14);
  const rng = new Rng(5);
  const features = (targets: Float32Array, signal: number) => {
    const n = targets.length / 14;
    const x = new Float32Array(n * 16);
    for (let i = 0; i < n; i++) for (let j = 0; j < 16; j++) x[i * 16 + j] = (j < 14 ? signal * targets[i * 14 + j]! : 0) + rng.normal();
    return { data: x, rows: n, cols: 16 };
  };
  for (const [signal, low, high] of [[2, 0.8, 1], [0, 0.35, 0.65]] as const) {
    const model = fitLinearProbe(features(train, signal), { data: train, rows: train.length / 14, cols: 14 }, { loss: 'sigmoid' });
    const auc = rocAucMultiLabel(test, probeScores(model, features(test, signal)).data, 14).macro;
    t.true(auc > low && auc < high, `signal ${signal}: mean AUROC ${auc.toFixed(3)}`);
  }
  t.throws(() => nihProbeTargets(rows, ['nope.png']), { message: /nope\.png is not in the data entry file/ });
});
