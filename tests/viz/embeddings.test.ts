import test from 'ava';
import { pca2d } from '../../lib/viz/embeddings.ts';
import { Rng } from '../../lib/util/rng.ts';

test('PCA finds the directions of largest variance and their share', (t) => {
  // Points stretched along (1,1,0)/√2 (std 3) and (0,0,1) (std 1), tiny noise elsewhere.
  const rng = new Rng(4);
  const n = 2000;
  const data = new Float32Array(n * 3);
  for (let r = 0; r < n; r++) {
    const a = rng.normal(0, 3);
    const b = rng.normal(0, 1);
    const e = rng.normal(0, 0.01);
    data.set([a / Math.SQRT2 + e + 5, a / Math.SQRT2 - e - 2, b + 1], r * 3);
  }
  const { x, y, explained } = pca2d(data, n, 3);
  // The first coordinate is the projection on (1,1,0)/√2 of the centred points (up to sign).
  let dot = 0;
  let xx = 0;
  for (let r = 0; r < n; r++) {
    const proj = ((data[r * 3]! - 5) + (data[r * 3 + 1]! + 2)) / Math.SQRT2;
    dot += proj * x[r]!;
    xx += x[r]! * x[r]!;
  }
  t.true(Math.abs(dot) / xx > 0.99);
  t.true(Math.abs(explained[0] - 0.9) < 0.02, `first axis explains ${explained[0]}`);
  t.true(Math.abs(explained[1] - 0.1) < 0.02, `second axis explains ${explained[1]}`);
  const yMean = y.reduce((a, b) => a + b, 0) / n;
  t.true(Math.abs(yMean) < 1e-3, 'projections are centred');
  t.throws(() => pca2d(data, n, 4), { message: /6000 values for \[2000, 4\]/ });
});
