import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';

test.before(async () => {
  await nativeBackend(); // registers the reduction gradients
});

/** d/dx Σ w·reduce(x) written out: w broadcast back over the reduced axes (÷ n for the mean), in plain JS. */
function expected(shape: number[], axes: number[], w: Float32Array, mean: boolean): number[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const outShape = shape.map((s, i) => (axes.includes(i) ? 1 : s));
  const count = axes.reduce((n, a) => n * shape[a]!, 1);
  const out: number[] = [];
  for (let flat = 0; flat < size; flat++) {
    let rest = flat;
    const index = shape.map(() => 0);
    for (let i = shape.length - 1; i >= 0; i--) {
      index[i] = rest % shape[i]!;
      rest = Math.floor(rest / shape[i]!);
    }
    let o = 0;
    for (let i = 0; i < shape.length; i++) o = o * outShape[i]! + (axes.includes(i) ? 0 : index[i]!);
    out.push(mean ? Math.fround(w[o]! / count) : w[o]!);
  }
  return out;
}

test('sum and mean gradients broadcast dy back over the reduced axes (no axis, one, negative, several, keepDims), and leak nothing', (t) => {
  const shape = [2, 3, 4];
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const before = tf.memory().numTensors;
  for (const axis of [undefined, 0, -1, [0, 2], [1]] as const) {
    for (const keepDims of [false, true]) {
      for (const mean of [false, true]) {
        tf.tidy(() => {
          const axes = axis === undefined ? [0, 1, 2] : (Array.isArray(axis) ? [...(axis as readonly number[])] : [axis as number]).map((a) => (a < 0 ? a + 3 : a));
          const reduce = (v: tf.Tensor) => (mean ? tf.mean(v, axis as number | number[] | undefined, keepDims) : tf.sum(v, axis as number | number[] | undefined, keepDims));
          const w = tf.randomNormal(reduce(x).shape, 0, 1, 'float32', 2);
          const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(reduce(v), w)))(x);
          t.deepEqual(grad.shape, shape);
          t.deepEqual(Array.from(grad.dataSync()), expected(shape, axes, w.dataSync() as Float32Array, mean), `${mean ? 'mean' : 'sum'} axis ${JSON.stringify(axis)} keepDims ${keepDims}`);
        });
      }
    }
  }
  t.is(tf.memory().numTensors, before);
  tf.tidy(() => {
    const empty = tf.zeros([3, 0]);
    for (const reduce of [(v: tf.Tensor) => tf.sum(v, -1), (v: tf.Tensor) => tf.mean(v, 0)]) {
      const grad = tf.grad((v: tf.Tensor) => tf.sum(reduce(v)))(empty);
      t.deepEqual(grad.shape, [3, 0], 'an empty axis: an empty gradient of x\'s shape');
    }
  });
});

test('the backward pass of a reduction broadcasts dy and multiplies by no tensor of ones', async (t) => {
  const x = tf.randomNormal([64, 128]);
  const info = await tf.profile(() => tf.tidy(() => void tf.grad((v: tf.Tensor) => tf.sum(tf.mean(v, -1)))(x).dataSync()));
  const names = info.kernels.map((k) => k.name);
  t.true(names.includes('Tile'), names.join(', ')); // tf.broadcastTo runs as Tile
  t.false(names.includes('Multiply'), names.join(', '));
  x.dispose();
});
