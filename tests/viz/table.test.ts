import test from 'ava';
import * as dfd from 'danfojs-node';
import { rowsToFrame, tableBundle, tableHtml, tableText } from '../../lib/viz/table.ts';

test('a danfo DataFrame renders as an HTML table with header, index and formatted numbers', (t) => {
  const df = new dfd.DataFrame({ finding: ['Edema', 'Pleural <Effusion>'], auroc: [0.812345678, 0.9] });
  const html = tableHtml(df as never, { caption: 'AUROC' });
  t.regex(html, /^<table class="medst-table" border="1"><caption>AUROC<\/caption>/);
  t.regex(html, /<thead><tr><th><\/th><th>finding<\/th><th>auroc<\/th><\/tr><\/thead>/);
  t.regex(html, /<tr><th>0<\/th><td>Edema<\/td><td>0.8123<\/td><\/tr>/);
  t.regex(html, /<td>Pleural &lt;Effusion&gt;<\/td><td>0.9<\/td>/);
  t.regex(html, /2 rows × 2 columns/);
});

test('long tables are elided in the middle', (t) => {
  const rows = Array.from({ length: 100 }, (_, i) => ({ i, sq: i * i }));
  const html = tableHtml(rowsToFrame(rows), { maxRows: 10 });
  t.is(html.match(/<tr><th>\d+<\/th>/g)?.length, 10);
  t.regex(html, /<tr><th>…<\/th><td>…<\/td><td>…<\/td><\/tr>/);
  t.regex(html, /<tr><th>99<\/th><td>99<\/td><td>9801<\/td><\/tr>/);
  t.regex(html, /100 rows × 2 columns/);
});

test('rows with different keys become columns in first-seen order; the text form aligns', (t) => {
  const frame = rowsToFrame([{ a: 1 }, { b: 'x', a: 2 }]);
  t.deepEqual(frame.columns, ['a', 'b']);
  t.deepEqual(frame.values, [[1, undefined], [2, 'x']]);
  t.is(tableText(frame), '   a  b\n0  1   \n1  2  x');
  t.deepEqual(Object.keys(tableBundle(frame)), ['text/html', 'text/plain']);
});
