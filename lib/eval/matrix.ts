/**
 * The plain row-major matrix that every evaluation takes and returns. The
 * evaluations are "embeddings in, numbers out": callers hand over features or
 * embeddings as typed arrays (or a `tf.Tensor2D`, read once), and nothing
 * tensor-valued outlives a call.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A dense row-major matrix `[rows, cols]`: `data[r * cols + c]`. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

/** What the evaluations accept where a matrix is expected. */
export type MatrixLike = Matrix | tf.Tensor2D | ReadonlyArray<ArrayLike<number>>;

/**
 * A `Matrix` over `data` (no copy), checking that `data.length === rows·cols`.
 * @param data `[rows·cols]` row-major values.
 */
export function matrix(data: Float32Array, rows: number, cols: number): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new Error(`matrix: rows and cols must be non-negative integers, got ${rows}×${cols}`);
  }
  if (data.length !== rows * cols) throw new Error(`matrix: data has ${data.length} values, expected ${rows}×${cols} = ${rows * cols}`);
  return { rows, cols, data };
}

function isMatrix(x: MatrixLike): x is Matrix {
  return !(x instanceof tf.Tensor) && !Array.isArray(x) && (x as Matrix).data instanceof Float32Array;
}

/**
 * Converts a `MatrixLike` to a `Matrix`. A tensor is read synchronously (and not
 * disposed: the caller owns it); nested arrays are copied.
 * @param name used in error messages.
 */
export function toMatrix(x: MatrixLike, name = 'matrix'): Matrix {
  if (x instanceof tf.Tensor) {
    if (x.rank !== 2) throw new Error(`${name}: expected a rank-2 tensor [N, D], got shape [${x.shape}]`);
    return matrix(x.dataSync() as Float32Array, x.shape[0], x.shape[1]);
  }
  if (isMatrix(x)) return matrix(x.data, x.rows, x.cols);
  const rows = x as ReadonlyArray<ArrayLike<number>>;
  const cols = rows.length > 0 ? rows[0]!.length : 0;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((row, r) => {
    if (row.length !== cols) throw new Error(`${name}: row ${r} has ${row.length} values, row 0 has ${cols}`);
    for (let c = 0; c < cols; c++) data[r * cols + c] = row[c]!;
  });
  return matrix(data, rows.length, cols);
}

/** Row `r` as a subarray view `[cols]` (no copy). */
export function rowOf(m: Matrix, r: number): Float32Array {
  return m.data.subarray(r * m.cols, (r + 1) * m.cols);
}

/** The rows at `indices`, copied into a new `[indices.length, cols]` matrix. */
export function selectRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const out = new Float32Array(indices.length * m.cols);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    if (!Number.isInteger(r) || r < 0 || r >= m.rows) throw new Error(`selectRows: row ${r} out of range [0, ${m.rows})`);
    out.set(rowOf(m, r), i * m.cols);
  }
  return matrix(out, indices.length, m.cols);
}

/** The matrix as nested arrays `[rows][cols]` (for JSON and tables). */
export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < m.rows; r++) out.push(Array.from(rowOf(m, r)));
  return out;
}

/**
 * Cosine similarity of every row of `a` with every row of `b`, computed with tf
 * on L2-normalised rows (a zero row gives similarity 0).
 * @param a `[N, D]`
 * @param b `[M, D]`
 * @returns `[N, M]`
 */
export function cosineSimilarity(a: MatrixLike, b: MatrixLike): Matrix {
  const ma = toMatrix(a, 'cosineSimilarity(a)');
  const mb = toMatrix(b, 'cosineSimilarity(b)');
  if (ma.cols !== mb.cols) throw new Error(`cosineSimilarity: dims differ, a is [${ma.rows}, ${ma.cols}], b is [${mb.rows}, ${mb.cols}]`);
  const data = tf.tidy(() => {
    const ta = normalizeRows(tf.tensor2d(ma.data, [ma.rows, ma.cols])); // [N, D]
    const tb = normalizeRows(tf.tensor2d(mb.data, [mb.rows, mb.cols])); // [M, D]
    return tf.matMul(ta, tb, false, true).dataSync() as Float32Array; // [N, M]
  });
  return matrix(data, ma.rows, mb.rows);
}

/** `x / max(‖x‖, 1e-12)` per row, as `F.normalize` (x: `[N, D]`). */
export function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-24))));
}

/** L2-normalises every row of a matrix (returns a new matrix). */
export function normalizeMatrixRows(x: MatrixLike): Matrix {
  const m = toMatrix(x);
  const data = tf.tidy(() => normalizeRows(tf.tensor2d(m.data, [m.rows, m.cols])).dataSync() as Float32Array);
  return matrix(data, m.rows, m.cols);
}

/**
 * Cosine similarity of matching rows: `cos(a_i, b_i)` for every i.
 * @param a `[N, D]`
 * @param b `[N, D]`
 * @returns `[N]`
 */
export function rowCosines(a: MatrixLike, b: MatrixLike): Float32Array {
  const ma = toMatrix(a, 'rowCosines(a)');
  const mb = toMatrix(b, 'rowCosines(b)');
  if (ma.rows !== mb.rows || ma.cols !== mb.cols) throw new Error(`rowCosines: a is [${ma.rows}, ${ma.cols}], b is [${mb.rows}, ${mb.cols}]`);
  return tf.tidy(() => {
    const ta = normalizeRows(tf.tensor2d(ma.data, [ma.rows, ma.cols]));
    const tb = normalizeRows(tf.tensor2d(mb.data, [mb.rows, mb.cols]));
    return tf.sum(tf.mul(ta, tb), 1).dataSync() as Float32Array; // [N]
  });
}
