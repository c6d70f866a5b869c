/**
 * Two-dimensional maps of embeddings for plots.
 * - `pca2d`: PCA by power iteration with deflation on the D×D covariance (D is the
 *   joint width, 32–128, so this is cheap and exact enough for a picture); linear,
 *   so distances along the axes mean something and the explained variance is known.
 * - `umap2d`: UMAP (umap-js), which keeps local neighbourhoods (clusters, a
 *   patient's nearby studies) at the cost of global distances.
 * Both are deterministic: fixed start vectors, and a seeded generator for UMAP.
 */
import { UMAP } from 'umap-js';
import { Rng } from '../util/rng.ts';

/** A 2-D projection of N points. */
export interface Projection2D {
  /** [N] first coordinate. */
  x: Float32Array;
  /** [N] second coordinate. */
  y: Float32Array;
  /** Fraction of the total variance along each of the two axes (PCA); NaN for UMAP, whose axes carry none. */
  explained: [number, number];
}

/**
 * Principal component analysis to two dimensions.
 * @param data [N, D] row-major
 */
export function pca2d(data: Float32Array, rows: number, cols: number, iterations = 200): Projection2D {
  if (data.length !== rows * cols) throw new Error(`pca2d: ${data.length} values for [${rows}, ${cols}]`);
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c]! += data[r * cols + c]! / rows;
  const cov = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const a = data[r * cols + i]! - mean[i]!;
      for (let j = i; j < cols; j++) cov[i * cols + j]! += (a * (data[r * cols + j]! - mean[j]!)) / Math.max(1, rows - 1);
    }
  }
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) cov[i * cols + j] = cov[j * cols + i]!;
  let total = 0;
  for (let i = 0; i < cols; i++) total += cov[i * cols + i]!;
  const components: Float64Array[] = [];
  const values: number[] = [];
  for (let k = 0; k < 2; k++) {
    let v = new Float64Array(cols).map((_, i) => 1 / Math.sqrt(cols) + (i % (k + 2)) * 1e-3);
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      const next = new Float64Array(cols);
      for (let i = 0; i < cols; i++) {
        let s = 0;
        for (let j = 0; j < cols; j++) s += cov[i * cols + j]! * v[j]!;
        next[i] = s;
      }
      const norm = Math.hypot(...next);
      if (norm === 0) break;
      lambda = norm;
      v = next.map((x) => x / norm);
    }
    // Sign convention: the largest-magnitude coordinate is positive (stable pictures).
    let largest = 0;
    for (let i = 1; i < cols; i++) if (Math.abs(v[i]!) > Math.abs(v[largest]!)) largest = i;
    if (v[largest]! < 0) v = v.map((x) => -x);
    components.push(v);
    values.push(lambda);
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) cov[i * cols + j]! -= lambda * v[i]! * v[j]!;
  }
  const x = new Float32Array(rows);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let a = 0;
    let b = 0;
    for (let c = 0; c < cols; c++) {
      const centred = data[r * cols + c]! - mean[c]!;
      a += centred * components[0]![c]!;
      b += centred * components[1]![c]!;
    }
    x[r] = a;
    y[r] = b;
  }
  return { x, y, explained: [total > 0 ? values[0]! / total : 0, total > 0 ? values[1]! / total : 0] };
}

/** Options of `umap2d`; defaults are umap-learn's, except the fixed seed. */
export interface UmapOptions {
  /** Neighbourhood size: larger keeps more global structure (default 15, capped at N − 1). */
  neighbors?: number;
  /** How tightly points may pack in the map (default 0.1). */
  minDist?: number;
  /** Optimisation epochs (default: umap-js's choice, 500 for N ≤ 10 000). */
  epochs?: number;
  /** Seed of the generator UMAP draws from (default 0). */
  seed?: number;
}

/**
 * UMAP to two dimensions (Euclidean distances between rows).
 * @param data [N, D] row-major; N ≥ 3.
 */
export function umap2d(data: Float32Array, rows: number, cols: number, options: UmapOptions = {}): Projection2D {
  if (data.length !== rows * cols) throw new Error(`umap2d: ${data.length} values for [${rows}, ${cols}]`);
  if (rows < 3) throw new Error(`umap2d: needs at least 3 points, got ${rows}`);
  const rng = new Rng(options.seed ?? 0);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(options.neighbors ?? 15, rows - 1),
    minDist: options.minDist ?? 0.1,
    ...(options.epochs !== undefined ? { nEpochs: options.epochs } : {}),
    random: () => rng.uniform(),
  });
  const points = Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols)));
  const embedding = umap.fit(points);
  return {
    x: Float32Array.from(embedding, (point) => point[0]!),
    y: Float32Array.from(embedding, (point) => point[1]!),
    // UMAP axes carry no variance share; NaN says so rather than a made-up number.
    explained: [Number.NaN, Number.NaN],
  };
}
