/**
 * The soft alignments behind the temporal objectives (§1.5), as maps to look at:
 * FMC's forward probabilities (which report each image picks) and RMR's round
 * trip (image → soft nearest report → back to images). Same formulas as
 * `fmcLoss` / `rmrLoss`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Alignment maps of S chunks of T steps. */
export interface TemporalAlignmentMaps {
  /** [S, T, T]: softmax_k(−‖u_j − v_k‖² / τ), row j = image j's choice among the reports. */
  forward: tf.Tensor3D;
  /** [S, T, T]: β_jk, where image j's soft nearest report maps back to among the images. */
  roundTrip: tf.Tensor3D;
  /** [S, T]: μ_j = Σ_k β_jk · k/T, the recovered time of step j. */
  recoveredTime: tf.Tensor2D;
}

function squaredDistances(x: tf.Tensor3D, y: tf.Tensor3D): tf.Tensor3D {
  return tf.sum(tf.square(tf.sub(tf.expandDims(x, 2), tf.expandDims(y, 1))), -1); // [S, T, T]
}

/**
 * @param u [S, T, d] normalised image embeddings (steps in time order)
 * @param v [S, T, d] normalised report embeddings, paired with u
 * @param temperature τ (Med-ST: 0.1)
 */
export function temporalAlignmentMaps(u: tf.Tensor3D, v: tf.Tensor3D, temperature: number): TemporalAlignmentMaps {
  if (u.rank !== 3 || !tf.util.arraysEqual(u.shape, v.shape)) throw new Error(`temporalAlignmentMaps: u and v must both be [S, T, d], got [${u.shape}] and [${v.shape}]`);
  return tf.tidy(() => {
    const steps = u.shape[1];
    const forward = tf.softmax(tf.div(tf.neg(squaredDistances(u, v)), temperature)) as tf.Tensor3D;
    const neighbours = tf.matMul(forward, v) as tf.Tensor3D; // [S, T, d]
    const roundTrip = tf.softmax(tf.div(tf.neg(squaredDistances(neighbours, u)), temperature)) as tf.Tensor3D;
    const time = tf.div(tf.range(0, steps, 1, 'float32'), steps);
    const recoveredTime = tf.sum(tf.mul(roundTrip, time), -1) as tf.Tensor2D;
    return { forward, roundTrip, recoveredTime };
  });
}
