/**
 * One training progress display for the CLI and the notebooks: per stage, a
 * bar with steps done and left, the loss and each term, pairs/s and the time
 * left. In a terminal it is a cli-progress bar (log lines print above it); in
 * a notebook an HTML output redrawn in place; elsewhere (pipes, CI logs) a
 * line every `lineEvery` steps.
 */
import cliProgress from 'cli-progress';
import { displayBundle, inNotebook } from '../viz/notebook_display.ts';
import { escapeHtml } from '../viz/plotly.ts';
import type { StageConfig } from './schedule.ts';
import type { StepRecord, TrainHooks } from './trainer.ts';

/** Where progress goes: 'auto' picks notebook, terminal or lines; 'none' shows no progress, only the run's log lines (resume, checkpoints, the final model). */
export type ProgressMode = 'auto' | 'notebook' | 'terminal' | 'lines' | 'none';

/** The hooks to pass to `train` / `runPretraining`, and `stop` for the end (or an error). */
export interface TrainingProgress extends Required<Pick<TrainHooks, 'onStep' | 'onStageStart' | 'log'>> {
  stop(): void;
}

export interface TrainingProgressOptions {
  mode?: ProgressMode;
  /** In 'lines' mode, print every this many steps (default 10). */
  lineEvery?: number;
  /** Least time between two notebook redraws (default 250 ms). */
  redrawMs?: number;
}

/** What the display shows for the stage in progress. */
interface StageState {
  label: string;
  total: number;
  done: number;
  started: number;
  last: StepRecord | null;
}

const fmt = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(3));

/** `loss 7.314 · global 5.42 local 0.021 …` for one step. */
export function describeStep(record: StepRecord): string {
  const terms = Object.entries(record.terms).map(([name, value]) => `${name} ${fmt(value)}`).join(' ');
  return `loss ${fmt(record.loss)} · ${terms}`;
}

function eta(state: StageState): string {
  if (state.done === 0) return '–';
  const seconds = ((Date.now() - state.started) / 1000 / state.done) * (state.total - state.done);
  const m = Math.floor(seconds / 60);
  return `${m}:${String(Math.round(seconds % 60)).padStart(2, '0')}`;
}

/** The notebook display's HTML for a stage (pure; tested). */
export function progressHtml(state: StageState, logLines: readonly string[]): string {
  const percent = state.total > 0 ? Math.min(100, (100 * state.done) / state.total) : 0;
  const detail = state.last ? `${describeStep(state.last)} · ${state.last.pairsPerSecond.toFixed(1)} pairs/s` : 'starting…';
  return (
    `<div class="medst-progress" style="font-family:monospace;font-size:12px;max-width:900px">` +
    `<div>${escapeHtml(state.label)} · step ${state.done}/${state.total} · ${eta(state)} left</div>` +
    `<div style="background:#e0e0e0;height:10px;border-radius:3px"><div style="background:#1f77b4;height:10px;border-radius:3px;width:${percent.toFixed(1)}%"></div></div>` +
    `<div>${escapeHtml(detail)}</div>` +
    logLines.map((line) => `<div style="color:#666">${escapeHtml(line)}</div>`).join('') +
    `</div>`
  );
}

/**
 * Progress hooks for a training run.
 * @example
 * const progress = trainingProgress();
 * try { await runPretraining(config, progress); } finally { progress.stop(); }
 */
export function trainingProgress(options: TrainingProgressOptions = {}): TrainingProgress {
  const requested = options.mode ?? 'auto';
  const mode: Exclude<ProgressMode, 'auto'> = requested !== 'auto' ? requested : inNotebook() ? 'notebook' : process.stdout.isTTY ? 'terminal' : 'lines';
  const lineEvery = options.lineEvery ?? 10;
  const redrawMs = options.redrawMs ?? 250;
  let state: StageState | null = null;
  const logLines: string[] = [];

  if (mode === 'terminal') {
    // A MultiBar so that log lines (checkpoints, skipped steps) print above the bar.
    const bars = new cliProgress.MultiBar(
      { format: '{stage} |{bar}| {value}/{total} steps | {detail} | {pps} pairs/s | {eta_formatted} left', hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    let bar: cliProgress.SingleBar | null = null;
    return {
      onStageStart: (stage, index, steps) => {
        bar?.stop();
        bar = bars.create(steps, 0, { stage: `${index + 1}:${stage.name}`, detail: '-', pps: '-' });
      },
      onStep: (record) => bar?.increment(1, { detail: describeStep(record), pps: record.pairsPerSecond.toFixed(1) }),
      log: (line) => bars.log(`${line}\n`),
      stop: () => bars.stop(),
    };
  }

  const displayId = `medst-progress-${process.pid}-${Date.now()}`;
  let shown = false;
  let lastDraw = 0;
  const draw = (force: boolean): void => {
    if (!state || (!force && Date.now() - lastDraw < redrawMs)) return;
    lastDraw = Date.now();
    displayBundle({ 'text/html': progressHtml(state, logLines), 'text/plain': `${state.label} ${state.done}/${state.total}` }, { displayId, update: shown });
    shown = true;
  };
  // In a notebook the display takes its place at once (above what the cell shows later), waiting for the first stage.
  if (mode === 'notebook') {
    displayBundle({ 'text/html': '<div class="medst-progress" style="font-family:monospace;font-size:12px">training: starting…</div>', 'text/plain': 'training: starting' }, { displayId });
    shown = true;
  }
  const startStage = (stage: StageConfig, index: number, steps: number): void => {
    state = { label: `stage ${index + 1}: ${stage.name}`, total: steps, done: 0, started: Date.now(), last: null };
    if (mode === 'notebook') draw(true);
    else if (mode === 'lines') console.log(`${state.label} (${steps} steps)`);
  };
  return {
    onStageStart: startStage,
    onStep: (record) => {
      if (!state) return;
      state.done += 1;
      state.last = record;
      if (mode === 'notebook') draw(state.done === state.total);
      else if (mode === 'lines' && (record.step % lineEvery === 0 || state.done === state.total)) {
        console.log(`step ${record.step} [${record.stageName}] ${describeStep(record)} · lr ${record.learningRate.toExponential(2)} · ${record.pairsPerSecond.toFixed(1)} pairs/s`);
      }
    },
    log: (line) => {
      if (mode === 'notebook') {
        logLines.push(line);
        draw(true);
      } else if (mode === 'lines' || mode === 'none') console.log(line);
    },
    stop: () => {
      if (mode === 'notebook') draw(true);
    },
  };
}

/** Calls every given hook set in order (e.g. a progress display and a notebook's own plots). */
export function composeHooks(...sets: TrainHooks[]): TrainHooks {
  const merged: TrainHooks = {};
  const defined = <K extends keyof TrainHooks>(key: K) => sets.map((set) => set[key]).filter((hook) => hook !== undefined);
  const onStep = defined('onStep');
  if (onStep.length) merged.onStep = (record) => onStep.forEach((hook) => hook!(record));
  const onStageStart = defined('onStageStart');
  if (onStageStart.length) merged.onStageStart = (stage, index, steps) => onStageStart.forEach((hook) => hook!(stage, index, steps));
  const onCheckpoint = defined('onCheckpoint');
  if (onCheckpoint.length) merged.onCheckpoint = (dir, position) => onCheckpoint.forEach((hook) => hook!(dir, position));
  const onEpochEnd = defined('onEpochEnd');
  if (onEpochEnd.length) merged.onEpochEnd = async (info) => { for (const hook of onEpochEnd) await hook!(info); };
  const log = defined('log');
  if (log.length) merged.log = (line) => log.forEach((hook) => hook!(line));
  for (const set of sets) {
    if (set.signal) merged.signal = set.signal;
    if (set.stopAfterSteps !== undefined) merged.stopAfterSteps = set.stopAfterSteps;
  }
  return merged;
}
