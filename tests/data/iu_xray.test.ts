import test from 'ava';
import { DataIssues } from '../../lib/data/errors.ts';
import { cleanIuReport, readIuReports } from '../../lib/data/iu_xray.ts';
import { realFixture, referenceValues } from './fixture_paths.ts';

const iuReference = referenceValues.iu;

test('reads the real IU reports sample; blanks match pandas', (t) => {
  const { rows, issues } = readIuReports(realFixture('iu-xray-reports-sample.csv'));
  t.is(issues.total, 0);
  t.is(rows.length, iuReference.rows);
  t.is(rows.filter((row) => row.findings === null).length, iuReference.blankFindings);
  t.is(rows.filter((row) => row.impression === null).length, iuReference.blankImpression);
  t.is(rows.filter((row) => row.findings === null && row.impression === null).length, iuReference.blankBoth);
  t.is(rows[0]!.uid, 1);
  t.is(rows[0]!.impression, 'Normal chest x-XXXX.');
  t.is(rows[2]!.findings, null);
});

test('cleans IU reports: XXXX becomes the placeholder, short/empty ones are counted', (t) => {
  const { rows } = readIuReports(realFixture('iu-xray-reports-sample.csv'));
  const issues = new DataIssues();
  const cleaned = rows.map((row) => cleanIuReport(row, issues, 'iu-xray-reports-sample.csv'));
  // Report 1, checked by hand: impression "Normal chest x-XXXX." then five findings sentences.
  t.deepEqual(cleaned[0]!.sentences[0], ['normal', 'chest', 'x', '___']);
  t.deepEqual(cleaned[0]!.sentences[4], ['there', 'are', 'no', '___', 'of', 'a', 'pleural', 'effusion']);
  t.is(cleaned[0]!.sentences.length, 6);
  // Report 3 has only an impression (four sentences).
  t.is(cleaned[2]!.sentences.length, 4);
  const dropped = cleaned.filter((report) => report === null).length;
  t.is(dropped, issues.total);
  t.is(issues.count('empty-report'), iuReference.blankBoth);
  t.true(cleaned.every((report) => report === null || report.tokenCount >= 3));
  t.true(cleaned.every((report) => report === null || report.sentences.every((sentence) => sentence.length >= 2)));
  t.false(cleaned.some((report) => report?.text.includes('xxxx')));
  t.true(cleaned.filter((report) => report?.text.includes('___')).length > 0);
});
