import test from 'ava';
import { isCovidPositive, parseCovidxText, readCovidx } from '../../lib/data/covidx.ts';
import { DataError, DataIssues } from '../../lib/data/errors.ts';
import { writeTemporaryFile } from './fixture_paths.ts';

const TRAIN = [
  '3 SARS-10.1148rg.242035193-g04mr34g0-Fig8a-day0.jpeg COVID-19 cohen',
  '4 nejmc2001573_f1a.jpeg positive cohen',
  '',
  '0a6c60063b4bae4de001caaba306d1 ecf5f5a4-4b67-4bd8-aab7-b8b4f01e1a18.png normal rsna  ',
  'b9c2e9e0 img.png pneumonia',
  'x1 img2.png influenza rsna',
  '419639-003251 MIDRC-RICORD-1C-419639-003251-46647-0.png negative ricord',
].join('\n');

test('parses lines, ignores blank lines, reports bad lines with file and line', (t) => {
  const { rows, issues } = parseCovidxText(TRAIN, 'train.txt');
  t.deepEqual(rows.map((row) => [row.patientId, row.label, row.dataSource, row.line]), [
    ['3', 'COVID-19', 'cohen', 1],
    ['4', 'positive', 'cohen', 2],
    ['0a6c60063b4bae4de001caaba306d1', 'normal', 'rsna', 4],
    ['419639-003251', 'negative', 'ricord', 7],
  ]);
  t.is(rows[0]!.filename, 'SARS-10.1148rg.242035193-g04mr34g0-Fig8a-day0.jpeg');
  t.is(issues.count('bad-line'), 2);
  t.is(issues.examples('bad-line')[0]!.message, 'train.txt: line 5: expected 4 space-separated fields (patient_id filename class data_source), got 3');
  t.regex(issues.examples('bad-line')[1]!.message, /^train\.txt: line 6, field "class": unknown class "influenza"/);
  t.deepEqual(rows.map((row) => isCovidPositive(row.label)), [true, true, false, false]);
});

test('strict mode throws; files are read from disk', (t) => {
  t.throws(() => parseCovidxText(TRAIN, 'train.txt', { issues: new DataIssues({ strict: true }) }), { instanceOf: DataError, message: /line 5/ });
  const path = writeTemporaryFile('test.txt', 'p1 a.png normal src\r\np2 b.png COVID-19 src\r\n');
  const { rows } = readCovidx(path);
  t.deepEqual(rows.map((row) => row.filename), ['a.png', 'b.png']);
  t.throws(() => readCovidx('/nonexistent/test.txt'), { instanceOf: DataError, message: /^\/nonexistent\/test\.txt: cannot read/ });
});
