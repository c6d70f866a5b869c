/**
 * CLI: generate the synthetic longitudinal two-view cohort.
 *
 *   tsx data-prep/synth.ts --out data/synth --patients 200 --size 256 --seed 1
 *       [--noise 0.3] [--subtlety 0.3] [--label-noise 0.03] [--lateral-rate 0.7]
 *       [--max-studies 8] [--workers 2] [--quality 90]
 */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { generateCohort } from './synth/cohort.ts';
import { writeContactSheet } from './synth/contact_sheet.ts';
import { resolveSynthConfig, SYNTH_DEFAULTS } from './synth/config.ts';

function num(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`not a number: ${v}`);
  return n;
}

const program = new Command()
  .name('synth')
  .description('Generate the synthetic longitudinal frontal+lateral chest radiograph cohort (MIMIC-CXR-JPG, MS-CXR-T, RSNA and SIIM layouts).')
  .requiredOption('--out <dir>', 'output folder')
  .option('--patients <n>', 'number of patients', num, SYNTH_DEFAULTS.patients)
  .option('--size <px>', 'image side in pixels (128–512)', num, SYNTH_DEFAULTS.size)
  .option('--seed <s>', 'base seed', num, SYNTH_DEFAULTS.seed)
  .option('--noise <x>', 'image noise 0…1', num, SYNTH_DEFAULTS.noise)
  .option('--subtlety <x>', 'finding subtlety 0…1 (1 = faint)', num, SYNTH_DEFAULTS.subtlety)
  .option('--label-noise <p>', 'probability a report gets a finding wrong', num, SYNTH_DEFAULTS.labelNoise)
  .option('--lateral-rate <p>', 'fraction of studies with a lateral view', num, SYNTH_DEFAULTS.lateralRate)
  .option('--max-studies <n>', 'most studies per patient', num, SYNTH_DEFAULTS.maxStudies)
  .option('--quality <q>', 'JPEG quality', num, SYNTH_DEFAULTS.jpegQuality)
  .option('--workers <n>', 'render threads (0 = main thread; default: one per core)', num)
  .option('--contact-sheet <png>', 'also write a contact sheet PNG of the cohort')
  .parse();

const o = program.opts<{
  out: string; patients: number; size: number; seed: number; noise: number; subtlety: number; labelNoise: number;
  lateralRate: number; maxStudies: number; quality: number; workers?: number; contactSheet?: string;
}>();

const cfg = resolveSynthConfig({
  out: o.out, patients: o.patients, size: o.size, seed: o.seed, noise: o.noise, subtlety: o.subtlety, labelNoise: o.labelNoise,
  lateralRate: o.lateralRate, maxStudies: o.maxStudies, jpegQuality: o.quality,
  workers: o.workers ?? Math.max(1, availableParallelism()),
});

const t0 = performance.now();
let last = 0;
const summary = await generateCohort(cfg, (done, total) => {
  const now = performance.now();
  if (done === total || now - last > 500) {
    last = now;
    const rate = done / ((now - t0) / 1000);
    process.stderr.write(`\rsynth: ${done}/${total} patients  ${rate.toFixed(1)} patients/s  ETA ${((total - done) / Math.max(rate, 1e-9)).toFixed(0)}s   `);
  }
});
process.stderr.write('\n');
console.log(
  [
    `wrote ${cfg.out}`,
    `  patients ${summary.patients} (train ${summary.splits.train}, validate ${summary.splits.validate}, test ${summary.splits.test})`,
    `  studies ${summary.studies}, images ${summary.images} (${summary.laterals} lateral, ${((100 * summary.laterals) / summary.studies).toFixed(0)}% of studies)`,
    `  MS-CXR-T temporal pairs ${summary.temporalPairs}, sentence pairs ${summary.sentencePairs}`,
    `  ${summary.seconds.toFixed(1)} s, ${(summary.patients / summary.seconds).toFixed(1)} patients/s`,
  ].join('\n'),
);
if (o.contactSheet) {
  const followed = await writeContactSheet(cfg.out, o.contactSheet);
  console.log(`  contact sheet ${o.contactSheet} (follows subject ${followed})`);
}
