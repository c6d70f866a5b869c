/** Comparison results: rows with mean ± std over seeds and n, reference rows first, files written and read back. */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aggregate, markdownTable, readComparison, writeComparison, type ComparisonResults, type RunResult } from '../../lib/eval/results.ts';

const run = (row: string, kind: RunResult['kind'], seed: number | null, probe: number, temporal?: number): RunResult => ({
  row,
  label: row.toUpperCase(),
  kind,
  seed,
  trainSeconds: 1,
  evalSeconds: 1,
  metrics: { probe_auroc_100: { value: probe, n: 500 }, ...(temporal === undefined ? {} : { temporal_macro_acc: { value: temporal, n: 120 } }) },
});

const results: ComparisonResults = {
  format: 'medst-comparison',
  version: 2,
  title: 'test comparison',
  setup: { patients: 10 },
  metrics: [
    { key: 'probe_auroc_100', label: 'Probe' },
    { key: 'temporal_macro_acc', label: 'Temporal macro' },
  ],
  runs: [run('medst', 'pretrained', 1, 0.8, 0.5), run('random', 'reference', 1, 0.6, 0.35), run('medst', 'pretrained', 2, 0.9, 0.6), run('raw_pixels', 'reference', null, 0.84, 0.5), run('majority', 'reference', null, 0.5, 1 / 3)],
  curves: [{ row: 'medst', seed: 1, points: [{ epoch: 1, step: 10, metrics: { probe_auroc_100: { value: 0.7, n: 500 } } }] }],
};

test('rows: reference rows first in their fixed order, then pre-trained rows; mean ± population std over seeds; n kept', (t) => {
  const rows = aggregate(results);
  t.deepEqual(rows.map((r) => r.name), ['majority', 'raw_pixels', 'random', 'medst']);
  const medst = rows[3]!;
  t.deepEqual(medst.seeds, [1, 2]);
  t.true(Math.abs(medst.metrics.probe_auroc_100!.mean - 0.85) < 1e-12);
  t.true(Math.abs(medst.metrics.probe_auroc_100!.std - 0.05) < 1e-12);
  t.is(medst.metrics.probe_auroc_100!.n, 500);
  t.is(rows[0]!.kind, 'reference');
});

test('the Markdown table carries n in each header and marks reference rows', (t) => {
  const md = markdownTable(results);
  t.true(md.includes('Probe (n=500)'));
  t.true(md.includes('Temporal macro (n=120)'));
  t.true(md.includes('| *RAW_PIXELS* | – | 0.840 | 0.500 |'));
  t.true(md.includes('| MEDST | 2 | 0.850 ± 0.050 | 0.550 ± 0.050 |'));
});

test('written and read back with the rows; an old version is refused with a clear message', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-results-'));
  writeComparison(dir, results);
  const back = readComparison(dir);
  t.deepEqual(back.runs, results.runs);
  t.deepEqual(back.rows!.map((r) => r.name), ['majority', 'raw_pixels', 'random', 'medst']);
  const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
  t.true(html.includes('after each epoch'));
  t.true(html.includes('<td>(ref) RAW_PIXELS</td><td>–</td><td>0.840</td><td>0.500</td>'), 'the report has an HTML table with the reference rows marked');
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ ...results, version: 1 }));
  t.throws(() => readComparison(dir), { message: /version 1, expected 2/ });
});
