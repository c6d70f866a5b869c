/**
 * The command line with each later method's config (PRIOR, IMITATE, MPMA): `npm run
 * pretrain` trains it, a SIGKILL mid-run loses only the steps after the last
 * checkpoint (the rerun resumes there and finishes), and `npm run evaluate`
 * evaluates its checkpoint beside the reference rows. Runs the scripts as the
 * user does (node + tsx).
 */
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCohort } from '../../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import { prepareDataset } from '../../lib/data/prepare.ts';
import { readMetrics } from '../../lib/train/trainer.ts';
import { nativeBackend } from '../helpers/tf.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const script = (name: string) => path.join(ROOT, 'scripts', `${name}.ts`);
let dir = '';
const PRIOR_ALL = { global: 10, local_image: 1, local_text: 1, spb: 10, image_recon: 1, report_recon: 10, report_kl: 1, report_global: 1 };
/** Two stages per method, so the resume crosses a stage boundary. */
const STAGES = {
  prior: [
    { name: 'align', epochs: 3, losses: { global: 1, local_image: 1, local_text: 1 }, chunkLength: 1, learningRate: 1e-3, warmupFraction: 0.1 },
    { name: 'all', epochs: 3, losses: PRIOR_ALL, chunkLength: 1, learningRate: 5e-4, warmupFraction: 0.1 },
  ],
  imitate: [
    { name: 'impression', epochs: 3, losses: { impression: 1, impression_views: 1 }, chunkLength: 1, learningRate: 1e-3, warmupFraction: 0.1 },
    { name: 'all', epochs: 3, losses: { impression: 1, findings: 1, impression_views: 1, findings_views: 1 }, chunkLength: 1, learningRate: 5e-4, warmupFraction: 0.1 },
  ],
  mpma: [
    { name: 'masking', epochs: 3, losses: { mim: 1, mlm: 1 }, chunkLength: 1, learningRate: 1e-3, warmupFraction: 0.1 },
    { name: 'all', epochs: 3, losses: { global: 1, local: 1, mim: 1, mlm: 1 }, chunkLength: 1, learningRate: 5e-4, warmupFraction: 0.1 },
  ],
} as const;

test.before(async () => {
  await nativeBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-method-cli-'));
  await generateCohort(resolveSynthConfig({ out: path.join(dir, 'cohort'), patients: 30, size: 128, seed: 5, workers: 0, maxStudies: 6 }));
  await prepareDataset({ mimicRoot: path.join(dir, 'cohort'), outDir: path.join(dir, 'prepared'), size: 40 });
  for (const [method, stages] of Object.entries(STAGES)) {
    const config = { method, data: 'prepared', vocabSize: 300, model: { preset: 'quick', overrides: { seed: 2 } }, stages, trainer: { rowsPerBatch: 8, maxTokens: 48, seed: 2, gradClipNorm: 1, checkpointEvery: 4 }, out: `run-${method}` };
    fs.writeFileSync(path.join(dir, `${method}.json`), JSON.stringify(config));
  }
});

for (const method of Object.keys(STAGES) as Array<keyof typeof STAGES>) {
  test.serial(`npm run pretrain with the ${method} config: killed with SIGKILL, run again, it resumes and finishes`, async (t) => {
    const runDir = path.join(dir, `run-${method}`);
    const child = spawn(process.execPath, ['--import=tsx', script('pretrain'), '--config', path.join(dir, `${method}.json`), '--quiet'], { cwd: ROOT, stdio: 'ignore' });
    // Kill it once a checkpoint past step 4 exists and it has gone on training.
    const killedAt = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const steps = fs.existsSync(path.join(runDir, 'metrics.jsonl')) ? readMetrics(runDir).length : 0;
        if (steps >= 6) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve(steps);
        }
      }, 50);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('pretrain finished before it could be killed'));
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    t.false(fs.existsSync(path.join(runDir, 'final', 'model.safetensors')), 'killed before the end');
    const output = execFileSync(process.execPath, ['--import=tsx', script('pretrain'), '--config', path.join(dir, `${method}.json`), '--quiet'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    t.regex(output, /resuming from .*step-0000000[4-9]/);
    t.regex(output, new RegExp(`${method}: final model written to`));
    t.regex(output, /pretrain: finished at step \d+/);
    const metrics = readMetrics(runDir);
    t.deepEqual(metrics.map((m) => m.step), metrics.map((_, i) => i), `each step once (killed after ${killedAt} steps)`);
    t.deepEqual([...new Set(metrics.map((m) => m.stageName))], STAGES[method].map((s) => s.name));
    t.is(JSON.parse(fs.readFileSync(path.join(runDir, 'final', 'config.json'), 'utf8')).method, method);
  });

  test.serial(`npm run evaluate on the ${method} checkpoint: every headline metric beside the reference rows`, (t) => {
    const out = path.join(dir, `evaluation-${method}.json`);
    const printed = execFileSync(
      process.execPath,
      ['--import=tsx', script('evaluate'), '--model', path.join(dir, `run-${method}`, 'final'), '--prepared', path.join(dir, 'prepared'), '--cohort', path.join(dir, 'cohort'), '--image-size', '40', '--max-tokens', '48', '--quick', '--out', out],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.regex(printed, /Linear probe AUROC 100%/);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as { headline: Record<string, { value: number; n: number }>; references: Record<string, Record<string, { value: number }>> };
    t.true(result.headline['probe_auroc_100']!.value > 0 && result.headline['probe_auroc_100']!.n > 0);
    t.true(result.headline['i2t_r5'] !== undefined);
    t.deepEqual(Object.keys(result.references).sort(), ['majority', 'random', 'raw_pixels']);
    t.true(result.references['random']!['probe_auroc_100'] !== undefined, `${method}'s random init is a reference row`);
  });
}
