#!/usr/bin/env node
// `npm run prepare -- ARGS` runs the dataset preparation CLI (data-prep/prepare.ts).
// npm also runs a script named "prepare" by itself after `npm install`; there it
// does nothing, since preparing a dataset needs arguments.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.env.npm_command !== 'run-script' && process.env.npm_command !== 'run') process.exit(0);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// sharp decodes on libuv's thread pool, sized once when a process starts (4 threads by
// default): give the CLI process a thread per image in flight (--concurrency, or the default).
const args = process.argv.slice(2);
const flagAt = args.findIndex((arg) => arg === '--concurrency' || arg.startsWith('--concurrency='));
const flag = flagAt < 0 ? NaN : Number(args[flagAt].includes('=') ? args[flagAt].split('=')[1] : args[flagAt + 1]);
(await import('tsx/esm/api')).register(); // after the install-time exit above
const { defaultPrepareConcurrency } = await import('../lib/data/prepare_concurrency.ts');
const threads = process.env.UV_THREADPOOL_SIZE ?? String(Math.max(4, Number.isInteger(flag) ? flag : defaultPrepareConcurrency()));
const env = { ...process.env, UV_THREADPOOL_SIZE: threads };
const result = spawnSync(process.execPath, ['--import=tsx', path.join(root, 'data-prep', 'prepare.ts'), ...args], { stdio: 'inherit', cwd: process.cwd(), env });
process.exit(result.status ?? 1);
