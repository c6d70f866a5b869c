/**
 * The Python the benchmarks compare against: $MEDST_BENCH_PYTHON, else
 * .venv-bench, else the project's .venv — the first that imports the needed
 * modules. Without one, .venv-bench is created from requirements-bench.txt.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

function canImport(python: string, modules: readonly string[]): boolean {
  if (python.includes('/') && !existsSync(python)) return false;
  return spawnSync(python, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' }).status === 0;
}

/** A Python that imports `modules`, or null with the reason (printed by the caller as a SKIP line). */
export function findBenchPython(caseName: string, modules: readonly string[]): { python: string | null; note: string } {
  const fromEnv = process.env.MEDST_BENCH_PYTHON;
  if (fromEnv) return canImport(fromEnv, modules) ? { python: fromEnv, note: 'MEDST_BENCH_PYTHON' } : { python: null, note: `MEDST_BENCH_PYTHON=${fromEnv} cannot import ${modules.join(', ')}` };
  const benchVenv = join(ROOT, '.venv-bench', 'bin', 'python');
  if (canImport(benchVenv, modules)) return { python: benchVenv, note: '.venv-bench' };
  const projectVenv = join(ROOT, '.venv', 'bin', 'python');
  if (canImport(projectVenv, modules)) return { python: projectVenv, note: '.venv' };
  console.error(`${caseName}: no Python with ${modules.join(', ')}; installing requirements-bench.txt into .venv-bench ...`);
  if (!existsSync(benchVenv)) {
    const created = spawnSync('python3', ['-m', 'venv', join(ROOT, '.venv-bench')], { stdio: 'inherit' });
    if (created.status !== 0) return { python: null, note: '`python3 -m venv .venv-bench` failed' };
  }
  const installed = spawnSync(join(ROOT, '.venv-bench', 'bin', 'pip'), ['install', '--retries', '0', '-r', join(ROOT, 'requirements-bench.txt')], { stdio: 'inherit' });
  if (installed.status !== 0 || !canImport(benchVenv, modules)) return { python: null, note: 'pip install -r requirements-bench.txt failed' };
  return { python: benchVenv, note: '.venv-bench (created)' };
}
