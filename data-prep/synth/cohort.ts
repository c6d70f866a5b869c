/**
 * Whole-cohort generation: patients (in-process or on worker threads), then
 * the CSV files assembled in patient-index order, so the bytes written do not
 * depend on the number of workers or on which worker finished first.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { deriveSeed } from '../../lib/util/rng.ts';
import type { SynthConfig } from './config.ts';
import { generatePatient, type PatientResult } from './patient.ts';
import { sentencePairs } from './sentences.ts';
import {
  CHEXPERT_COLUMNS, csvText, FILES, METADATA_COLUMNS, RSNA_COLUMNS, SENTENCE_COLUMNS, SIIM_HEADER, SPLIT_COLUMNS, TEMPORAL_COLUMNS,
} from './writers.ts';

export interface CohortSummary {
  patients: number;
  studies: number;
  images: number;
  laterals: number;
  temporalPairs: number;
  sentencePairs: number;
  seconds: number;
  splits: Record<'train' | 'validate' | 'test', number>;
}

export type ProgressFn = (done: number, total: number) => void;

/** Run patients on `n` worker threads; results come back keyed by index. */
async function runOnWorkers(cfg: SynthConfig, n: number, onDone: (r: PatientResult) => void): Promise<void> {
  // Workers do not inherit the parent's TypeScript loader on Node 20, so each
  // one registers tsx itself before importing the worker module.
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); });`;
  let next = 0;
  const workers = Array.from({ length: Math.min(n, cfg.patients) }, () => new Worker(boot, { eval: true, workerData: cfg }));
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      const feed = (): void => {
        if (next >= cfg.patients) {
          resolve();
          return;
        }
        w.postMessage(next++);
      };
      w.on('message', (r: PatientResult) => {
        onDone(r);
        feed();
      });
      w.on('error', reject);
      w.on('exit', (code) => (code !== 0 ? reject(new Error(`synth worker exited with code ${code}`)) : undefined));
      feed();
    })));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Generate the cohort into cfg.out; returns counts and timing. */
export async function generateCohort(cfg: SynthConfig, onProgress?: ProgressFn): Promise<CohortSummary> {
  const t0 = performance.now();
  await mkdir(cfg.out, { recursive: true });
  const results: PatientResult[] = new Array(cfg.patients);
  let done = 0;
  const collect = (r: PatientResult): void => {
    results[r.index] = r;
    onProgress?.(++done, cfg.patients);
  };
  if (cfg.workers > 0) await runOnWorkers(cfg, cfg.workers, collect);
  else for (let i = 0; i < cfg.patients; i++) collect(await generatePatient(cfg, i));

  const all = <K extends 'metadata' | 'split' | 'chexpert' | 'temporal' | 'rsna' | 'siim'>(k: K): PatientResult[K] => results.flatMap((r) => r[k]);
  const sentences = sentencePairs(results.flatMap((r) => r.changes), deriveSeed(cfg.seed, 3));
  const write = (name: string, text: string): Promise<void> => writeFile(join(cfg.out, name), text);
  const { out: _out, workers: _w, ...recorded } = cfg;
  await Promise.all([
    write(FILES.metadata, csvText(METADATA_COLUMNS, all('metadata'))),
    write(FILES.split, csvText(SPLIT_COLUMNS, all('split'))),
    write(FILES.chexpert, csvText(CHEXPERT_COLUMNS, all('chexpert'))),
    write(FILES.temporal, csvText(TEMPORAL_COLUMNS, all('temporal'))),
    write(FILES.sentences, csvText(SENTENCE_COLUMNS, sentences)),
    write(FILES.rsna, csvText(RSNA_COLUMNS, all('rsna'))),
    write(FILES.siim, csvText(SIIM_HEADER, all('siim'))),
    write(FILES.groundTruth, results.flatMap((r) => r.groundTruth).map((l) => `${l}\n`).join('')),
    // The output folder and thread count are left out so reruns elsewhere stay byte-identical.
    write(FILES.config, `${JSON.stringify(recorded, null, 2)}\n`),
  ]);
  const splits = { train: 0, validate: 0, test: 0 };
  const seen = new Set<number>();
  for (const row of all('split')) {
    const subject = Number(row[2]);
    if (!seen.has(subject)) {
      seen.add(subject);
      splits[row[3] as 'train' | 'validate' | 'test']++;
    }
  }
  return {
    patients: cfg.patients,
    studies: results.reduce((a, r) => a + r.studies, 0),
    images: results.reduce((a, r) => a + r.images, 0),
    laterals: all('metadata').filter((r) => r[4] === 'LATERAL' || r[4] === 'LL').length,
    temporalPairs: all('temporal').length,
    sentencePairs: sentences.length,
    seconds: (performance.now() - t0) / 1000,
    splits,
  };
}
