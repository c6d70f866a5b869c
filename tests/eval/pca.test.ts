/** PCA of the raw-pixel reference row against scikit-learn (tests/fixtures/make_pca_refs.py). */
import test from 'ava';
import fs from 'node:fs';
import { matrix } from '../../lib/eval/matrix.ts';
import { fitPca, projectPca, symmetricEigen } from '../../lib/eval/pca.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

const ref = JSON.parse(fs.readFileSync('tests/fixtures/eval/pca.json', 'utf8')) as {
  rows: number; cols: number; k: number; train: number[]; held: number[]; components: number[]; variances: number[]; ratios: number[]; heldProjection: number[];
};

test.before(async () => {
  await nativeBackend();
});

test('components, variances and projections match sklearn PCA (up to sign)', (t) => {
  const before = tf.memory().numTensors;
  const model = fitPca(matrix(Float32Array.from(ref.train), ref.rows, ref.cols), ref.k);
  t.is(tf.memory().numTensors, before);
  const held = projectPca(model, matrix(Float32Array.from(ref.held), 10, ref.cols));
  for (let c = 0; c < ref.k; c++) {
    let dot = 0;
    for (let j = 0; j < ref.cols; j++) dot += model.components[c * ref.cols + j]! * ref.components[c * ref.cols + j]!;
    t.true(Math.abs(Math.abs(dot) - 1) < 1e-4, `component ${c}: |cos| = ${Math.abs(dot)}`);
    t.true(Math.abs(model.variances[c]! - ref.variances[c]!) < 1e-4 * ref.variances[0]!, `variance ${c}`);
    t.true(Math.abs(model.explained[c]! - ref.ratios[c]!) < 1e-4, `ratio ${c}`);
    const sign = Math.sign(dot);
    for (let r = 0; r < 10; r++) t.true(Math.abs(sign * held.data[r * ref.k + c]! - ref.heldProjection[r * ref.k + c]!) < 1e-3, `held row ${r}, component ${c}`);
  }
});

test('bad k and mismatched widths are refused', (t) => {
  const x = matrix(new Float32Array(12), 3, 4);
  t.throws(() => fitPca(x, 5), { message: /k must be in 1\.\.3/ });
  const model = fitPca(matrix(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), 3, 4), 2);
  t.throws(() => projectPca(model, matrix(new Float32Array(6), 2, 3)), { message: /fitted on 4 columns/ });
});

test('symmetricEigen diagonalises a symmetric matrix', (t) => {
  const a = Float64Array.from([4, 1, 2, 1, 3, 0, 2, 0, 5]);
  const { values, vectors } = symmetricEigen(a, 3);
  for (let e = 0; e < 3; e++) {
    for (let i = 0; i < 3; i++) {
      let av = 0;
      for (let j = 0; j < 3; j++) av += a[i * 3 + j]! * vectors[j * 3 + e]!;
      t.true(Math.abs(av - values[e]! * vectors[i * 3 + e]!) < 1e-9);
    }
  }
  t.true(Math.abs(values.reduce((s, v) => s + v, 0) - 12) < 1e-9); // trace
});
