/**
 * `npm run pretrain -- --config FILE`: staged Med-ST pre-training from a run config
 * (see configs/pretrain-cpu.json). Resumes from the run folder's last checkpoint.
 */
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { initBackend } from '../lib/backend.ts';
import { readPretrainConfig, runPretraining } from '../lib/train/run.ts';
import type { StepRecord } from '../lib/train/trainer.ts';

const options = new Command()
  .name('pretrain')
  .description('Staged Med-ST pre-training (global + local → +FMC → +RMR) on a prepared dataset.')
  .requiredOption('--config <file>', 'run config JSON (data, model preset, stages, trainer settings, output folder)')
  .option('--quiet', 'no progress bar', false)
  .parse()
  .opts<{ config: string; quiet: boolean }>();

await initBackend();
const config = readPretrainConfig(options.config);
// A MultiBar so that log lines (checkpoints, skipped steps) print above the bar.
const bars = options.quiet || !process.stdout.isTTY ? null : new cliProgress.MultiBar(
  { format: '{stage} |{bar}| {value}/{total} steps | loss {loss} | {terms} | {pps} pairs/s | {eta_formatted} left', hideCursor: true, clearOnComplete: false },
  cliProgress.Presets.shades_classic,
);
let bar: cliProgress.SingleBar | null = null;
const started = Date.now();
const fmt = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
const onStep = (r: StepRecord) => {
  const terms = Object.entries(r.terms).map(([k, v]) => `${k} ${fmt(v)}`).join(' ');
  if (bar) bar.increment(1, { stage: r.stageName, loss: fmt(r.loss), terms, pps: r.pairsPerSecond.toFixed(1) });
  else if (r.step % 10 === 0) console.log(`step ${r.step} [${r.stageName}] loss ${fmt(r.loss)} (${terms}) lr ${r.learningRate.toExponential(2)} ${r.pairsPerSecond.toFixed(1)} pairs/s`);
};
try {
  const { result, method } = await runPretraining(config, {
    onStep,
    onStageStart: (stage, index, steps) => {
      if (bars) bar = bars.create(steps, 0, { stage: `${index + 1}:${stage.name}`, loss: '-', terms: '', pps: '-' });
      else console.log(`stage ${index + 1}: ${stage.name} (${steps} steps)`);
    },
    log: (line) => (bars ? bars.log(`${line}\n`) : console.log(line)),
  });
  bars?.stop();
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  console.log(`pretrain: ${result.finished ? 'finished' : 'stopped'} at step ${result.position.step} in ${minutes} min; metrics in ${config.out}/metrics.jsonl`);
  method.dispose();
} catch (error) {
  bars?.stop();
  console.error(`pretrain: ${(error as Error).message}`);
  process.exit(1);
}
