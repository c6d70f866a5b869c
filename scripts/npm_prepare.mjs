#!/usr/bin/env node
// `npm run prepare -- ARGS` runs the dataset preparation CLI (data-prep/prepare.ts).
// npm also runs a script named "prepare" by itself after `npm install`; there it
// does nothing, since preparing a dataset needs arguments.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.env.npm_command !== 'run-script' && process.env.npm_command !== 'run') process.exit(0);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// sharp decodes on libuv's thread pool, sized once at start-up (4 threads by default): give it
// a thread per image in flight (data-prep/prepare.ts --concurrency, default cores + 2).
const threads = process.env.UV_THREADPOOL_SIZE ?? String(Math.max(4, availableParallelism() + 2));
const env = { ...process.env, UV_THREADPOOL_SIZE: threads };
const result = spawnSync(process.execPath, ['--import=tsx', path.join(root, 'data-prep', 'prepare.ts'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: process.cwd(), env });
process.exit(result.status ?? 1);
