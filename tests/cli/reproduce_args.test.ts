/**
 * `npm run reproduce`'s list options: repeating `--seeds` or `--variants` adds to the
 * list (commander alone keeps only the last, so `--seeds 1 --seeds 2` silently ran seed 2
 * only). Each case fails on a value the last-wins reading would drop, before any work.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function reproduce(args: string[]): { status: number | null; stderr: string } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-reproduce-args-'));
  try {
    // A last-wins parser would start a real run here: the timeout turns that into a failure.
    const run = spawnSync(process.execPath, ['--import=tsx', path.join(ROOT, 'scripts', 'reproduce.ts'), ...args, '--work', work, '--out', work], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
    return { status: run.status, stderr: run.stderr };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

test('a repeated --seeds adds to the list (a bad first value is still checked)', (t) => {
  const run = reproduce(['--seeds', '0', '--seeds', '2']);
  t.is(run.status, 1);
  t.regex(run.stderr, /--seeds must be positive integers, got 0/);
});

test('a repeated --variants adds to the list (an unknown first name is still reported)', (t) => {
  const run = reproduce(['--variants', 'no_such_row', '--variants', 'global']);
  t.is(run.status, 1);
  t.regex(run.stderr, /unknown variant\(s\) no_such_row/);
});
