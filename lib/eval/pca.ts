/**
 * Principal component analysis to k dimensions by subspace (block power)
 * iteration: V ← orth(Xᵀ X V), with the products on the tensor backend and the
 * orthonormalisation (modified Gram–Schmidt, k ≪ D) on the host. Fitted on one
 * set of rows (the training split) and applied to any other, so reference
 * features never see the test rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng.ts';
import { matrix, toMatrix, type Matrix, type MatrixLike } from './matrix.ts';

/** A fitted PCA: the training mean and k orthonormal components, largest variance first. */
export interface PcaModel {
  /** [D] */
  mean: Float32Array;
  /** [k, D] row-major, unit rows. */
  components: Float32Array;
  /** Variance along each component (on the fitted rows). */
  variances: Float64Array;
  /** Fraction of the total variance each component explains. */
  explained: Float64Array;
  k: number;
  inputs: number;
}

/** Settings of `fitPca`. */
export interface PcaOptions {
  /** Subspace iterations (default 40). */
  iterations?: number;
  /** Seeds the random start (default 0). */
  seed?: number;
}

/** Fits the top-`k` principal components of `data` ([N, D]). */
export function fitPca(data: MatrixLike, k: number, options: PcaOptions = {}): PcaModel {
  const x = toMatrix(data, 'fitPca data');
  const { rows: n, cols: d } = x;
  if (!Number.isInteger(k) || k < 1 || k > Math.min(n, d)) throw new Error(`fitPca: k must be in 1..${Math.min(n, d)}, got ${k}`);
  const mean = new Float32Array(d);
  for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) mean[c]! += x.data[r * d + c]! / n;
  const rng = new Rng(options.seed ?? 0);
  let basis: Float32Array = new Float32Array(d * k).map(() => rng.normal()); // [D, k] row-major
  orthonormalizeColumns(basis, d, k);
  const iterations = options.iterations ?? 40;
  const centred = tf.tidy(() => tf.sub(tf.tensor2d(x.data, [n, d]), tf.tensor2d(mean, [1, d])));
  try {
    for (let it = 0; it < iterations; it++) {
      basis = tf.tidy(() => {
        const v = tf.tensor2d(basis, [d, k]);
        return tf.matMul(centred, tf.matMul(centred, v), true, false).dataSync() as Float32Array; // [D, k]
      });
      orthonormalizeColumns(basis, d, k);
    }
    // Rayleigh–Ritz: rotate the basis to the eigenvectors of the small k×k problem, sorted by variance.
    const projected = tf.tidy(() => tf.matMul(centred, tf.tensor2d(basis, [d, k])).dataSync() as Float32Array); // [N, k]
    const small = gram(projected, n, k, n - 1);
    const { values, vectors } = symmetricEigen(small, k);
    const order = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]!);
    const components = new Float32Array(k * d);
    order.forEach((e, row) => {
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += basis[c * k + j]! * vectors[j * k + e]!;
        components[row * d + c] = s;
      }
    });
    let total = 0;
    for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) total += (x.data[r * d + c]! - mean[c]!) ** 2;
    total /= Math.max(1, n - 1);
    const variances = Float64Array.from(order, (e) => Math.max(0, values[e]!));
    return { mean, components, variances, explained: variances.map((v) => (total > 0 ? v / total : 0)), k, inputs: d };
  } finally {
    centred.dispose();
  }
}

/** Coordinates of `data` ([N, D]) on a fitted PCA's components: [N, k]. */
export function projectPca(model: PcaModel, data: MatrixLike): Matrix {
  const x = toMatrix(data, 'projectPca data');
  if (x.cols !== model.inputs) throw new Error(`projectPca: the PCA was fitted on ${model.inputs} columns, got ${x.cols}`);
  const out = tf.tidy(() =>
    tf.matMul(tf.sub(tf.tensor2d(x.data, [x.rows, x.cols]), tf.tensor2d(model.mean, [1, x.cols])), tf.tensor2d(model.components, [model.k, x.cols]), false, true).dataSync() as Float32Array,
  );
  return matrix(out, x.rows, model.k);
}

/** Modified Gram–Schmidt on the k columns of a [D, k] row-major array, in place. */
function orthonormalizeColumns(a: Float32Array, d: number, k: number): void {
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let r = 0; r < d; r++) dot += a[r * k + i]! * a[r * k + j]!;
      for (let r = 0; r < d; r++) a[r * k + j]! -= dot * a[r * k + i]!;
    }
    let norm = 0;
    for (let r = 0; r < d; r++) norm += a[r * k + j]! ** 2;
    norm = Math.sqrt(norm);
    // A collapsed column (rank-deficient data) restarts along a coordinate axis.
    if (norm < 1e-20) {
      for (let r = 0; r < d; r++) a[r * k + j] = r === j % d ? 1 : 0;
      j--;
      continue;
    }
    for (let r = 0; r < d; r++) a[r * k + j]! /= norm;
  }
}

/** (Aᵀ A) / divisor for A [n, k]. */
function gram(a: Float32Array, n: number, k: number, divisor: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) {
      const ai = a[r * k + i]!;
      for (let j = i; j < k; j++) out[i * k + j]! += ai * a[r * k + j]!;
    }
  }
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      out[i * k + j]! /= Math.max(1, divisor);
      out[j * k + i] = out[i * k + j]!;
    }
  }
  return out;
}

/** Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations; vectors are columns of a [k, k] row-major array. */
export function symmetricEigen(input: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(input);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += a[p * k + q]! ** 2;
    if (off < 1e-24) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * k + q]! - a[p * k + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p]!;
          const arq = a[r * k + q]!;
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r]!;
          const aqr = a[q * k + r]!;
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p]!;
          const vrq = v[r * k + q]!;
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: k }, (_, i) => a[i * k + i]!), vectors: v };
}
