/**
 * Train-mode BatchNorm's closed-form backward against PyTorch's autograd
 * (tests/fixtures/make_batch_norm_refs.py): values and the gradients of x
 * (through the batch statistics too), weight and bias, NHWC and rows, with and
 * without the affine parameters; and no tensors left behind.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BatchNorm } from '../../lib/models/layers/batch_norm.ts';
import { nativeCpuOps } from '../../lib/models/layers/native_ops.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { maxRelativeError } from './encoder_fixtures.ts';

interface Packed {
  shape: number[];
  data: number[];
}
interface Case {
  x: Packed;
  r: Packed;
  y: Packed;
  weight?: Packed;
  bias?: Packed;
  grads: Record<string, Packed>;
}
const fixture = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '..', 'fixtures', 'layers', 'batch_norm.json'), 'utf8')) as { cases: Record<string, Case> };

test.before(async () => {
  await nativeBackend();
});

for (const [name, c] of Object.entries(fixture.cases)) for (const kind of ['native', 'composed'] as const) {
  test.serial(`${name} (${kind}): train-mode values and gradients equal torch.nn.functional.batch_norm`, (t) => {
    // MEDST_NATIVE_OPS=0 keeps the composed tfjs version (the native one is TensorFlow's fused batch norm).
    if (kind === 'composed') process.env.MEDST_NATIVE_OPS = '0';
    t.teardown(() => delete process.env.MEDST_NATIVE_OPS);
    t.is(nativeCpuOps() !== null, kind === 'native');
    const channels = c.x.shape[c.x.shape.length - 1]!;
    const params = new ParameterSet(1);
    const bn = new BatchNorm(params, 'bn', channels, { affine: c.weight !== undefined });
    if (c.weight) {
      bn.weight!.assign(tf.tensor1d(c.weight.data));
      bn.bias!.assign(tf.tensor1d(c.bias!.data));
    }
    const x = tf.variable(tf.tensor(c.x.data, c.x.shape), true, `bn-test-x-${name}`);
    const r = tf.tensor(c.r.data, c.r.shape);
    tf.tidy(() => bn.forward(x, { training: true })); // creates the cached ε constant once
    const before = tf.memory().numTensors;
    const variables = [x, ...(c.weight ? [bn.weight!, bn.bias!] : [])];
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.forward(x, { training: true }), r)) as tf.Scalar, variables);
    const y = tf.tidy(() => bn.forward(x, { training: true }));
    t.true(maxRelativeError(y.dataSync(), c.y.data) < 1e-5, 'values');
    t.true(maxRelativeError(grads[x.name]!.dataSync(), c.grads['x']!.data) < 1e-4, 'dx');
    if (c.weight) {
      t.true(maxRelativeError(grads[bn.weight!.name]!.dataSync(), c.grads['weight']!.data) < 1e-4, 'dweight');
      t.true(maxRelativeError(grads[bn.bias!.name]!.dataSync(), c.grads['bias']!.data) < 1e-4, 'dbias');
    }
    tf.dispose([value, y, ...Object.values(grads)]);
    t.is(tf.memory().numTensors, before, 'no tensors left behind');
    tf.dispose([x, r]);
    params.dispose();
  });
}
