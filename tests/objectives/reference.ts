/**
 * Shared helpers for the objective tests: loading the PyTorch reference
 * fixtures (tests/fixtures/make_objective_refs.py) and comparing with the
 * combined tolerance |a − b| ≤ tol · max(1, |b|) (absolute near 0, relative
 * for large values), tol = 1e-5 by default.
 */
import { readFileSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { tf } from '../helpers/tf.ts';

/** A tensor as stored in the fixture JSON. */
export interface PackedTensor {
  shape: number[];
  data: number[];
}

export const TOLERANCE = 1e-5;

/** Reads tests/fixtures/objectives/<name>.json. */
export function loadFixture<T>(name: string): T {
  const url = new URL(`../fixtures/objectives/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

/** A float32 tensor from a packed fixture tensor. */
export function unpack<R extends tf.Rank>(packed: PackedTensor): tf.Tensor<R> {
  return tf.tensor(packed.data, packed.shape as tf.ShapeMap[R], 'float32') as tf.Tensor<R>;
}

/** Largest |a − b| / max(1, |b|) over the elements. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    if (!(error <= worst)) worst = Number.isNaN(error) ? Infinity : error;
  }
  return worst;
}

/** Asserts shape and values of `actual` against the reference within `tol`; returns the error seen. */
export function assertClose(t: ExecutionContext, actual: tf.Tensor | number, expected: PackedTensor | number, label: string, tol = TOLERANCE): number {
  const actualValues = typeof actual === 'number' ? [actual] : Array.from(actual.dataSync());
  const expectedValues = typeof expected === 'number' ? [expected] : expected.data;
  if (typeof actual !== 'number' && typeof expected !== 'number') t.deepEqual(actual.shape, expected.shape, `${label}: shape`);
  const error = maxRelativeError(actualValues, expectedValues);
  t.true(error <= tol, `${label}: max |a−b|/max(1,|b|) = ${error.toExponential(2)} > ${tol}`);
  return error;
}

/** Records the worst error per label across a file (printed with t.log for the report). */
export class ErrorLog {
  private readonly worst = new Map<string, number>();
  add(label: string, error: number): void {
    this.worst.set(label, Math.max(error, this.worst.get(label) ?? 0));
  }
  summary(): string {
    return [...this.worst].map(([label, error]) => `${label} ${error.toExponential(2)}`).join(', ');
  }
}

/** Asserts every value of every tensor is finite. */
export function assertFinite(t: ExecutionContext, tensors: tf.Tensor[], label: string): void {
  for (const tensor of tensors) {
    t.true(Array.from(tensor.dataSync()).every(Number.isFinite), `${label}: non-finite value`);
  }
}

/**
 * Runs `fn` and checks it leaves exactly `returned(result)` new tensors behind,
 * then disposes the result. Repeats `repeats` times to check the count stays flat.
 */
export function assertNoLeak<T>(t: ExecutionContext, fn: () => T, returned: (result: T) => tf.Tensor[], repeats = 5): void {
  const start = tf.memory().numTensors;
  for (let i = 0; i < repeats; i++) {
    const before = tf.memory().numTensors;
    const result = fn();
    const outputs = returned(result);
    t.is(tf.memory().numTensors - before, outputs.length, `call ${i}: only the returned tensors are new`);
    tf.dispose(outputs);
  }
  t.is(tf.memory().numTensors, start, 'flat across repeated calls');
}
