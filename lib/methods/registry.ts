/**
 * Methods by name: a run config names its method, and the registry builds it
 * from typed options. A new method is its own files plus one `registerMethod`
 * line here (tests register their fake methods the same way).
 */
import { MEDST_PRESETS, MedST, medstConfig, type MedSTPreset } from './medst.ts';
import type { PretrainingMethod } from './method.ts';

/** What building a method takes: a preset of that method, overrides of its config, the tokenizer's vocabulary size. */
export interface MethodBuildOptions {
  preset: string;
  overrides?: Record<string, unknown>;
  vocabSize: number;
}

/** One registered method. */
export interface MethodEntry {
  name: string;
  /** The presets `create` accepts. */
  presets: readonly string[];
  create(options: MethodBuildOptions): PretrainingMethod;
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

/**
 * Builds the method `name` from a preset and overrides.
 * @throws Error naming the known methods (or the method's presets) for an unknown name (or preset).
 */
export function createMethod(name: string, options: MethodBuildOptions): PretrainingMethod {
  const entry = entries.get(name);
  if (!entry) throw new Error(`unknown method "${name}" (known: ${methodNames().join(', ')})`);
  if (!entry.presets.includes(options.preset)) throw new Error(`method "${name}" has no preset "${options.preset}" (presets: ${entry.presets.join(', ')})`);
  return entry.create(options);
}

/** The method as Med-ST, for code that reads Med-ST's own parts (attention maps, alignment maps). */
export function asMedST(method: PretrainingMethod): MedST {
  if (!(method instanceof MedST)) throw new Error(`expected a Med-ST model, got method "${method.name}"`);
  return method;
}

registerMethod({
  name: 'medst',
  presets: Object.keys(MEDST_PRESETS),
  create: ({ preset, overrides, vocabSize }) => new MedST(medstConfig(preset as MedSTPreset, { ...(overrides ?? {}), vocabSize })),
});
