/**
 * Benchmark runner: `npm run bench` runs every case, `npm run bench -- NAME...`
 * the named ones. Initialises the backend first (its line goes to stderr), then
 * prints one figures table per case.
 */
import { initBackend } from '../lib/backend.ts';
import { rowsToFrame, tableText } from '../lib/viz/table.ts';
import type { BenchCase } from './case.ts';
import { decodeResizeCase } from './decode_resize.ts';
import { imitateStepCase } from './imitate_step.ts';
import { medstStepCase } from './medst_step.ts';
import { mpmaStepCase } from './mpma_step.ts';
import { priorStepCase } from './prior_step.ts';
import { storeReadCase } from './store_read.ts';
import { benchSynth } from './synth.ts';

const cases: BenchCase[] = [
  storeReadCase,
  decodeResizeCase,
  medstStepCase,
  priorStepCase,
  imitateStepCase,
  mpmaStepCase,
  { name: 'synth', run: async () => (await benchSynth()).figures },
];

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = wanted.filter((name) => !cases.some((c) => c.name === name));
if (unknown.length > 0) {
  console.error(`unknown bench case ${unknown.map((n) => `"${n}"`).join(', ')}; cases: ${cases.map((c) => c.name).join(', ')}`);
  process.exit(2);
}

await initBackend();
for (const benchCase of cases) {
  if (wanted.length > 0 && !wanted.includes(benchCase.name)) continue;
  const started = performance.now();
  const figures = await benchCase.run();
  const seconds = (performance.now() - started) / 1000;
  const rows = Object.entries(figures).map(([figure, value]) => ({ figure, value }));
  console.log(`\n## ${benchCase.name} (${seconds.toFixed(1)} s)`);
  console.log(tableText(rowsToFrame(rows), { maxRows: 1000, digits: 4 }));
}
