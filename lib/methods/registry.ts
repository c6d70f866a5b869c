/**
 * Methods by name: a run config names its method, and the registry builds it
 * from typed options (each method's own config type and resolver), rebuilds it
 * from a checkpoint's description, and gives its default schedule. A new
 * method is its own files plus one `registerMethod` call here (tests register
 * their fake methods the same way).
 */
import { MEDST_PRESETS, MEDST_SCHEDULE_RULES, MedST, medstConfig, medstConfigFromDescription, type MedSTConfig, type MedSTPreset } from './medst.ts';
import { IMITATE_PRESETS, IMITATE_SCHEDULE, IMITATE_SCHEDULE_RULES, Imitate, checkImitateConfig, imitateConfig, type ImitateConfig, type ImitatePreset } from './imitate.ts';
import type { PretrainingMethod } from './method.ts';
import { MPMA_PRESETS, MPMA_SCHEDULE, MPMA_SCHEDULE_RULES, Mpma, checkMpmaConfig, mpmaConfig, type MpmaConfig, type MpmaPreset } from './mpma.ts';
import type { SpecialTokenIds } from '../data/tokenizer/wordpiece.ts';
import { PRIOR_PRESETS, PRIOR_SCHEDULE, PRIOR_SCHEDULE_RULES, Prior, checkPriorConfig, priorConfig, type PriorConfig, type PriorPreset } from './prior.ts';
import { DEFAULT_CURRICULUM, type ScheduleRules, type StageConfig } from '../train/schedule.ts';

/** What building a method takes: a preset of that method, overrides of its config, the tokenizer's vocabulary size. */
export interface MethodBuildOptions {
  preset: string;
  overrides?: Record<string, unknown>;
  vocabSize: number;
  /** The tokenizer's special-token ids, for methods that mask tokens (default: those of vocabularies medst builds). */
  specialTokenIds?: SpecialTokenIds;
}

/** One registered method. */
export interface MethodEntry {
  name: string;
  /** The presets `create` accepts. */
  presets: readonly string[];
  create(options: MethodBuildOptions): PretrainingMethod;
  /** The loss names and stage rule its schedules are checked against (the same the method's instances apply). */
  rules: ScheduleRules;
  /** The stages a run config without `stages` trains with (the paper's schedule as data). */
  schedule: readonly StageConfig[];
  /** Rebuilds the method (fresh weights at its seed) from what its `describe()` stored in a checkpoint's config.json. */
  restore(description: Record<string, unknown>): PretrainingMethod;
}

const entries = new Map<string, MethodEntry>();

/** Adds a method; a name can be registered once. */
export function registerMethod(entry: MethodEntry): void {
  if (entries.has(entry.name)) throw new Error(`method "${entry.name}" is already registered`);
  entries.set(entry.name, entry);
}

/** The registered method names, in registration order. */
export function methodNames(): string[] {
  return [...entries.keys()];
}

/** The entry of a registered method; `where` prefixes the error (a file, for a checkpoint's method). */
function entryOf(name: string, where = ''): MethodEntry {
  const entry = entries.get(name);
  if (!entry) throw new Error(`${where}unknown method "${name}" (known: ${methodNames().join(', ')})`);
  return entry;
}

/**
 * Builds the method `name` from a preset and overrides.
 * @throws Error naming the known methods (or the method's presets) for an unknown name (or preset).
 */
export function createMethod(name: string, options: MethodBuildOptions): PretrainingMethod {
  const entry = entryOf(name);
  if (!entry.presets.includes(options.preset)) throw new Error(`method "${name}" has no preset "${options.preset}" (presets: ${entry.presets.join(', ')})`);
  return entry.create(options);
}

/**
 * Rebuilds a method from a checkpoint's description (config.json): the
 * `method` field names the registered method, the rest is its config.
 * @param source where the description came from, for errors
 */
export function restoreMethod(description: unknown, source: string): PretrainingMethod {
  const named = description as { method?: unknown } | null;
  if (named === null || typeof named !== 'object' || typeof named.method !== 'string') throw new Error(`${source}: no "method" field (which method built this checkpoint?)`);
  return entryOf(named.method, `${source}: `).restore(description as Record<string, unknown>);
}

/** The default schedule of a registered method (a copy: callers may edit it). */
export function methodSchedule(name: string): StageConfig[] {
  return structuredClone(entryOf(name).schedule) as StageConfig[];
}

/** The schedule rules of a registered method. */
export function methodRules(name: string): ScheduleRules {
  return entryOf(name).rules;
}

/**
 * The method as its own class, for code that reads a method's own parts
 * (Med-ST's attention maps, PRIOR's reconstructions).
 * @example methodAs(trained, MedST).heads.localWeighting
 */
export function methodAs<T extends PretrainingMethod>(method: PretrainingMethod, kind: abstract new (...args: never[]) => T): T {
  if (!(method instanceof kind)) throw new Error(`expected a ${kind.name} model, got method "${method.name}"`);
  return method;
}

registerMethod({
  name: 'medst',
  presets: Object.keys(MEDST_PRESETS),
  create: ({ preset, overrides, vocabSize, specialTokenIds }) => new MedST(medstConfig(preset as MedSTPreset, { ...(overrides ?? {}), vocabSize, specialTokenIds })),
  rules: MEDST_SCHEDULE_RULES,
  schedule: DEFAULT_CURRICULUM,
  restore: (d) => new MedST(medstConfigFromDescription(d as unknown as MedSTConfig)),
});

registerMethod({
  name: 'prior',
  presets: Object.keys(PRIOR_PRESETS),
  create: ({ preset, overrides, vocabSize }) => new Prior(priorConfig(preset as PriorPreset, { ...(overrides ?? {}), vocabSize })),
  rules: PRIOR_SCHEDULE_RULES,
  schedule: PRIOR_SCHEDULE,
  restore: ({ method: _method, ...config }) => new Prior(checkPriorConfig(config as unknown as PriorConfig)),
});

registerMethod({
  name: 'imitate',
  presets: Object.keys(IMITATE_PRESETS),
  create: ({ preset, overrides, vocabSize }) => new Imitate(imitateConfig(preset as ImitatePreset, { ...(overrides ?? {}), vocabSize })),
  rules: IMITATE_SCHEDULE_RULES,
  schedule: IMITATE_SCHEDULE,
  restore: ({ method: _method, ...config }) => new Imitate(checkImitateConfig(config as unknown as ImitateConfig)),
});

registerMethod({
  name: 'mpma',
  presets: Object.keys(MPMA_PRESETS),
  create: ({ preset, overrides, vocabSize, specialTokenIds }) => new Mpma(mpmaConfig(preset as MpmaPreset, { ...(overrides ?? {}), vocabSize, specialTokenIds })),
  rules: MPMA_SCHEDULE_RULES,
  schedule: MPMA_SCHEDULE,
  restore: ({ method: _method, ...config }) => new Mpma(checkMpmaConfig(config as unknown as MpmaConfig)),
});
