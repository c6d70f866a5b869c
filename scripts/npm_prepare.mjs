#!/usr/bin/env node
// `npm run prepare -- ARGS` runs the dataset preparation CLI (data-prep/prepare.ts).
// npm also runs a script named "prepare" by itself after `npm install`; there it
// does nothing, since preparing a dataset needs arguments.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.env.npm_command !== 'run-script' && process.env.npm_command !== 'run') process.exit(0);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const result = spawnSync(process.execPath, ['--import=tsx', path.join(root, 'data-prep', 'prepare.ts'), ...args], { stdio: 'inherit', cwd: process.cwd() });
process.exit(result.status ?? 1);
