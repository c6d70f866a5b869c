/**
 * The notebooks stay clean in git: the committed files carry no outputs, and the
 * clean filter (scripts/strip_notebook.py, registered by `npm run setup`) turns a
 * notebook run in JupyterLab back into exactly the committed bytes.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const notebooks = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((name) => name.endsWith('.ipynb')).sort();
const python = path.join(ROOT, '.venv', 'bin', 'python');

interface Notebook {
  cells: Array<{ cell_type: string; outputs?: unknown[]; execution_count?: number | null; metadata: Record<string, unknown> }>;
  metadata: Record<string, Record<string, unknown>>;
}

test('the committed notebooks carry no outputs or execution counts', (t) => {
  t.true(notebooks.length >= 6);
  for (const name of notebooks) {
    const nb = JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', name), 'utf8')) as Notebook;
    for (const cell of nb.cells.filter((c) => c.cell_type === 'code')) {
      t.deepEqual(cell.outputs, [], name);
      t.is(cell.execution_count, null, name);
    }
  }
});

test('the clean filter turns a run notebook back into the committed bytes', (t) => {
  t.true(fs.existsSync(python), 'run `npm run setup` first (it creates .venv)');
  for (const name of notebooks) {
    const committed = fs.readFileSync(path.join(ROOT, 'notebooks', name), 'utf8');
    const run = JSON.parse(committed) as Notebook;
    // What JupyterLab saves after a run: outputs, counts, cell metadata, the kernel's language_info.
    run.cells.forEach((cell, i) => {
      if (cell.cell_type !== 'code') return;
      cell.execution_count = i + 1;
      cell.outputs = [{ output_type: 'stream', name: 'stdout', text: ['hello\n'] }, { output_type: 'display_data', data: { 'text/html': '<b>x</b>' }, metadata: {} }];
      cell.metadata = { execution: { 'iopub.status.busy': '2026-12-01T00:00:00Z' }, scrolled: true };
    });
    run.metadata['language_info'] = { ...run.metadata['language_info'], codemirror_mode: { mode: 'typescript' }, version: '3.7.2' };
    const cleaned = spawnSync(python, [path.join(ROOT, 'scripts', 'strip_notebook.py')], { input: JSON.stringify(run, null, 1), encoding: 'utf8' });
    t.is(cleaned.status, 0, cleaned.stderr);
    t.is(cleaned.stdout, committed, name);
  }
});

test('git sends the notebooks through the filter', (t) => {
  if (!fs.existsSync(path.join(ROOT, '.git'))) return t.pass('not a git checkout');
  const attr = spawnSync('git', ['check-attr', 'filter', 'notebooks/02-pretraining.ipynb'], { cwd: ROOT, encoding: 'utf8' });
  t.regex(attr.stdout, /filter: medst-strip/);
});
