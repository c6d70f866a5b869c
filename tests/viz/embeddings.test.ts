import test from 'ava';
import { pca2d, umap2d } from '../../lib/viz/embeddings.ts';
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

/** Indices of the k nearest rows of `rows×cols` data to row i (Euclidean), excluding i. */
function nearest(data: ArrayLike<number>, rows: number, cols: number, i: number, k: number): number[] {
  const distances: Array<[number, number]> = [];
  for (let j = 0; j < rows; j++) {
    if (j === i) continue;
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += (data[i * cols + c]! - data[j * cols + c]!) ** 2;
    distances.push([sum, j]);
  }
  return distances.sort((a, b) => a[0] - b[0]).slice(0, k).map(([, j]) => j);
}

function interleave(x: Float32Array, y: Float32Array): Float32Array {
  return Float32Array.from({ length: 2 * x.length }, (_, i) => (i % 2 === 0 ? x[i >> 1]! : y[i >> 1]!));
}

test('UMAP keeps well-separated clusters apart: map neighbours share the cluster', (t) => {
  const rng = new Rng(7);
  const rows = 150;
  const cols = 16;
  const cluster = Array.from({ length: rows }, (_, r) => r % 3);
  const centres = [0, 1, 2].map(() => Array.from({ length: cols }, () => rng.normal(0, 4)));
  const data = Float32Array.from({ length: rows * cols }, (_, i) => centres[cluster[Math.floor(i / cols)]!]![i % cols]! + rng.normal(0, 0.5));
  const map = umap2d(data, rows, cols, { seed: 1 });
  const flat = interleave(map.x, map.y);
  let same = 0;
  for (let r = 0; r < rows; r++) same += nearest(flat, rows, 2, r, 5).filter((j) => cluster[j] === cluster[r]).length;
  t.true(same / (rows * 5) > 0.97, `same-cluster neighbours ${same / (rows * 5)}`);
  t.true(Number.isNaN(map.explained[0]));
});

test('UMAP keeps apart two rings that PCA lays on top of each other (neighbour preservation)', (t) => {
  // Two unit circles 0.6 apart along z: every point's 8 nearest neighbours lie on its own ring,
  // but z has less variance than x or y, so PCA keeps x–y and the rings coincide.
  const rows = 400;
  const data = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    const ring = r % 2;
    const angle = (2 * Math.PI * (Math.floor(r / 2) + 0.5 * ring)) / (rows / 2);
    data.set([Math.cos(angle), Math.sin(angle), 0.6 * ring], r * 3);
  }
  const preserved = (map: { x: Float32Array; y: Float32Array }): number => {
    const flat = interleave(map.x, map.y);
    let shared = 0;
    let asked = 0;
    for (let r = 0; r < rows; r += 4) {
      const original = new Set(nearest(data, rows, 3, r, 8));
      shared += nearest(flat, rows, 2, r, 8).filter((j) => original.has(j)).length;
      asked += 8;
    }
    return shared / asked;
  };
  const umap = preserved(umap2d(data, rows, 3, { seed: 3 }));
  const pca = preserved(pca2d(data, rows, 3));
  t.true(umap > 0.7, `UMAP keeps ${umap} of the 8 nearest neighbours`);
  t.true(umap > pca + 0.2, `UMAP ${umap} vs PCA ${pca}`);
});

test('UMAP is deterministic for a seed, differs across seeds, and rejects bad input', (t) => {
  const rng = new Rng(11);
  const data = Float32Array.from({ length: 40 * 5 }, () => rng.normal(0, 1));
  const a = umap2d(data, 40, 5, { seed: 5, epochs: 100 });
  const b = umap2d(data, 40, 5, { seed: 5, epochs: 100 });
  const c = umap2d(data, 40, 5, { seed: 6, epochs: 100 });
  t.deepEqual(Array.from(a.x), Array.from(b.x));
  t.deepEqual(Array.from(a.y), Array.from(b.y));
  t.notDeepEqual(Array.from(a.x), Array.from(c.x));
  t.notThrows(() => umap2d(data.subarray(0, 5 * 4), 4, 5)); // fewer points than neighbours
  t.throws(() => umap2d(data, 40, 4), { message: /200 values for \[40, 4\]/ });
  t.throws(() => umap2d(data.subarray(0, 10), 2, 5), { message: /at least 3 points/ });
});
