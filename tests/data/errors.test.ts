import test from 'ava';
import { DataError, DataIssues, catchRecordError } from '../../lib/data/errors.ts';

test('DataError message names file, row, line and field', (t) => {
  const error = new DataError('bad-number', 'expected a number, got "x"', { file: 'a.csv', row: 3, line: 4, field: 'Age' });
  t.is(error.message, 'a.csv: row 3 (line 4), field "Age": expected a number, got "x"');
  t.is(error.kind, 'bad-number');
  t.is(error.name, 'DataError');
  t.true(error instanceof Error);
  t.is(new DataError('bad-file', 'not DICOM', { file: 'x.dcm' }).message, 'x.dcm: not DICOM');
  t.is(new DataError('bad-line', 'oops', { file: 'f.txt', line: 9 }).message, 'f.txt: line 9: oops');
});

test('default collector counts per kind and keeps a few examples', (t) => {
  const issues = new DataIssues({ examplesPerKind: 2 });
  for (let row = 1; row <= 3; row++) issues.report(new DataError('bad-value', 'bad', { file: 'f.csv', row }));
  issues.report(new DataError('unknown-view', 'odd view', { file: 'f.csv', row: 7 }));
  t.is(issues.total, 4);
  t.is(issues.count('bad-value'), 3);
  t.is(issues.count('missing-column'), 0);
  t.deepEqual(issues.counts(), { 'bad-value': 3, 'unknown-view': 1 });
  t.is(issues.examples('bad-value').length, 2);
  const summary = issues.summary();
  t.regex(summary, /4 data issue/);
  t.regex(summary, /bad-value: 3/);
  t.regex(summary, /f\.csv: row 7: odd view/);
  t.is(new DataIssues().summary(), 'no data issues');
});

test('strict collector throws the first problem', (t) => {
  const issues = new DataIssues({ strict: true });
  const error = t.throws(() => issues.report(new DataError('bad-rle', 'odd count', { file: 'r.csv', row: 2 })), { instanceOf: DataError });
  t.is(error?.row, 2);
});

test('catchRecordError turns DataErrors into null and rethrows others', (t) => {
  const issues = new DataIssues();
  t.is(catchRecordError(issues, () => { throw new DataError('bad-value', 'x'); }), null);
  t.is(catchRecordError(issues, () => 5), 5);
  t.is(issues.total, 1);
  t.throws(() => catchRecordError(issues, () => { throw new TypeError('bug'); }), { instanceOf: TypeError });
});
