/**
 * Experiments as data files (`configs/experiments/*.json`): which rows a
 * comparison trains, with which method, model overrides and stage schedule.
 * Budgets are relative, so one file serves every regime: a stage lasts
 * `slots` × the regime's epochs per slot (rounded, at least one; slots may be
 * fractional), and peaks at `peak` × its learning rate.
 * `npm run reproduce -- --experiment FILE` runs any of them.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { methodNames, methodRules } from '../methods/registry.ts';
import { validateSchedule, type StageConfig } from '../train/schedule.ts';

/** One stage of a row, relative to the regime's budget. */
export interface ExperimentStage {
  name: string;
  /** Epochs = slots × epochs per slot, rounded to the nearest whole epoch and at least 1. */
  slots: number;
  losses: Record<string, number>;
  chunkLength: number;
  /** Peak learning rate = peak × the regime's learning rate. */
  peak: number;
  /** Default 0.1. */
  warmupFraction?: number;
}

/** One row of a comparison. */
export interface ExperimentVariant {
  name: string;
  /** Short label for tables and plots. */
  label: string;
  /** A registered method (lib/methods/registry.ts). */
  method: string;
  /** Pre-train at all (false: evaluate the random initialisation). */
  pretrain: boolean;
  /** Overrides of the method's model config for this row (e.g. `useLateral`). */
  overrides: Record<string, unknown>;
  stages: ExperimentStage[];
}

export interface Experiment {
  name: string;
  description: string;
  variants: ExperimentVariant[];
}

/** The file of a named experiment shipped with the project. */
export function experimentFile(name: string): string {
  // lib/eval/ and dist/eval/ sit at the same depth under the project root.
  return fileURLToPath(new URL(`../../configs/experiments/${name}.json`, import.meta.url));
}

/**
 * Checks an experiment read from `file`; throws naming the file, row and field.
 */
export function parseExperiment(value: unknown, file: string): Experiment {
  const fail = (where: string, detail: string): never => {
    throw new Error(`${file}: ${where}: ${detail}`);
  };
  const record = (v: unknown, where: string): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(where, 'expected an object'));
  const text = (v: unknown, where: string): string => (typeof v === 'string' && v !== '' ? v : fail(where, `expected a non-empty string, got ${JSON.stringify(v)}`));
  const positive = (v: unknown, where: string): number => (typeof v === 'number' && v > 0 ? v : fail(where, `expected a positive number, got ${JSON.stringify(v)}`));
  const top = record(value, 'top level');
  if (!Array.isArray(top['variants']) || top['variants'].length === 0) fail('variants', 'expected a non-empty list');
  const names = new Set<string>();
  const variants = (top['variants'] as unknown[]).map((raw, i): ExperimentVariant => {
    const v = record(raw, `variants[${i}]`);
    const name = text(v['name'], `variants[${i}].name`);
    const where = `variant "${name}"`;
    if (names.has(name)) fail(where, 'the name is used twice');
    names.add(name);
    if (typeof v['pretrain'] !== 'boolean') fail(`${where}.pretrain`, 'expected true or false');
    if (!Array.isArray(v['stages'])) fail(`${where}.stages`, 'expected a list');
    const stages = (v['stages'] as unknown[]).map((rawStage, k): ExperimentStage => {
      const s = record(rawStage, `${where}.stages[${k}]`);
      const at = `${where}.stages[${k}]`;
      const losses = record(s['losses'], `${at}.losses`) as Record<string, number>;
      return {
        name: text(s['name'], `${at}.name`),
        slots: positive(s['slots'], `${at}.slots`),
        losses,
        chunkLength: positive(s['chunkLength'], `${at}.chunkLength`),
        peak: positive(s['peak'], `${at}.peak`),
        ...(s['warmupFraction'] !== undefined ? { warmupFraction: s['warmupFraction'] as number } : {}),
      };
    });
    if (v['pretrain'] === true && stages.length === 0) fail(`${where}.stages`, 'a pre-trained row needs at least one stage');
    return {
      name,
      label: text(v['label'], `${where}.label`),
      method: text(v['method'], `${where}.method`),
      pretrain: v['pretrain'] as boolean,
      overrides: v['overrides'] === undefined ? {} : record(v['overrides'], `${where}.overrides`),
      stages,
    };
  });
  for (const variant of variants) {
    const where = `variant "${variant.name}"`;
    if (!methodNames().includes(variant.method)) fail(`${where}.method`, `unknown method "${variant.method}" (known: ${methodNames().join(', ')})`);
    if (!variant.pretrain) continue;
    try {
      validateSchedule(variantStages(variant, 1, 1), methodRules(variant.method));
    } catch (error) {
      fail(`${where}.stages`, (error as Error).message.replace(/^schedule: /, ''));
    }
  }
  return { name: text(top['name'], 'name'), description: typeof top['description'] === 'string' ? top['description'] : '', variants };
}

/**
 * Several experiments as one list of rows, in order: a row named in more than
 * one file is run once and must be defined the same way in each.
 * @param files where each experiment came from, for errors
 */
export function combineExperiments(experiments: readonly Experiment[], files: readonly string[]): Experiment {
  const rows = new Map<string, { variant: ExperimentVariant; file: string }>();
  experiments.forEach((experiment, i) => {
    for (const variant of experiment.variants) {
      const seen = rows.get(variant.name);
      if (!seen) rows.set(variant.name, { variant, file: files[i]! });
      else if (JSON.stringify(seen.variant) !== JSON.stringify(variant)) throw new Error(`${files[i]}: variant "${variant.name}" differs from the row of the same name in ${seen.file}; rename one of them`);
    }
  });
  return {
    name: experiments.map((e) => e.name).join('+'),
    description: experiments.map((e) => e.description).filter((d) => d !== '').join(' '),
    variants: [...rows.values()].map((r) => r.variant),
  };
}

/** Reads and checks an experiment file. */
export function readExperiment(file: string): Experiment {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read the experiment: ${(error as Error).message}`);
  }
  return parseExperiment(value, file);
}

/** A row's stages for a regime's budget: epochs per slot and peak learning rate. */
export function variantStages(variant: ExperimentVariant, epochsPerSlot: number, learningRate: number): StageConfig[] {
  return variant.stages.map((stage) => ({
    name: stage.name,
    // Rounded so a fractional slot (half a slot for a short stage) works in every regime.
    epochs: Math.max(1, Math.round(stage.slots * epochsPerSlot)),
    losses: { ...stage.losses },
    chunkLength: stage.chunkLength,
    learningRate: stage.peak * learningRate,
    warmupFraction: stage.warmupFraction ?? 0.1,
  }));
}

/** The method comparison shipped in configs/experiments/methods.json (Med-ST and PRIOR on one budget). */
export function methodComparison(): Experiment {
  return readExperiment(experimentFile('methods'));
}

/** The later methods' own ablations shipped in configs/experiments/method-ablations.json (IMITATE impression only, MPMA without GLA / memory). */
export function methodAblations(): Experiment {
  return readExperiment(experimentFile('method-ablations'));
}

/** The Med-ST ablation shipped in configs/experiments/medst-ablation.json. */
export function medstAblation(): Experiment {
  return readExperiment(experimentFile('medst-ablation'));
}
