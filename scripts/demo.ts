/**
 * `npm run demo`: the main job on the synthetic cohort.
 * Today: the environment check notebook (backend, a tensor computation, a plot, a table),
 * executed and exported to HTML. Later stages (cohort, pre-training, evaluation, report)
 * are added as they land.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { initBackend } from '../lib/backend.ts';

const root = path.resolve(import.meta.dirname, '..');

function step(title: string, cmd: string, args: string[]): void {
  const started = Date.now();
  console.log(`\n[demo] ${title}`);
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[demo] FAILED: ${title}`);
    process.exit(result.status ?? 1);
  }
  console.log(`[demo] done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

await initBackend();
step('executing notebooks/00-environment.ipynb', path.join(root, '.venv', 'bin', 'python'), [
  path.join(root, 'scripts', 'run_notebooks.py'),
  '--out',
  path.join(root, 'out', 'demo'),
  path.join(root, 'notebooks', '00-environment.ipynb'),
]);
console.log(`\n[demo] report: ${path.join(root, 'out', 'demo', '00-environment.html')}`);
