import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { gelu, relu } from '../../lib/models/layers/activations.ts';
import { createLayerNorm, layerNorm } from '../../lib/models/layers/layer_norm.ts';
import { fusedKernels } from '../../lib/native/fused_kernels.ts';
import { createAttention, keyBiasFromMask, selfAttention } from '../../lib/models/layers/attention.ts';
import { maxRelativeError } from './encoder_fixtures.ts';

test.before(async () => {
  await nativeBackend();
});

for (const kind of ['fused', 'composed'] as const) {
  test.serial(`gelu (${kind}): exact-erf values and the written-out gradient match autodiff of the formula`, (t) => {
    if (kind === 'composed') process.env.MEDST_FUSED_KERNELS = '0';
    t.teardown(() => delete process.env.MEDST_FUSED_KERNELS);
    t.is(fusedKernels() !== null, kind === 'fused');
    tf.tidy(() => {
      const x = tf.tensor1d([-3, -1, -0.5, 0, 0.5, 1, 3]);
      // PyTorch nn.GELU() values.
      t.true(maxRelativeError(gelu(x).dataSync(), [-0.00404969, -0.15865526, -0.15426877, 0, 0.34573123, 0.84134474, 2.99595031]) < 1e-6);
      const reference = (v: tf.Tensor) => tf.mul(tf.mul(v, 0.5), tf.add(tf.erf(tf.mul(v, Math.SQRT1_2)), 1));
      const w = tf.randomNormal([7], 0, 1, 'float32', 3);
      const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gelu(v), w)))(x);
      const theirs = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(reference(v), w)))(x);
      t.true(maxRelativeError(ours.dataSync(), theirs.dataSync()) < 1e-5);
    });
  });
}

test('relu: values and the written-out gradient (0 at x ≤ 0, as PyTorch) match tf.relu and its autodiff', (t) => {
  tf.tidy(() => {
    const x = tf.tensor1d([-3, -1, -0.5, 0, 0.5, 1, 3]);
    t.deepEqual(Array.from(relu(x).dataSync()), [0, 0, 0, 0, 0.5, 1, 3]);
    const w = tf.randomNormal([7], 0, 1, 'float32', 4);
    const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(relu(v), w)))(x);
    const theirs = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), w)))(x);
    t.deepEqual(Array.from(ours.dataSync()), Array.from(theirs.dataSync()));
    t.true(ours.dataSync()[3] === 0, 'the gradient at 0 is 0');
  });
});

for (const kind of ['fused', 'composed'] as const) {
  test.serial(`layerNorm (${kind}): values and gradients (input, weight, bias) match autodiff of tf.moments, at unit and tiny variance`, (t) => {
    // MEDST_FUSED_KERNELS=0 keeps the composed tfjs version.
    if (kind === 'composed') process.env.MEDST_FUSED_KERNELS = '0';
    t.teardown(() => delete process.env.MEDST_FUSED_KERNELS);
    t.is(fusedKernels() !== null, kind === 'fused', 'the native CPU backend offers the fused kernels unless switched off');
    const norm = layerNorm;
    for (const [scale, eps] of [[2, 1e-6], [1e-3, 1e-6], [1e-5, 1e-12]] as const) {
      const params = new ParameterSet(1);
      const ln = createLayerNorm(params, 'ln', 6, eps);
      ln.weight.assign(tf.randomNormal([6], 1, 0.3, 'float32', 1));
      ln.bias.assign(tf.randomNormal([6], 0, 0.3, 'float32', 2));
      tf.tidy(() => {
        // At scale 1e-3 the variance (1e-6) is as large as eps: a clamped or ignored eps shows.
        const x = tf.randomNormal([2, 3, 6], 0, scale, 'float32', 4);
        const w = tf.randomNormal([2, 3, 6], 0, 1, 'float32', 5);
        const reference = (v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const { mean, variance } = tf.moments(v, -1, true);
          return tf.add(tf.mul(tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, eps))), g), b);
        };
        const label = `scale ${scale}, eps ${eps}`;
        t.true(maxRelativeError(norm(x, ln).dataSync(), reference(x, ln.weight, ln.bias).dataSync()) < 1e-5, `values, ${label}`);
        const ours = tf.variableGrads(() => tf.sum(tf.mul(norm(x, ln), w)) as tf.Scalar, [ln.weight, ln.bias]);
        const theirs = tf.variableGrads(() => tf.sum(tf.mul(reference(x, ln.weight, ln.bias), w)) as tf.Scalar, [ln.weight, ln.bias]);
        for (const name of Object.keys(theirs.grads)) t.true(maxRelativeError(ours.grads[name]!.dataSync(), theirs.grads[name]!.dataSync()) < 1e-4, `${name}, ${label}`);
        const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(norm(v, ln), w)))(x);
        const dxRef = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(reference(v, ln.weight, ln.bias), w)))(x);
        t.true(maxRelativeError(dx.dataSync(), dxRef.dataSync()) < 1e-3, `dx, ${label}`);
      });
      t.throws(() => norm(tf.zeros([2, 5]), ln), { message: /\[2,5\]/ });
      params.dispose();
    }
  });
}

test('layerNorm: the fused path leaks no tensors over forward and backward', (t) => {
  const params = new ParameterSet(1);
  const ln = createLayerNorm(params, 'ln', 8, 1e-6);
  const x = tf.randomNormal([4, 5, 8], 0, 1, 'float32', 6);
  const run = () => tf.tidy(() => tf.variableGrads(() => tf.sum(tf.square(layerNorm(x, ln))) as tf.Scalar, [ln.weight, ln.bias]).value.dataSync());
  run();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) run();
  t.is(tf.memory().numTensors, before);
  x.dispose();
  params.dispose();
});

test('selfAttention: the written-out attention backward matches autodiff of the plain formula (with and without key bias)', (t) => {
  const params = new ParameterSet(3);
  const attn = createAttention(params, 'attn', 8, 2, 0.5);
  tf.tidy(() => {
    const [b, n, d, h] = [2, 5, 8, 2];
    const reference = (v: tf.Tensor, bias: tf.Tensor | null) => {
      const qkv = tf.transpose(tf.reshape(tf.add(tf.matMul(tf.reshape(v, [b * n, d]), attn.qkv.weight), attn.qkv.bias!), [b, n, 3, h, d / h]), [2, 0, 3, 1, 4]);
      const [q, k, val] = tf.unstack(qkv);
      let scores = tf.div(tf.matMul(q!, k!, false, true), Math.sqrt(d / h));
      if (bias) scores = tf.add(scores, bias);
      const merged = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), val!), [0, 2, 1, 3]), [b * n, d]);
      return tf.reshape(tf.add(tf.matMul(merged, attn.proj.weight), attn.proj.bias!), [b, n, d]);
    };
    const x = tf.randomNormal([b, n, d], 0, 1, 'float32', 11) as tf.Tensor3D;
    const w = tf.randomNormal([b, n, d], 0, 1, 'float32', 12);
    const vars = [attn.qkv.weight, attn.qkv.bias!, attn.proj.weight, attn.proj.bias!];
    for (const bias of [null, keyBiasFromMask(tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]))]) {
      const label = bias ? 'with key bias' : 'no bias';
      t.true(maxRelativeError(selfAttention(x, attn, bias).dataSync(), reference(x, bias).dataSync()) < 1e-5, label);
      const ours = tf.variableGrads(() => tf.sum(tf.mul(selfAttention(x, attn, bias), w)) as tf.Scalar, vars);
      const theirs = tf.variableGrads(() => tf.sum(tf.mul(reference(x, bias), w)) as tf.Scalar, vars);
      for (const name of Object.keys(theirs.grads)) t.true(maxRelativeError(ours.grads[name]!.dataSync(), theirs.grads[name]!.dataSync()) < 1e-4, `${label}: ${name}`);
      const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(selfAttention(v as tf.Tensor3D, attn, bias), w)))(x);
      const dxRef = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(reference(v, bias), w)))(x);
      t.true(maxRelativeError(dx.dataSync(), dxRef.dataSync()) < 1e-4, `${label}: dx`);
    }
  });
  params.dispose();
});

test('selfAttention: masked keys get no weight; bad shapes throw', (t) => {
  const params = new ParameterSet(2);
  const attn = createAttention(params, 'attn', 8, 2, 0.5);
  tf.tidy(() => {
    const x = tf.randomNormal([1, 4, 8], 0, 1, 'float32', 7) as tf.Tensor3D;
    const masked = selfAttention(x, attn, keyBiasFromMask(tf.tensor2d([[1, 1, 0, 0]])));
    // Changing masked tokens' values does not change the outputs of the unmasked tokens.
    const changed = tf.concat([tf.slice(x, [0, 0, 0], [1, 2, 8]), tf.fill([1, 2, 8], 5)], 1) as tf.Tensor3D;
    const masked2 = selfAttention(changed, attn, keyBiasFromMask(tf.tensor2d([[1, 1, 0, 0]])));
    t.true(maxRelativeError(tf.slice(masked, [0, 0, 0], [1, 2, 8]).dataSync(), tf.slice(masked2, [0, 0, 0], [1, 2, 8]).dataSync()) < 1e-6);
    t.throws(() => selfAttention(tf.zeros([4, 8]) as unknown as tf.Tensor3D, attn), { message: /\[4,8\]/ });
    t.throws(() => selfAttention(x, attn, keyBiasFromMask(tf.ones([1, 3]))), { message: /key bias/ });
  });
  t.throws(() => createAttention(params, 'bad', 10, 3, 0.02), { message: /not divisible/ });
  params.dispose();
});
