/**
 * Named parameters. Every learnable tensor in medst is a `tf.Variable` owned by
 * a `ParameterSet` under a dotted name (`blocks.0.attn.qkv.weight`), so that
 * optimisers, checkpoints (safetensors) and weight import all address weights
 * the same way. Initial values come from a seeded `Rng`, never from tf's global
 * random state, so the same seed gives the same weights on every machine.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng.ts';

/** How to fill a new parameter. */
export type Initializer =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  /** Normal(0, std) truncated at ±2 std (timm/BERT style). */
  | { kind: 'truncatedNormal'; std: number }
  | { kind: 'normal'; std: number }
  /** Uniform(−bound, bound). */
  | { kind: 'uniform'; bound: number }
  /** Kaiming-normal for ReLU nets: std = sqrt(2 / fanIn). */
  | { kind: 'heNormal'; fanIn: number }
  /** Xavier/Glorot-uniform: bound = sqrt(6 / (fanIn + fanOut)). */
  | { kind: 'glorotUniform'; fanIn: number; fanOut: number };

/** Fills a Float32Array of `size` values by `init` from `rng`. */
export function initialValues(init: Initializer, size: number, rng: Rng): Float32Array {
  const values = new Float32Array(size);
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      values.fill(1);
      break;
    case 'constant':
      values.fill(init.value);
      break;
    case 'truncatedNormal':
      for (let i = 0; i < size; i++) {
        let v: number;
        do v = rng.normal();
        while (Math.abs(v) > 2);
        values[i] = v * init.std;
      }
      break;
    case 'normal':
      for (let i = 0; i < size; i++) values[i] = rng.normal(0, init.std);
      break;
    case 'uniform':
      for (let i = 0; i < size; i++) values[i] = rng.range(-init.bound, init.bound);
      break;
    case 'heNormal': {
      const std = Math.sqrt(2 / init.fanIn);
      for (let i = 0; i < size; i++) values[i] = rng.normal(0, std);
      break;
    }
    case 'glorotUniform': {
      const bound = Math.sqrt(6 / (init.fanIn + init.fanOut));
      for (let i = 0; i < size; i++) values[i] = rng.range(-bound, bound);
      break;
    }
  }
  return values;
}

interface Entry {
  variable: tf.Variable;
  trainable: boolean;
}

/**
 * A flat map of dotted names to variables, shared by a tree of scoped views
 * (`child('blocks.0')`). Creating a name twice is an error, so two modules
 * cannot silently share a weight.
 */
export class ParameterSet {
  private readonly entries: Map<string, Entry>;
  private readonly rng: Rng;
  readonly prefix: string;
  /** Variables created through a frozen view are not trainable (a frozen encoder: optimisers skip them, checkpoints keep them). */
  readonly frozen: boolean;

  /** A root set; `seed` drives every initial value made through it and its children. */
  constructor(seed: number);
  constructor(seed: number, shared: { entries: Map<string, Entry>; rng: Rng; prefix: string; frozen?: boolean });
  constructor(seed: number, shared?: { entries: Map<string, Entry>; rng: Rng; prefix: string; frozen?: boolean }) {
    this.entries = shared?.entries ?? new Map();
    this.rng = shared?.rng ?? new Rng(seed);
    this.prefix = shared?.prefix ?? '';
    this.frozen = shared?.frozen ?? false;
  }

  /** A view whose names are prefixed by `name.` (same storage, same random stream); `frozen` makes what it creates non-trainable. */
  child(name: string, options: { frozen?: boolean } = {}): ParameterSet {
    return new ParameterSet(0, { entries: this.entries, rng: this.rng, prefix: this.qualify(name), frozen: this.frozen || (options.frozen ?? false) });
  }

  private qualify(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  /** Creates a variable. Non-trainable ones (BatchNorm running statistics) are skipped by optimisers. */
  create(name: string, shape: number[], init: Initializer, options: { trainable?: boolean } = {}): tf.Variable {
    const fullName = this.qualify(name);
    if (this.entries.has(fullName)) throw new Error(`ParameterSet: parameter "${fullName}" already exists`);
    const size = shape.reduce((a, b) => a * b, 1);
    const trainable = !this.frozen && (options.trainable ?? true);
    // tf.variable names must be unique per process; the dotted name stays ours.
    const variable = tf.tidy(() => tf.variable(tf.tensor(initialValues(init, size, this.rng), shape, 'float32'), trainable));
    this.entries.set(fullName, { variable, trainable });
    return variable;
  }

  /** The variable under a full dotted name (relative to this view). */
  get(name: string): tf.Variable {
    const entry = this.entries.get(this.qualify(name));
    if (!entry) throw new Error(`ParameterSet: no parameter "${this.qualify(name)}"`);
    return entry.variable;
  }

  has(name: string): boolean {
    return this.entries.has(this.qualify(name));
  }

  /** All [fullName, variable] pairs under this view, in creation order. */
  named(options: { trainableOnly?: boolean } = {}): Array<[string, tf.Variable]> {
    const prefix = this.prefix ? `${this.prefix}.` : '';
    const out: Array<[string, tf.Variable]> = [];
    for (const [name, entry] of this.entries) {
      if (prefix && !name.startsWith(prefix)) continue;
      if (options.trainableOnly && !entry.trainable) continue;
      out.push([name, entry.variable]);
    }
    return out;
  }

  /** Trainable variables under this view (what optimisers update). */
  trainable(): tf.Variable[] {
    return this.named({ trainableOnly: true }).map(([, v]) => v);
  }

  /** Total number of scalar values under this view. */
  count(options: { trainableOnly?: boolean } = {}): number {
    return this.named(options).reduce((sum, [, v]) => sum + v.size, 0);
  }

  /** Overwrites a parameter's value, checking the shape (weight import and checkpoint load). */
  assign(name: string, value: tf.Tensor): void {
    const variable = this.get(name);
    if (!tf.util.arraysEqual(variable.shape, value.shape)) {
      throw new Error(`ParameterSet: shape mismatch for "${this.qualify(name)}": model has [${variable.shape}], value has [${value.shape}]`);
    }
    variable.assign(value);
  }

  /** Disposes every variable under this view. */
  dispose(): void {
    for (const [name, variable] of this.named()) {
      variable.dispose();
      this.entries.delete(name);
    }
  }
}
