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

test('broken quoting is reported with its line', (t) => {
  const issues = new DataIssues();
  const { rows } = parseCsvText('name,age\nann,31\n"bo"x,4\n', 'q.csv', mapPerson, { issues });
  t.deepEqual(rows.map((row) => row.name), ['ann']);
  // csv-parse may report the rest of the file as a second unclosed-quote problem.
  t.true(issues.count('malformed-row') >= 1);
  t.regex(issues.examples('malformed-row')[0]!.message, /^q\.csv: line 3: /);
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
  t.true(issues.count('malformed-row') >= 1);
  // (A parse error can surface before earlier rows reach the consumer, since csv-parse reads whole chunks.)
  const badNumberOnly = writeTemporaryFile('s.csv', 'name,age\nann,31\nbo,x\n');
  const strict = async () => {
    for await (const row of streamCsvFile(badNumberOnly, mapPerson, { issues: new DataIssues({ strict: true }) })) void row;
  };
  await t.throwsAsync(strict, { instanceOf: DataError, message: /^s\.csv: row 2 \(line 3\), field "age"/ });
});
