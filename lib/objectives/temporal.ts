/**
 * Temporal objectives of Med-ST (methods.md §1.5), a cycle-consistency port:
 * within each chunk of T consecutive studies, forward mapping classification
 * (FMC: which report goes with image j) and reverse mapping regression (RMR:
 * recover the time index of image j through a soft round trip).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkPositive, checkShape, diagonalCrossEntropy } from './ops.ts';

/** Settings of the temporal objectives. */
export interface TemporalOptions {
  /** τt, the temperature dividing the squared distances. Med-ST uses 0.1 (`DEFAULT_TEMPORAL_TEMPERATURE`). */
  temperature: number;
  /** λ of RMR's log-variance term. Default 0.001 (`DEFAULT_VARIANCE_LAMBDA`). */
  varianceLambda?: number;
}

/** Which temporal terms are active (the simple-to-complex stage schedule switches them). */
export interface TemporalTerms {
  fmc: boolean;
  rmr: boolean;
}

/** Named terms; a term is present only when active. `loss` is 0 when none is. */
export type TemporalLossOutput = {
  /** Sum of the active terms. */
  loss: tf.Scalar;
  /** FMC(u→v): each u_j classifies its partner among v. */
  fmcUToV?: tf.Scalar;
  /** FMC(v→u). */
  fmcVToU?: tf.Scalar;
  /** RMR(u→v): u_j → soft neighbour in v → back to u, regress j/T. */
  rmrUToV?: tf.Scalar;
  /** RMR(v→u). */
  rmrVToU?: tf.Scalar;
};

export const DEFAULT_TEMPORAL_TEMPERATURE = 0.1;
export const DEFAULT_VARIANCE_LAMBDA = 0.001;
/** Added to the variance before dividing and taking its log (as the original). */
export const VARIANCE_EPS = 1e-7;

function checkSequences(fn: string, u: tf.Tensor3D, v: tf.Tensor3D): void {
  checkShape(fn, 'u', u, [null, null, null], ['S', 'T', 'd']);
  checkShape(fn, 'v', v, [u.shape[0], u.shape[1], u.shape[2]], ['S', 'T', 'd']);
  if (u.shape[0] < 1 || u.shape[1] < 1 || u.shape[2] < 1) throw new Error(`${fn}: u must be non-empty, got [${u.shape.join(', ')}]`);
}

/** `D[s, j, k] = ‖x[s, j] − y[s, k]‖²`. x, y `[S, T, d]` → `[S, T, T]` (exact difference form, never negative). */
function squaredDistances(x: tf.Tensor3D, y: tf.Tensor3D): tf.Tensor3D {
  return tf.sum(tf.square(tf.sub(tf.expandDims(x, 2), tf.expandDims(y, 1))), -1); // [S, T, T, d] → [S, T, T]
}

/**
 * Forward mapping classification: within each chunk, u_j must pick v_j among
 * v_1..v_T by squared distance.
 *
 *     D_jk = ‖u_j − v_k‖²,  L = mean_{s, j} CE(−D_{s, j, :} / τ, j)
 *
 * With u = v all equal, L = log T; with u = v orthonormal, L = log(1 + (T−1)·e^{−2/τ}).
 *
 * @param u `[S, T, d]` normalised embeddings (S chunks of T steps), e.g. images
 * @param v `[S, T, d]` paired embeddings, e.g. reports
 * @param options `{temperature}` (Med-ST: 0.1)
 * @returns scalar
 */
export function fmcLoss(u: tf.Tensor3D, v: tf.Tensor3D, options: Pick<TemporalOptions, 'temperature'>): tf.Scalar {
  const fn = 'fmcLoss';
  checkSequences(fn, u, v);
  checkPositive(fn, 'options.temperature', options?.temperature);
  return tf.tidy(() => {
    const logits = tf.div(tf.neg(squaredDistances(u, v)), options.temperature) as tf.Tensor3D; // [S, T, T]
    const all = tf.ones([u.shape[0], u.shape[1]], 'bool') as tf.Tensor2D;
    return tf.mean(diagonalCrossEntropy(logits, all)) as tf.Scalar;
  });
}

/**
 * Reverse mapping regression: a soft round trip u → v → u must come back to
 * the time index it started from, with a variance-aware squared error.
 *
 *     ṽ_j  = Σ_k softmax_k(−‖u_j − v_k‖² / τ) v_k
 *     β_jk = softmax_k(−‖ṽ_j − u_k‖² / τ)
 *     μ_j  = Σ_k β_jk t_k,   σ²_j = Σ_k β_jk (t_k − μ_j)²,   t_k = k / T  (k = 0..T−1)
 *     L    = mean_{s, j} [ (t_j − μ_j)² / (σ²_j + 1e-7) + λ · log(σ²_j + 1e-7) ]
 *
 * (The original wraps this in a Huber switch at |t_j − μ_j| ≥ 2, which never
 * fires since t, μ ∈ [0, 1); it is left out.)
 *
 * @param u `[S, T, d]` normalised embeddings
 * @param v `[S, T, d]` paired embeddings
 * @param options `{temperature, varianceLambda = 0.001}`
 * @returns scalar
 */
export function rmrLoss(u: tf.Tensor3D, v: tf.Tensor3D, options: TemporalOptions): tf.Scalar {
  const fn = 'rmrLoss';
  checkSequences(fn, u, v);
  checkPositive(fn, 'options.temperature', options?.temperature);
  const lambda = options.varianceLambda ?? DEFAULT_VARIANCE_LAMBDA;
  if (!Number.isFinite(lambda) || lambda < 0) throw new Error(`${fn}: options.varianceLambda must be a finite number ≥ 0, got ${lambda}`);
  return tf.tidy(() => {
    const steps = u.shape[1];
    const tau = options.temperature;
    const forward = tf.softmax(tf.div(tf.neg(squaredDistances(u, v)), tau)); // [S, T, T]
    const neighbours = tf.matMul(forward, v) as tf.Tensor3D; // [S, T, d]  ṽ
    const beta = tf.softmax(tf.div(tf.neg(squaredDistances(neighbours, u)), tau)); // [S, T, T]
    const time = tf.div(tf.range(0, steps, 1, 'float32'), steps); // [T]  t_k
    const mu = tf.sum(tf.mul(beta, time), -1); // [S, T]
    const variance = tf.sum(tf.mul(beta, tf.square(tf.sub(time, tf.expandDims(mu, 2)))), -1); // [S, T]
    const shifted = tf.add(variance, VARIANCE_EPS);
    const error = tf.square(tf.sub(time, mu)); // [S, T]  (t_j − μ_j)², time broadcasts over j
    return tf.mean(tf.add(tf.div(error, shifted), tf.mul(tf.log(shifted), lambda))) as tf.Scalar;
  });
}

/**
 * Both directions of the active temporal terms:
 *
 *     L = FMC(u→v) + RMR(u→v) + FMC(v→u) + RMR(v→u)   (inactive terms left out)
 *
 * @param u `[S, T, d]` normalised image embeddings of S full chunks
 * @param v `[S, T, d]` normalised report embeddings, paired step by step
 * @param options `{temperature, varianceLambda}`
 * @param terms which of FMC / RMR are active
 * @returns `{loss, fmcUToV?, fmcVToU?, rmrUToV?, rmrVToU?}`, scalars
 */
export function temporalLoss(u: tf.Tensor3D, v: tf.Tensor3D, options: TemporalOptions, terms: TemporalTerms): TemporalLossOutput {
  const fn = 'temporalLoss';
  checkSequences(fn, u, v);
  checkPositive(fn, 'options.temperature', options?.temperature);
  return tf.tidy(() => {
    const out: Omit<TemporalLossOutput, 'loss'> = {};
    if (terms.fmc) {
      out.fmcUToV = fmcLoss(u, v, options);
      out.fmcVToU = fmcLoss(v, u, options);
    }
    if (terms.rmr) {
      out.rmrUToV = rmrLoss(u, v, options);
      out.rmrVToU = rmrLoss(v, u, options);
    }
    const active = Object.values(out).filter((term): term is tf.Scalar => term !== undefined);
    const loss = (active.length > 0 ? tf.addN(active) : tf.scalar(0)) as tf.Scalar;
    return { loss, ...out };
  });
}
