/**
 * `npm run pretrain -- --config FILE`: staged pre-training of any registered
 * method from a run config (configs/pretrain-cpu.json: Med-ST;
 * configs/pretrain-prior-cpu.json: PRIOR; configs/pretrain-imitate-cpu.json: IMITATE;
 * configs/pretrain-mpma-cpu.json: MPMA). Resumes from the run folder's last
 * checkpoint; Ctrl-C stops before the next step with a checkpoint (twice: at once).
 */
import { Command } from 'commander';
import { initBackend } from '../lib/backend.ts';
import { trainingProgress } from '../lib/train/progress.ts';
import { readPretrainConfig, runPretraining } from '../lib/train/run.ts';
import { TrainingInterrupted } from '../lib/train/trainer.ts';

const options = new Command()
  .name('pretrain')
  .description('Staged pre-training of a registered method (the config names it: medst, prior) on a prepared dataset.')
  .requiredOption('--config <file>', 'run config JSON (data, model preset, stages, trainer settings, output folder)')
  .option('--quiet', 'no progress bar', false)
  .parse()
  .opts<{ config: string; quiet: boolean }>();

await initBackend();
const config = readPretrainConfig(options.config);
const progress = trainingProgress({ mode: options.quiet ? 'none' : 'auto' });
const started = Date.now();
try {
  const { result, method } = await runPretraining(config, progress);
  progress.stop();
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  console.log(`pretrain: ${result.finished ? 'finished' : 'stopped'} at step ${result.position.step} in ${minutes} min; metrics in ${config.out}/metrics.jsonl`);
  method.dispose();
} catch (error) {
  progress.stop();
  console.error(`pretrain: ${(error as Error).message}`);
  process.exit(error instanceof TrainingInterrupted ? 130 : 1);
}
