/**
 * Benchmark: synthetic cohort generation speed (200 patients at 256 px by
 * default, into a temp folder), extrapolated to 1,000 patients.
 * Runs standalone: `tsx bench/synth.ts [patients] [size]`.
 */
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateCohort } from '../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../data-prep/synth/config.ts';

export async function benchSynth(patients = 200, size = 256): Promise<{ name: string; figures: Record<string, number | string> }> {
  const out = await mkdtemp(join(tmpdir(), 'medst-bench-synth-'));
  const workers = Math.max(1, availableParallelism());
  try {
    const s = await generateCohort(resolveSynthConfig({ out, patients, size, seed: 1, workers }));
    const rate = s.patients / s.seconds;
    return {
      name: 'synth',
      figures: {
        patients: s.patients,
        size,
        workers,
        studies: s.studies,
        images: s.images,
        seconds: Number(s.seconds.toFixed(2)),
        patients_per_s: Number(rate.toFixed(2)),
        images_per_s: Number((s.images / s.seconds).toFixed(1)),
        seconds_for_1000_patients: Number((1000 / rate).toFixed(1)),
      },
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchSynth(Number(process.argv[2] ?? 200), Number(process.argv[3] ?? 256));
  console.log(JSON.stringify(r, null, 2));
}
