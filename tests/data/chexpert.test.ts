import test from 'ava';
import { readFileSync } from 'node:fs';
import {
  DEFAULT_UNCERTAINTY_POLICY,
  binarizeChexpertLabels,
  isChexpert5x200Eligible,
  readChexpertCsv,
  selectChexpert5x200,
} from '../../lib/data/chexpert.ts';
import { DataError, DataIssues } from '../../lib/data/errors.ts';
import { CHEXPERT_COMPETITION_LABELS, CHEXPERT_LABELS, type ChexpertLabel } from '../../lib/data/labels.ts';
import { realFixture, referenceValues, writeTemporaryFile } from './fixture_paths.ts';

const SAMPLE = realFixture('chexpert-train-sample.csv');
const reference = referenceValues.chexpert;

test('reads the real sample; hand-checked rows', (t) => {
  const { rows, issues } = readChexpertCsv(SAMPLE);
  t.is(issues.total, 0);
  t.is(rows.length, 2000);
  const [first, second] = rows;
  t.is(first!.path, 'CheXpert-v1.0-small/train/patient00001/study1/view1_frontal.jpg');
  t.is(first!.patientId, 'patient00001');
  t.is(first!.studyKey, 'patient00001/study1');
  t.is(first!.sex, 'Female');
  t.is(first!.age, 68);
  t.is(first!.view, 'frontal');
  t.is(first!.apPa, 'AP');
  t.is(first!.labels['No Finding'], 1);
  t.is(first!.labels.Pneumothorax, 0);
  t.is(first!.labels['Support Devices'], 1);
  t.is(first!.labels.Edema, null);
  // Row 2: ",,-1.0,1.0,,-1.0,-1.0,,-1.0,,-1.0,,1.0,"
  t.like(second!.labels, { 'No Finding': null, Cardiomegaly: -1, 'Lung Opacity': 1, Edema: -1, Consolidation: -1, Atelectasis: -1, 'Pleural Effusion': -1, Fracture: 1, 'Support Devices': null });
  t.like(binarizeChexpertLabels(second!.labels), { Cardiomegaly: 0, Consolidation: 0, Edema: 1, Atelectasis: 1, 'Pleural Effusion': 1, 'No Finding': 0, Fracture: 1 });
});

test('counts agree with a raw-text count and with pandas', (t) => {
  const { rows } = readChexpertCsv(SAMPLE);
  // Independent of the CSV parser: Path values have no commas, so a plain split works for this file.
  const lines = readFileSync(SAMPLE, 'utf8').trim().split('\n').slice(1);
  t.is(rows.filter((row) => row.view === 'frontal').length, lines.filter((line) => line.split(',')[3] === 'Frontal').length);
  t.is(rows.filter((row) => row.view === 'frontal').length, reference.frontal);
  t.is(rows.filter((row) => row.view === 'lateral').length, reference.lateral);
  t.is(new Set(rows.map((row) => row.patientId)).size, reference.patients);
  t.true(Math.abs(rows.reduce((sum, row) => sum + (row.age ?? 0), 0) / rows.length - reference.ageMean) < 1e-9);
  for (const label of CHEXPERT_LABELS) {
    const count = (value: 1 | 0 | -1 | null) => rows.filter((row) => row.labels[label] === value).length;
    t.deepEqual(
      { '1': count(1), '0': count(0), '-1': count(-1), blank: count(null) },
      reference.labelCounts[label],
      label,
    );
    const positives = rows.filter((row) => binarizeChexpertLabels(row.labels)[label] === 1).length;
    t.is(positives, reference.defaultPolicyPositives[label], `default-policy positives of ${label}`);
  }
});

test('uncertainty policies: ones, zeros, ignore; blank → 0 or masked', (t) => {
  t.is(DEFAULT_UNCERTAINTY_POLICY.Atelectasis, 'ones');
  t.is(DEFAULT_UNCERTAINTY_POLICY.Edema, 'ones');
  t.is(DEFAULT_UNCERTAINTY_POLICY['Pleural Effusion'], 'ones');
  t.is(DEFAULT_UNCERTAINTY_POLICY.Cardiomegaly, 'zeros');
  t.is(DEFAULT_UNCERTAINTY_POLICY.Consolidation, 'zeros');
  const labels = Object.fromEntries(CHEXPERT_LABELS.map((label) => [label, -1])) as Record<ChexpertLabel, -1 | null>;
  labels.Fracture = null;
  const ignoreAll = binarizeChexpertLabels(labels, { policy: { Edema: 'ignore', Cardiomegaly: 'ones' }, blank: 'ignore' });
  t.is(ignoreAll.Edema, null);
  t.is(ignoreAll.Cardiomegaly, 1);
  t.is(ignoreAll.Atelectasis, 1);
  t.is(ignoreAll.Consolidation, 0);
  t.is(ignoreAll.Fracture, null);
  t.is(binarizeChexpertLabels(labels).Fracture, 0);
});

test('5×200 selector: eligible counts match pandas; seeded; classes disjoint and clean', (t) => {
  const { rows } = readChexpertCsv(SAMPLE);
  for (const constrain of ['all', 'competition'] as const) {
    const selection = selectChexpert5x200(rows, { seed: 3, perClass: 20, constrain });
    t.deepEqual(selection.eligibleCounts, reference.eligible5x200[constrain], constrain);
    const chosen = CHEXPERT_COMPETITION_LABELS.flatMap((label) => selection.byLabel[label]);
    t.is(new Set(chosen).size, chosen.length);
    for (const label of CHEXPERT_COMPETITION_LABELS) {
      t.is(selection.byLabel[label].length, Math.min(20, reference.eligible5x200[constrain][label]));
      t.true(selection.byLabel[label].every((row) => row.view === 'frontal' && row.labels[label] === 1 && isChexpert5x200Eligible(row, label, constrain)));
    }
  }
  const a = selectChexpert5x200(rows, { seed: 11, perClass: 10, constrain: 'competition' });
  const b = selectChexpert5x200(rows, { seed: 11, perClass: 10, constrain: 'competition' });
  const c = selectChexpert5x200(rows, { seed: 12, perClass: 10, constrain: 'competition' });
  t.deepEqual(a.byLabel.Edema.map((row) => row.path), b.byLabel.Edema.map((row) => row.path));
  t.notDeepEqual(a.byLabel.Edema.map((row) => row.path), c.byLabel.Edema.map((row) => row.path));
  // Default is the data-formats.md rule (all other labels except No Finding), 200 per class.
  t.deepEqual(selectChexpert5x200(rows, { seed: 1 }).eligibleCounts, reference.eligible5x200.all);
});

test('5×200 eligibility by hand: uncertain others exclude, blank others count as 0', (t) => {
  const base = Object.fromEntries(CHEXPERT_LABELS.map((label) => [label, null])) as Record<ChexpertLabel, 1 | 0 | -1 | null>;
  const edema = { view: 'frontal' as const, labels: { ...base, Edema: 1 as const, 'No Finding': 1 as const } };
  t.true(isChexpert5x200Eligible(edema, 'Edema'));
  t.false(isChexpert5x200Eligible({ ...edema, view: 'lateral' }, 'Edema'));
  t.false(isChexpert5x200Eligible({ ...edema, labels: { ...edema.labels, Atelectasis: -1 } }, 'Edema', 'competition'));
  t.false(isChexpert5x200Eligible({ ...edema, labels: { ...edema.labels, Fracture: 1 } }, 'Edema', 'all'));
  t.true(isChexpert5x200Eligible({ ...edema, labels: { ...edema.labels, Fracture: 1 } }, 'Edema', 'competition'));
});

test('bad values are located; strict mode throws', (t) => {
  const header = readFileSync(SAMPLE, 'utf8').split('\n')[0];
  const text = `${header}\nx/view1_frontal.jpg,Male,40,Frontal,PA,1.0,,,,,,,,,,,,,\nb.jpg,Male,forty,Frontal,PA,,,,,,,,,,,,,,\nc.jpg,Male,40,Oblique,PA,,,,,,,,,,,,,,\nd.jpg,Male,40,Frontal,PA,,,,,,2,,,,,,,,\n`;
  const path = writeTemporaryFile('train.csv', text);
  const { rows, issues } = readChexpertCsv(path);
  t.is(rows.length, 1);
  t.is(rows[0]!.patientId, null);
  t.deepEqual(issues.counts(), { 'bad-number': 1, 'bad-value': 2 });
  t.regex(issues.examples('bad-number')[0]!.message, /^train\.csv: row 2 \(line 3\), field "Age"/);
  t.regex(issues.examples('bad-value')[1]!.message, /^train\.csv: row 4 \(line 5\), field "Edema": expected 1, 0, -1 or blank, got "2"/);
  t.throws(() => readChexpertCsv(path, { issues: new DataIssues({ strict: true }) }), { instanceOf: DataError, message: /row 2/ });
});
