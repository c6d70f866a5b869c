/** Shared helpers of the encoder tests: fixture loading and error measures. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type HostTensor } from '../../lib/weights/safetensors.ts';

export const ENCODER_FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'encoders');

/** Parses a JSON fixture of tests/fixtures/encoders. */
export function loadJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(path.join(ENCODER_FIXTURES, name), 'utf8')) as T;
}

/** Reads a safetensors fixture of tests/fixtures/encoders. */
export async function loadWeights(name: string): Promise<Map<string, HostTensor>> {
  return (await readSafetensors(path.join(ENCODER_FIXTURES, name))).tensors;
}

/** max|a − e| / max|e|: the error relative to the reference's scale. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return diff / Math.max(scale, 1e-30);
}
