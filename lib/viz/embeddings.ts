/**
 * Two-dimensional maps of embeddings for plots: PCA by power iteration with
 * deflation on the D×D covariance (D is the joint width, 32–128, so this is cheap
 * and exact enough for a picture). Deterministic: the start vectors are fixed.
 */

/** A 2-D projection of N points. */
export interface Projection2D {
  /** [N] first coordinate. */
  x: Float32Array;
  /** [N] second coordinate. */
  y: Float32Array;
  /** Fraction of the total variance along each of the two axes. */
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
