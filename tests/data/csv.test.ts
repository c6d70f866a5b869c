import test from 'ava';
import { parseCsvText, readCsvFile, streamCsvFile } from '../../lib/data/csv.ts';
import { DataError, DataIssues } from '../../lib/data/errors.ts';
import { realFixture, writeTemporaryFile } from './fixture_paths.ts';

const mapPerson = (record: import('../../lib/data/csv.ts').CsvRecord) => ({ name: record.text('name'), age: record.int('age') });

test('reads typed rows and validates the header', (t) => {
  const { rows, header, issues } = parseCsvText('name,age\nann,31\nbo,4\n', 'people.csv', mapPerson, { requiredColumns: ['name', 'age'] });
  t.deepEqual(header, ['name', 'age']);
  t.deepEqual(rows, [{ name: 'ann', age: 31 }, { name: 'bo', age: 4 }]);
  t.is(issues.total, 0);
});

test('missing column throws a DataError naming file and column, even when not strict', (t) => {
  const error = t.throws(() => parseCsvText('name,years\nann,31\n', 'people.csv', mapPerson, { requiredColumns: ['name', 'age'] }), { instanceOf: DataError });
  t.is(error?.kind, 'missing-column');
  t.is(error?.field, 'age');
  t.regex(error!.message, /^people\.csv: field "age": missing column "age"/);
});

test('malformed rows are skipped and counted by default, with file and row in the message', (t) => {
  const text = 'name,age\nann,31\nbo\ncy,abc\ndi,40\n';
  const { rows, issues } = parseCsvText(text, 'people.csv', mapPerson, { requiredColumns: ['name', 'age'] });
  t.deepEqual(rows.map((row) => row.name), ['ann', 'di']);
  t.is(issues.count('malformed-row'), 1);
  t.is(issues.count('bad-number'), 1);
  t.is(issues.examples('malformed-row')[0]!.message, 'people.csv: row 2 (line 3): expected 2 fields, got 1');
  t.is(issues.examples('bad-number')[0]!.message, 'people.csv: row 3 (line 4), field "age": expected an integer, got "abc"');
});

test('strict mode throws on the first malformed row', (t) => {
  const error = t.throws(() => parseCsvText('name,age\nann,31\ncy,abc\n', 'people.csv', mapPerson, { issues: new DataIssues({ strict: true }) }), {
    instanceOf: DataError,
  });
  t.is(error?.row, 2);
  t.is(error?.field, 'age');
});

test('broken quoting costs its own line only, reported with row and line', (t) => {
  const issues = new DataIssues();
  const { rows } = parseCsvText('name,age\nann,31\n"bo"x,4\ncy,5\n', 'q.csv', mapPerson, { issues });
  t.deepEqual(rows.map((row) => row.name), ['ann', 'cy']);
  t.is(issues.count('malformed-row'), 1);
  t.regex(issues.examples('malformed-row')[0]!.message, /^q\.csv: row 2 \(line 3\): malformed quoting/);
});

test('a stray opening quote does not swallow the rows after it', (t) => {
  // The issue's case: one field of one metadata row gains a leading quote.
  const lines = ['dicom_id,ViewPosition,Procedure,Rows'];
  for (let i = 0; i < 20; i += 1) lines.push(`d${i},PA,${i === 3 ? '"' : ''}CHEST (PORTABLE AP),${100 + i}`);
  // A later legitimately quoted field must not pair with the stray quote either.
  lines.push('d20,LATERAL,"CHEST (PA AND LAT), two views",120');
  const issues = new DataIssues();
  const { rows } = parseCsvText(lines.join('\n') + '\n', 'meta.csv', (r) => `${r.text('dicom_id')}|${r.text('Procedure')}|${r.int('Rows')}`, { issues });
  t.is(rows.length, 20);
  t.false(rows.some((row) => row.startsWith('d3|')));
  t.is(rows[19], 'd20|CHEST (PA AND LAT), two views|120');
  t.is(issues.count('malformed-row'), 1);
  t.is(issues.examples('malformed-row')[0]!.row, 4);
  t.is(issues.examples('malformed-row')[0]!.line, 5);
  // The row numbers after the bad line still count file rows.
  const later = parseCsvText(lines.join('\n').replace('d5,PA,CHEST (PORTABLE AP),105', 'd5,PA,CHEST,x'), 'meta.csv', (r) => r.int('Rows'));
  t.is(later.issues.examples('bad-number')[0]!.row, 6);
});

test('a stray quote in the last rows and at the end of a file without a final newline', (t) => {
  const issues = new DataIssues();
  const { rows } = parseCsvText('name,age\nann,31\nbo,"4\ncy,5', 'q.csv', mapPerson, { issues });
  t.deepEqual(rows.map((row) => row.name), ['ann', 'cy']);
  t.is(issues.count('malformed-row'), 1);
  t.is(issues.examples('malformed-row')[0]!.line, 3);
});

test('strict mode stops at the first problem in file order', (t) => {
  // A bad number on line 3 comes before a quote error on line 5.
  const text = 'name,age\nann,31\nbo,x\ncy,4\n"di"z,5\n';
  const error = t.throws(() => parseCsvText(text, 'people.csv', mapPerson, { issues: new DataIssues({ strict: true }) }), { instanceOf: DataError });
  t.is(error?.kind, 'bad-number');
  t.is(error?.line, 3);
  const quoteFirst = t.throws(() => parseCsvText('name,age\n"an"n,31\nbo,x\n', 'people.csv', mapPerson, { issues: new DataIssues({ strict: true }) }), { instanceOf: DataError });
  t.is(quoteFirst?.kind, 'malformed-row');
  t.is(quoteFirst?.line, 2);
});

test('CRLF line ends, a BOM, blank lines and quotes inside unquoted fields', (t) => {
  const { rows, issues } = parseCsvText('\uFEFFname,note\r\nann,say "hi"\r\n\r\nbo,"a\r\nb"\r\n', 'c.csv', (r) => [r.raw('name'), r.raw('note')]);
  t.deepEqual(rows, [['ann', 'say "hi"'], ['bo', 'a\nb']]);
  t.is(issues.total, 0);
});

test('quoted fields with commas and newlines; numbers; row/line numbering', (t) => {
  const text = 'id,note,score\n1,"a, ""quoted""\nnote",1.5e2\n2,plain,-.5\n';
  const { rows } = parseCsvText(text, 'n.csv', (r) => ({ id: r.int('id'), note: r.raw('note'), score: r.float('score'), line: r.line }));
  t.deepEqual(rows, [
    { id: 1, note: 'a, "quoted"\nnote', score: 150, line: 3 },
    { id: 2, note: 'plain', score: -0.5, line: 4 },
  ]);
  // Integers written by pandas as 68.0 are accepted, a real fraction is not.
  const ints = parseCsvText('a\n68.0\n3.5\n', 'i.csv', (r) => r.int('a'));
  t.deepEqual(ints.rows, [68]);
  t.is(ints.issues.count('bad-number'), 1);
});

test('header names are trimmed: SIIM " EncodedPixels" works on the real file', (t) => {
  const { header, rows } = readCsvFile(realFixture('siim-train-rle-sample.csv'), (r) => r.text('EncodedPixels'), {
    requiredColumns: ['ImageId', 'EncodedPixels'],
  });
  t.deepEqual(header, ['ImageId', 'EncodedPixels']);
  t.is(rows.length, 300);
  t.is(rows[0], '-1');
});

test('an empty file has no header', (t) => {
  const error = t.throws(() => parseCsvText('', 'empty.csv', (r) => r), { instanceOf: DataError });
  t.regex(error!.message, /^empty\.csv: empty file/);
});

test('a missing file raises a DataError naming it', (t) => {
  const error = t.throws(() => readCsvFile('/nonexistent/x.csv', (r) => r), { instanceOf: DataError });
  t.regex(error!.message, /^\/nonexistent\/x\.csv: cannot read file/);
});

test('streaming gives the same rows as the sync reader', async (t) => {
  const path = realFixture('chexpert-train-sample.csv');
  const map = (r: import('../../lib/data/csv.ts').CsvRecord) => `${r.text('Path')}|${r.optionalInt('Age')}`;
  const sync = readCsvFile(path, map).rows;
  const streamed: string[] = [];
  for await (const row of streamCsvFile(path, map, { requiredColumns: ['Path'] })) streamed.push(row);
  t.is(streamed.length, 2000);
  t.deepEqual(streamed, sync);
});

test('streaming: issues counted by default, strict mode rejects with the located DataError', async (t) => {
  const path = writeTemporaryFile('s.csv', 'name,age\nann,31\nbo,x\n"cy"z,4\n');
  const issues = new DataIssues();
  const names: string[] = [];
  for await (const row of streamCsvFile(path, mapPerson, { issues })) names.push(row.name);
  t.deepEqual(names, ['ann']);
  t.is(issues.count('bad-number'), 1);
  t.is(issues.count('malformed-row'), 1);
  const badNumberOnly = writeTemporaryFile('s.csv', 'name,age\nann,31\nbo,x\n');
  const strict = async () => {
    for await (const row of streamCsvFile(badNumberOnly, mapPerson, { issues: new DataIssues({ strict: true }) })) void row;
  };
  await t.throwsAsync(strict, { instanceOf: DataError, message: /^s\.csv: row 2 \(line 3\), field "age"/ });
});
