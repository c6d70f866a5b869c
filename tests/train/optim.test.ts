import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { AdamW, clipByGlobalNorm } from '../../lib/train/optim.ts';
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

test('AdamW with clipping follows PyTorch step by step (decay on w, none on b)', (t) => {
  const params: Array<[string, tf.Variable]> = [
    ['w', tf.variable(tf.tensor(ref.init.w as number[][]))],
    ['b', tf.variable(tf.tensor(ref.init.b as number[]))],
  ];
  const optimizer = new AdamW({ weightDecay: ref.weightDecay, noDecay: /^b$/ });
  const before = tf.memory().numTensors;
  for (const [i, step] of ref.steps.entries()) {
    const grads = { w: tf.tensor(step.grad.w as number[][]), b: tf.tensor(step.grad.b as number[]) };
    const { grads: clipped, norm } = clipByGlobalNorm(grads, ref.maxNorm);
    t.true(Math.abs(norm - step.norm) <= 1e-5 * step.norm, `norm at step ${i}`);
    optimizer.apply(params, clipped, step.lr);
    for (const [name, variable] of params) {
      t.true(close(Array.from(variable.dataSync()), (step.after[name] as number[] | number[][]).flat(), 1e-5), `${name} after step ${i}`);
    }
    tf.dispose([...Object.values(grads), ...Object.values(clipped)]);
    if (i === 0) t.is(tf.memory().numTensors, before + 4, 'first step creates m and v for both parameters');
  }
  t.is(tf.memory().numTensors, before + 4, 'no tensors leak across steps');
  optimizer.dispose();
  params.forEach(([, v]) => v.dispose());
});

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

test('clipping leaves small gradients unchanged', (t) => {
  const grads = { a: tf.tensor([0.1, 0.2]), b: tf.tensor([0.2]) };
  const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
  t.true(Math.abs(norm - 0.3) < 1e-6);
  t.true(close(Array.from(clipped.a!.dataSync()), [0.1, 0.2], 1e-6));
});
