/**
 * The simple-to-complex stage schedule of Med-ST (methods §1.5) as typed data:
 * each stage names its active losses with weights, epochs, chunk length and
 * learning rate. The schedule is printed at the start of training and stored in
 * every checkpoint.
 *
 * Learning rate inside a stage: linear warm-up from 0 over `warmupFraction` of
 * the stage's steps, then cosine decay to `minLearningRate` (the paper's recipe,
 * §1.7, applied per stage so that each new objective starts gently).
 */

/**
 * A loss term's name. Each method declares the names it computes
 * (`PretrainingMethod.lossNames`); a schedule is checked against them.
 */
export type LossName = string;

/** One stage of training. */
export interface StageConfig {
  name: string;
  epochs: number;
  /** Weight λ of each active loss; a loss not listed (or weight 0) is off. */
  losses: Record<LossName, number>;
  /** T: steps per temporal chunk in this stage. */
  chunkLength: number;
  /** Peak learning rate. */
  learningRate: number;
  /** Fraction of the stage's steps spent warming up (0..1). */
  warmupFraction: number;
  /** Learning rate at the end of the cosine (default 0). */
  minLearningRate?: number;
}

/**
 * The default curriculum: global + local alignment, then + forward mapping
 * classification (chunks of 3), then + reverse mapping regression (chunks of 4).
 */
export const DEFAULT_CURRICULUM = [
  { name: 'align', epochs: 2, losses: { global: 1, local: 1 }, chunkLength: 2, learningRate: 4e-5, warmupFraction: 0.4 },
  { name: 'align+fmc', epochs: 2, losses: { global: 1, local: 1, fmc: 1 }, chunkLength: 3, learningRate: 4e-5, warmupFraction: 0.2 },
  { name: 'align+fmc+rmr', epochs: 4, losses: { global: 1, local: 1, fmc: 1, rmr: 1 }, chunkLength: 4, learningRate: 4e-5, warmupFraction: 0.2 },
] as const satisfies readonly StageConfig[];

/** What a schedule is checked against: the method's loss names and its own rule for a stage. */
export interface ScheduleRules {
  /** The loss names the method computes, in the order terms are reported. */
  lossNames: readonly LossName[];
  /** A reason the method cannot run a stage (e.g. temporal losses on chunks of 1), or null. */
  checkStage?: (stage: StageConfig) => string | null;
}

/** Checks a schedule against a method's rules; throws naming the stage and field. */
export function validateSchedule(stages: readonly StageConfig[], rules: ScheduleRules): void {
  if (stages.length === 0) throw new Error('schedule: at least one stage is needed');
  stages.forEach((stage, i) => {
    const where = `schedule: stage ${i + 1} ("${stage.name}")`;
    if (!Number.isInteger(stage.epochs) || stage.epochs < 1) throw new Error(`${where}: epochs must be a positive integer, got ${stage.epochs}`);
    if (!Number.isInteger(stage.chunkLength) || stage.chunkLength < 1) throw new Error(`${where}: chunkLength must be a positive integer, got ${stage.chunkLength}`);
    if (!(stage.learningRate > 0)) throw new Error(`${where}: learningRate must be positive, got ${stage.learningRate}`);
    if (!(stage.warmupFraction >= 0 && stage.warmupFraction < 1)) throw new Error(`${where}: warmupFraction must be in [0, 1), got ${stage.warmupFraction}`);
    for (const [name, weight] of Object.entries(stage.losses)) {
      if (!rules.lossNames.includes(name)) throw new Error(`${where}: unknown loss "${name}" (this method computes: ${rules.lossNames.join(', ')})`);
      if (!(typeof weight === 'number' && weight >= 0)) throw new Error(`${where}: weight of ${name} must be a non-negative number, got ${weight}`);
    }
    if (activeLosses(stage, rules.lossNames).length === 0) throw new Error(`${where}: no active loss`);
    const problem = rules.checkStage?.(stage) ?? null;
    if (problem) throw new Error(`${where}: ${problem}`);
  });
}

/** The losses a stage switches on, in the method's order (else the stage's own). */
export function activeLosses(stage: StageConfig, order: readonly LossName[] = Object.keys(stage.losses)): LossName[] {
  return order.filter((name) => (stage.losses[name] ?? 0) > 0);
}

/**
 * Learning rate at step `step` (0-based) of a stage with `totalSteps` steps:
 * linear warm-up to the peak, then cosine decay to the minimum.
 */
export function learningRateAt(stage: StageConfig, step: number, totalSteps: number): number {
  const peak = stage.learningRate;
  const floor = stage.minLearningRate ?? 0;
  const warmup = Math.floor(stage.warmupFraction * totalSteps);
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const decaySteps = Math.max(1, totalSteps - warmup);
  const progress = Math.min(1, (step - warmup) / decaySteps);
  return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
}

/** A printable table of the schedule. */
export function describeSchedule(stages: readonly StageConfig[]): string {
  const lines = ['stage  name               epochs  T  lr        warm-up  losses (weight)'];
  stages.forEach((stage, i) => {
    const losses = activeLosses(stage).map((l) => `${l}×${stage.losses[l]}`).join(' + ');
    lines.push(
      `${String(i + 1).padEnd(7)}${stage.name.padEnd(19)}${String(stage.epochs).padEnd(8)}${String(stage.chunkLength).padEnd(3)}${stage.learningRate.toExponential(1).padEnd(10)}${`${Math.round(stage.warmupFraction * 100)}%`.padEnd(9)}${losses}`,
    );
  });
  return lines.join('\n');
}
