/**
 * The headless notebook runner: an executed notebook keeps the plotly bundle and
 * its HTML fallback, and a failing cell fails the run naming notebook and cell.
 * Needs the Python side (`npm run setup`) and the built library (`npm run build`).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PLOTLY_MIME } from '../lib/viz/plotly.ts';

const root = path.resolve(import.meta.dirname, '..');
const python = path.join(root, '.venv', 'bin', 'python');

function notebook(cells: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'medst', display_name: 'TypeScript (medst)', language: 'typescript' } },
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  });
}

function runNotebook(name: string, cells: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-nb-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, notebook(cells));
  const result = spawnSync(python, [path.join(root, 'scripts', 'run_notebooks.py'), '--out', path.join(dir, 'out'), file], { encoding: 'utf8' });
  return { dir, file, result };
}

test.before((t) => {
  if (!fs.existsSync(python)) t.fail('.venv is missing: run `npm run setup` first');
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) t.fail('dist/ is missing: run `npm run build` first');
});

test.serial('an executed notebook holds the plotly mime bundle, with plotly.js loaded once in its HTML fallback', (t) => {
  const { dir, result } = runNotebook('plots.ipynb', [
    'import * as medst from "./dist/index.js";\nconst fig = { data: [{ x: [1, 2], y: [3, 4], type: "bar" }], layout: { title: { text: "bars" } } };\nmedst.showFigure(fig);',
    'medst.showFigure(fig);',
  ]);
  t.is(result.status, 0, result.stderr);
  t.regex(result.stdout, /notebooks: 1 passed, 0 failed/);
  const executed = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'plots.ipynb'), 'utf8'));
  const outputs = executed.cells.flatMap((c: { outputs: Array<{ output_type: string; data?: Record<string, unknown> }> }) => c.outputs);
  const displays = outputs.filter((o: { output_type: string }) => o.output_type === 'display_data');
  t.is(displays.length, 2);
  for (const d of displays) t.deepEqual(d.data[PLOTLY_MIME].data, [{ x: [1, 2], y: [3, 4], type: 'bar' }]);
  // nbformat stores multi-line strings as lists of lines.
  const html = displays.map((d: { data: Record<string, string | string[]> }) => [d.data['text/html']].flat().join(''));
  t.regex(html[0], /plotly\.js-dist/);
  t.notRegex(html[1], /plotly\.js-dist/, 'the second figure reuses the loaded plotly.js');
  const page = fs.readFileSync(path.join(dir, 'out', 'plots.html'), 'utf8');
  t.is(page.match(/\/\* plotly\.js-dist/g)?.length, 1);
  t.is(page.match(/window\.Plotly\.newPlot/g)?.length, 2);
});

test.serial('a failing cell fails the run with the notebook, the cell and the error named', (t) => {
  const { file, result } = runNotebook('broken.ipynb', ['const a = 1;', 'throw new Error("deliberate failure 42");', 'console.log("never");']);
  t.is(result.status, 1);
  t.true(result.stderr.includes(`NOTEBOOK FAILED: ${file}, cell 2 of 3`), result.stderr);
  t.regex(result.stderr, /deliberate failure 42/);
  t.notRegex(result.stdout, /passed/);
});

test.serial('a TypeScript compile error is a failing cell too', (t) => {
  const { result } = runNotebook('types.ipynb', ['const n: number = "not a number";']);
  t.is(result.status, 1);
  t.regex(result.stderr, /cell 1 of 1/);
  t.regex(result.stderr, /not assignable to type 'number'/);
});

test.serial('a live figure is HTML redrawn in place, after one output that puts plotly.js into the page', (t) => {
  const { dir, result } = runNotebook('live.ipynb', [
    'import * as medst from "./dist/index.js";\nconst live = medst.liveFigure({ data: [{ y: [1], type: "scatter" }] });',
    'live.update({ data: [{ y: [1, 2], type: "scatter" }] });\nlive.update({ data: [{ y: [1, 2, 3], type: "scatter" }] });',
  ]);
  t.is(result.status, 0, result.stderr);
  const executed = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'live.ipynb'), 'utf8'));
  const displays = executed.cells.flatMap((c: { outputs: Array<{ output_type: string; data?: Record<string, unknown> }> }) => c.outputs).filter((o: { output_type: string }) => o.output_type === 'display_data');
  t.is(displays.length, 2, 'the plotly.js loader, then the figure updated in place');
  t.regex([displays[0].data['text/html']].flat().join(''), /plotly\.js-dist-min/);
  const figure = displays[1].data;
  // No plotly mime type: JupyterLab's plotly renderer would ignore the updates.
  t.false(PLOTLY_MIME in figure);
  const html = [figure['text/html']].flat().join('');
  t.regex(html, /"y":\[1,2,3\]/, 'the last update');
  t.notRegex(html, /plotly\.js-dist/, 'the loader is not repeated with every update');
});
