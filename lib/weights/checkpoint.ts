/**
 * Checkpoints and weight import by parameter name.
 *
 * A checkpoint folder holds `model.safetensors` (every variable of a
 * `ParameterSet`, BatchNorm running statistics included, under its dotted name)
 * and `config.json` (the model config, so the architecture can be rebuilt).
 * `loadParameters` is strict: it names every missing, unexpected and
 * mis-shaped tensor. `importWeights` is the lenient path used by converters:
 * it loads what matches and reports the rest.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ParameterSet } from '../models/params.ts';
import { writeFileAtomic } from '../util/atomic_file.ts';
import { readSafetensors, writeSafetensors, type HostTensor } from './safetensors.ts';

/** File names inside a checkpoint folder. */
export const CHECKPOINT_WEIGHTS = 'model.safetensors';
export const CHECKPOINT_CONFIG = 'config.json';

/** What an import did. */
export interface ImportReport {
  /** Parameter names that received a value. */
  loaded: string[];
  /** Parameter names with no value in the source (kept at their init). */
  missing: string[];
  /** Source names that match no parameter. */
  unused: string[];
  /** Names present on both sides with different shapes (not loaded). */
  mismatched: Array<{ name: string; expected: number[]; got: number[] }>;
}

/** Copies every variable under `params` to host memory, by full dotted name. */
export function parametersToHost(params: ParameterSet): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, variable] of params.named()) {
    out.set(name, { shape: [...variable.shape], data: variable.dataSync() as Float32Array });
  }
  return out;
}

/**
 * Writes `model.safetensors` and `config.json` into `dir` (created if needed; each file atomically).
 * @param config any JSON-serialisable model config
 */
export async function saveParameters(params: ParameterSet, dir: string, config: unknown, metadata: Record<string, string> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeSafetensors(path.join(dir, CHECKPOINT_WEIGHTS), parametersToHost(params), { format: 'medst', ...metadata });
  await writeFileAtomic(path.join(dir, CHECKPOINT_CONFIG), `${JSON.stringify(config, null, 2)}\n`);
}

/** Reads `config.json` of a checkpoint folder. */
export async function readCheckpointConfig(dir: string): Promise<unknown> {
  return JSON.parse(await readFile(path.join(dir, CHECKPOINT_CONFIG), 'utf8')) as unknown;
}

/**
 * Assigns values to parameters by full dotted name, lenient: returns a report.
 * Names are full names as `params.named()` gives them (a child view's prefix included).
 */
export function importWeights(params: ParameterSet, tensors: Map<string, HostTensor>): ImportReport {
  const report: ImportReport = { loaded: [], missing: [], unused: [], mismatched: [] };
  const known = new Set<string>();
  for (const [name, variable] of params.named()) {
    known.add(name);
    const t = tensors.get(name);
    if (!t) {
      report.missing.push(name);
      continue;
    }
    if (!tf.util.arraysEqual(variable.shape, t.shape)) {
      report.mismatched.push({ name, expected: [...variable.shape], got: [...t.shape] });
      continue;
    }
    tf.tidy(() => variable.assign(tf.tensor(t.data instanceof Float32Array ? t.data : Float32Array.from(t.data), t.shape, 'float32')));
    report.loaded.push(name);
  }
  for (const name of tensors.keys()) if (!known.has(name)) report.unused.push(name);
  return report;
}

/** Throws one error listing every problem of a strict import, naming the tensors. */
export function assertCompleteImport(report: ImportReport, source: string): void {
  const problems: string[] = [];
  if (report.missing.length) problems.push(`missing tensors: ${report.missing.join(', ')}`);
  if (report.unused.length) problems.push(`unexpected tensors: ${report.unused.join(', ')}`);
  for (const m of report.mismatched) problems.push(`shape mismatch for "${m.name}": model has [${m.expected}], file has [${m.got}]`);
  if (problems.length) throw new Error(`${source}: ${problems.join('; ')}`);
}

/**
 * Loads a checkpoint folder into `params`, strictly: any missing, extra or
 * mis-shaped tensor is an error naming it (and nothing is assigned).
 * @returns the checkpoint's config.json
 */
export async function loadParameters(params: ParameterSet, dir: string): Promise<unknown> {
  const file = path.join(dir, CHECKPOINT_WEIGHTS);
  const { tensors } = await readSafetensors(file);
  // Check first (no assignment), so a bad file leaves the model untouched.
  const dry: ImportReport = { loaded: [], missing: [], unused: [], mismatched: [] };
  const names = new Set<string>();
  for (const [name, variable] of params.named()) {
    names.add(name);
    const t = tensors.get(name);
    if (!t) dry.missing.push(name);
    else if (!tf.util.arraysEqual(variable.shape, t.shape)) dry.mismatched.push({ name, expected: [...variable.shape], got: [...t.shape] });
  }
  for (const name of tensors.keys()) if (!names.has(name)) dry.unused.push(name);
  assertCompleteImport(dry, file);
  importWeights(params, tensors);
  return readCheckpointConfig(dir);
}
