import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readCsvFile } from '../../lib/data/csv.ts';
import { formatCsv, formatCsvField, writeCsvAtomic } from '../../lib/data/csv_writer.ts';
import { writeTemporaryFile } from './fixture_paths.ts';

test('formatCsvField quotes only when needed', (t) => {
  t.is(formatCsvField('plain'), 'plain');
  t.is(formatCsvField('a,b'), '"a,b"');
  t.is(formatCsvField('say "hi"'), '"say ""hi"""');
  t.is(formatCsvField('two\nlines'), '"two\nlines"');
  t.is(formatCsvField(' padded'), '" padded"');
  t.is(formatCsvField(null), '');
  t.is(formatCsvField(2.5), '2.5');
  t.throws(() => formatCsvField(Number.NaN), { instanceOf: RangeError });
  t.is(formatCsv(['a', 'b'], [[1, 'x;y'], { a: 2, b: null }], ';'), 'a;b\n1;"x;y"\n2;\n');
});

test('writeCsvAtomic writes a file that reads back identically and leaves no temp file', (t) => {
  const path = join(dirname(writeTemporaryFile('seed.txt', '')), 'sub', 'out.csv');
  const rows = [
    { id: 1, text: 'comma, "quote"', value: null },
    { id: 2, text: 'new\nline', value: 3.25 },
  ];
  writeCsvAtomic(path, ['id', 'text', 'value'], rows);
  t.deepEqual(readdirSync(dirname(path)), ['out.csv']);
  const back = readCsvFile(path, (r) => ({ id: r.int('id'), text: r.raw('text'), value: r.optionalFloat('value') })).rows;
  t.deepEqual(back, rows);
  t.true(readFileSync(path, 'utf8').startsWith('id,text,value\n'));
  t.throws(() => writeCsvAtomic(path, ['a', 'b'], [[1]]), { instanceOf: RangeError });
});
