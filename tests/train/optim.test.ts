import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { AdamW } from '../../lib/train/optim.ts';
import { fusedKernels } from '../../lib/native/fused_kernels.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

interface Ref {
  init: Record<string, number[] | number[][]>;
  maxNorm: number;
  weightDecay: number;
  steps: Array<{ lr: number; norm: number; grad: Record<string, number[] | number[][]>; after: Record<string, number[] | number[][]> }>;
}
const ref = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'train', 'adamw.json'), 'utf8')) as Ref;

const close = (actual: number[], expected: number[], rel: number) =>
  actual.every((a, i) => Math.abs(a - expected[i]!) <= rel * Math.max(1, Math.abs(expected[i]!)));

test.before(async () => {
  await nativeBackend();
});

for (const kind of ['fused', 'composed'] as const) {
  test.serial(`AdamW with clipping follows PyTorch step by step (decay on w, none on b; ${kind} update)`, (t) => {
    // MEDST_FUSED_KERNELS=0: the tfjs ops the GPU and pure-JS backends run; otherwise one fused CPU kernel.
    if (kind === 'composed') process.env.MEDST_FUSED_KERNELS = '0';
    t.teardown(() => delete process.env.MEDST_FUSED_KERNELS);
    t.is(fusedKernels() !== null, kind === 'fused');
    const params: Array<[string, tf.Variable]> = [
      ['w', tf.variable(tf.tensor(ref.init.w as number[][]))],
      ['b', tf.variable(tf.tensor(ref.init.b as number[]))],
    ];
    const optimizer = new AdamW({ weightDecay: ref.weightDecay, noDecay: /^b$/ });
    let afterFirst = 0;
    for (const [i, step] of ref.steps.entries()) {
      const grads = { w: tf.tensor(step.grad.w as number[][]), b: tf.tensor(step.grad.b as number[]) };
      const { gradNorm, applied } = optimizer.apply(params, grads, step.lr, { clipNorm: ref.maxNorm });
      t.true(applied);
      t.true(Math.abs(gradNorm! - step.norm) <= 1e-5 * step.norm, `norm at step ${i}`);
      for (const [name, variable] of params) {
        t.true(close(Array.from(variable.dataSync()), (step.after[name] as number[] | number[][]).flat(), 1e-5), `${name} after step ${i}`);
      }
      tf.dispose(Object.values(grads));
      if (i === 0) afterFirst = tf.memory().numTensors;
    }
    t.is(tf.memory().numTensors, afterFirst, 'no tensors leak across steps');
    optimizer.dispose();
    params.forEach(([, v]) => v.dispose());
  });
}

test('state round trip: a restored optimiser continues identically', (t) => {
  const make = () => [['p', tf.variable(tf.tensor([1, -2, 3]))]] as Array<[string, tf.Variable]>;
  const a = make();
  const b = make();
  const optA = new AdamW();
  const grad = () => ({ p: tf.tensor([0.5, -0.1, 0.2]) });
  for (let i = 0; i < 3; i++) optA.apply(a, grad(), 0.1);
  const state = optA.getState();
  const optB = new AdamW();
  b[0]![1].assign(a[0]![1]);
  optB.setState(state, b);
  optA.apply(a, grad(), 0.1);
  optB.apply(b, grad(), 0.1);
  t.deepEqual(Array.from(a[0]![1].dataSync()), Array.from(b[0]![1].dataSync()));
  t.is(optB.step, 4);
  tf.dispose([...state.tensors.values()]);
});

test('clipping leaves small gradients unchanged and scales large ones to the norm', (t) => {
  const run = (scale: number, clipNorm?: number) => {
    const params: Array<[string, tf.Variable]> = [['a', tf.variable(tf.tensor([1, 2]))], ['b', tf.variable(tf.tensor([[3]]))]];
    const grads = { a: tf.tensor([0.1 * scale, 0.2 * scale]), b: tf.tensor([[0.2 * scale]]) };
    const optimizer = new AdamW({ weightDecay: 0 });
    const result = optimizer.apply(params, grads, 0.1, clipNorm === undefined ? {} : { clipNorm });
    // Second step: Adam's first update is sign-like, the second shows the gradient's scale through m/√v.
    optimizer.apply(params, grads, 0.1, clipNorm === undefined ? {} : { clipNorm });
    const values = params.flatMap(([, v]) => Array.from(v.dataSync()));
    tf.dispose([...params.map(([, v]) => v), ...Object.values(grads)]);
    optimizer.dispose();
    return { result, values };
  };
  const small = run(1, 1);
  t.true(Math.abs(small.result.gradNorm! - 0.3) < 1e-6);
  t.deepEqual(small.values, run(1).values, 'below the norm: the same update as without clipping');
  t.is(run(1).result.gradNorm, null, 'no norm without clipping');
  const large = run(100, 3);
  t.true(Math.abs(large.result.gradNorm! - 30) < 1e-4);
  t.true(close(large.values, run(10).values, 1e-6), 'norm 30 clipped to 3 updates as the gradient / 10 does');
});

test('a non-finite gradient norm leaves parameters, moments and the step count untouched', (t) => {
  const p: Array<[string, tf.Variable]> = [['p', tf.variable(tf.tensor([1, -2]))]];
  const optimizer = new AdamW();
  optimizer.apply(p, { p: tf.tensor([0.5, 0.5]) }, 0.1, { clipNorm: 1 });
  const before = Array.from(p[0]![1].dataSync());
  const state = optimizer.getState();
  const result = optimizer.apply(p, { p: tf.tensor([Number.NaN, 1]) }, 0.1, { clipNorm: 1 });
  t.false(result.applied);
  t.true(Number.isNaN(result.gradNorm!));
  t.deepEqual(Array.from(p[0]![1].dataSync()), before);
  t.is(optimizer.step, 1);
  const after = optimizer.getState();
  t.deepEqual(Array.from(after.tensors.get('p.v')!.dataSync()), Array.from(state.tensors.get('p.v')!.dataSync()));
  tf.dispose([...state.tensors.values(), ...after.tensors.values(), p[0]![1]]);
  optimizer.dispose();
});

/** Independent per-parameter AdamW in float64 (PyTorch's formula, one shared step count). */
function referenceAdamW(init: number[], grads: Array<number[] | null>, lr: number, weightDecay: number): number[] {
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  const p = [...init];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, i) => {
    const step = i + 1;
    if (!g) return;
    for (let j = 0; j < p.length; j++) {
      m[j] = beta1 * m[j]! + (1 - beta1) * g[j]!;
      v[j] = beta2 * v[j]! + (1 - beta2) * g[j]! ** 2;
      const denom = Math.sqrt(v[j]!) / Math.sqrt(1 - beta2 ** step) + eps;
      p[j] = p[j]! * (1 - lr * weightDecay) - (lr / (1 - beta1 ** step)) * (m[j]! / denom);
    }
  });
  return p;
}

test('parameters that miss a step keep their moments (the flat layout is rebuilt by name), and shapes survive the round trip', (t) => {
  const params: Array<[string, tf.Variable]> = [
    ['w', tf.variable(tf.tensor([[0.5, -1], [2, 0.25]]))],
    ['s', tf.variable(tf.scalar(1.5))],
    ['b', tf.variable(tf.tensor([0.1, 0.2, 0.3]))],
  ];
  const gw = [[0.3, -0.2, 0.1, 0.4], [0.1, 0.1, -0.3, 0.2], null, [-0.2, 0.5, 0.2, 0.1]];
  const gs = [[0.2], null, [0.7], [-0.1]];
  const gb = [[0.1, -0.1, 0.2], [0.3, 0.2, -0.4], [0.05, 0.1, 0.1], null];
  const optimizer = new AdamW({ weightDecay: 0.1, noDecay: /^b$/ });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 4; i++) {
    const grads: Record<string, tf.Tensor> = {};
    if (gw[i]) grads.w = tf.tensor(gw[i]!, [2, 2]);
    if (gs[i]) grads.s = tf.scalar(gs[i]![0]!);
    if (gb[i]) grads.b = tf.tensor(gb[i]!);
    optimizer.apply(params, grads, 0.05);
    tf.dispose(Object.values(grads));
  }
  t.true(close(Array.from(params[0]![1].dataSync()), referenceAdamW([0.5, -1, 2, 0.25], gw, 0.05, 0.1), 1e-5), 'w');
  t.true(close(Array.from(params[1]![1].dataSync()), referenceAdamW([1.5], gs, 0.05, 0.1), 1e-5), 's');
  t.true(close(Array.from(params[2]![1].dataSync()), referenceAdamW([0.1, 0.2, 0.3], gb, 0.05, 0), 1e-5), 'b (no decay)');
  t.deepEqual(params.map(([, v]) => v.shape), [[2, 2], [], [3]]);
  const state = optimizer.getState();
  t.deepEqual(state.tensors.get('w.m')!.shape, [2, 2]);
  t.deepEqual(state.tensors.get('s.v')!.shape, []);
  tf.dispose([...state.tensors.values()]);
  optimizer.dispose();
  t.is(tf.memory().numTensors, before, 'relayouts leak nothing');
  params.forEach(([, v]) => v.dispose());
});
