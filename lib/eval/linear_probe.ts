/**
 * Linear classifiers on frozen features (linear probes).
 *
 * medst's default is L2-regularised logistic regression: multinomial (softmax)
 * for single-label tasks, one sigmoid per label (BCE) for multi-label ones.
 * The Med-ST paper uses a linear SVM for MS-CXR-T; medst prefers logistic
 * regression because it gives probabilities (AUROC, calibrated scores for
 * error analysis) at the same linear capacity, and its objective is smooth,
 * so full-batch L-BFGS reaches the optimum deterministically. The SVM is kept
 * as an option ('squaredHinge': one-vs-rest L2-loss linear SVM, liblinear's
 * default formulation), whose scores are decision values, not probabilities.
 *
 * Objective (over the N training rows, features standardised with the
 * TRAINING mean and std, so nothing of the test rows is seen):
 *   mean loss + (l2 / 2)·‖W‖²   (bias not penalised; sklearn's C ↔ l2 = 1/(C·N)).
 * Weights start at zero (the problem is convex); L-BFGS is full-batch and has
 * no randomness; with AdamW the seed orders the mini-batches.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AdamW } from '../train/optim.ts';
import { Rng } from '../util/rng.ts';
import { lbfgs, type LbfgsResult } from './lbfgs.ts';
import { matrix, toMatrix, type Matrix, type MatrixLike } from './matrix.ts';

/** The probe's loss: which kind of linear classifier it is. */
export type ProbeLoss = 'softmax' | 'sigmoid' | 'squaredHinge';

/** Settings of `fitLinearProbe`. */
export interface LinearProbeConfig {
  /** 'softmax': multinomial LR; 'sigmoid': multi-label LR (NaN targets ignored); 'squaredHinge': one-vs-rest linear SVM. */
  loss: ProbeLoss;
  /** L2 penalty λ on the weights (not the bias), on standardised features. */
  l2: number;
  /** 'lbfgs' (full batch) or 'adamw' (mini-batches, fixed epochs). */
  optimizer: 'lbfgs' | 'adamw';
  /** L-BFGS iterations, or AdamW epochs. */
  maxIterations: number;
  /** L-BFGS stops when max |gradient| is below this. */
  gradientTolerance: number;
  /** AdamW learning rate. */
  learningRate: number;
  /** AdamW mini-batch size (default: the whole training set). */
  batchSize?: number;
  /** Seeds the AdamW mini-batch order (L-BFGS is deterministic without it). */
  seed: number;
  /** Standardise features with the training mean/std (default true). */
  standardize: boolean;
  /** Classes K for single-label targets (default: 1 + the largest label). */
  numClasses?: number;
}

export const DEFAULT_LINEAR_PROBE: LinearProbeConfig = {
  loss: 'softmax',
  l2: 1e-3,
  optimizer: 'lbfgs',
  maxIterations: 200,
  gradientTolerance: 1e-5,
  learningRate: 1e-2,
  seed: 0,
  standardize: true,
};

/** Fills the defaults of a partial config. */
export function resolveLinearProbeConfig(config: Partial<LinearProbeConfig> = {}): LinearProbeConfig {
  const resolved = { ...DEFAULT_LINEAR_PROBE, ...config };
  if (!(resolved.l2 >= 0)) throw new Error(`linear probe: l2 must be ≥ 0, got ${resolved.l2}`);
  if (!Number.isInteger(resolved.maxIterations) || resolved.maxIterations < 1) throw new Error(`linear probe: maxIterations must be a positive integer, got ${resolved.maxIterations}`);
  return resolved;
}

/** A fitted probe: plain arrays, no tensors (nothing to dispose; JSON-able via Array.from). */
export interface LinearProbeModel {
  loss: ProbeLoss;
  /** Input features D. */
  inputs: number;
  /** Outputs K (classes or labels). */
  outputs: number;
  /** `[D, K]` weights acting on standardised features. */
  weights: Float32Array;
  /** `[K]` */
  bias: Float32Array;
  /** `[D]` training mean subtracted before the weights (zeros without standardisation). */
  mean: Float32Array;
  /** `[D]` training std divided by (ones without standardisation; 1 for constant features). */
  scale: Float32Array;
  /** Objective at the end, and how the optimiser stopped. */
  finalLoss: number;
  iterations: number;
  stopReason: LbfgsResult['stopReason'] | 'epochs';
}

/** Column mean and population std of `x` `[N, D]`; a constant column gets std 1. */
function columnStats(x: Matrix): { mean: Float32Array; scale: Float32Array } {
  const mean = new Float64Array(x.cols);
  const sq = new Float64Array(x.cols);
  for (let r = 0; r < x.rows; r++) for (let c = 0; c < x.cols; c++) mean[c]! += x.data[r * x.cols + c]!;
  for (let c = 0; c < x.cols; c++) mean[c]! /= Math.max(1, x.rows);
  for (let r = 0; r < x.rows; r++) for (let c = 0; c < x.cols; c++) sq[c]! += (x.data[r * x.cols + c]! - mean[c]!) ** 2;
  const scale = Float32Array.from(sq, (s) => {
    const std = Math.sqrt(s / Math.max(1, x.rows));
    return std > 1e-12 ? std : 1;
  });
  return { mean: Float32Array.from(mean), scale };
}

/** Targets as tensors: one-hot `[N, K]` (softmax/hinge) or 0/1 with a mask `[N, L]` (sigmoid). */
function targetTensors(labels: ArrayLike<number> | Matrix, config: LinearProbeConfig, rows: number): { target: Float32Array; mask: Float32Array | null; outputs: number } {
  if (config.loss === 'sigmoid') {
    if (!('cols' in labels)) throw new Error('linear probe: the sigmoid (multi-label) loss needs a label matrix [N, L] of 0/1/NaN');
    if (labels.rows !== rows) throw new Error(`linear probe: ${labels.rows} label rows for ${rows} feature rows`);
    const mask = Float32Array.from(labels.data, (v) => (Number.isNaN(v) ? 0 : 1));
    const target = Float32Array.from(labels.data, (v) => (v === 1 ? 1 : 0));
    return { target, mask, outputs: labels.cols };
  }
  if ('cols' in labels) throw new Error(`linear probe: the ${config.loss} loss needs class indices [N], got a matrix`);
  if (labels.length !== rows) throw new Error(`linear probe: ${labels.length} labels for ${rows} feature rows`);
  let k = config.numClasses ?? 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0) throw new Error(`linear probe: label ${y} at row ${i} is not a class index`);
    if (config.numClasses === undefined) k = Math.max(k, y + 1);
    else if (y >= k) throw new Error(`linear probe: label ${y} at row ${i} ≥ numClasses ${k}`);
  }
  k = Math.max(k, 2);
  const target = new Float32Array(rows * k);
  for (let i = 0; i < rows; i++) target[i * k + labels[i]!] = 1;
  return { target, mask: null, outputs: k };
}

/** The data term of the objective (mean loss over the batch) from the logits `[B, K]`. */
function dataLoss(loss: ProbeLoss, logits: tf.Tensor2D, target: tf.Tensor2D, mask: tf.Tensor2D | null): tf.Scalar {
  if (loss === 'softmax') return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(target, logits), 1)));
  if (loss === 'sigmoid') {
    const bce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    const m = mask ?? tf.onesLike(bce);
    return tf.div(tf.sum(tf.mul(bce, m)), tf.maximum(tf.sum(m), 1));
  }
  const sign = tf.sub(tf.mul(target, 2), 1); // ±1 one-vs-rest targets
  return tf.mean(tf.sum(tf.square(tf.relu(tf.sub(1, tf.mul(sign, logits)))), 1));
}

/**
 * dL/dlogits of the data term in closed form: P − Y (softmax), (σ(z) − t)·mask / Σmask
 * (sigmoid), or −2·s·relu(1 − s·z) / B (squared hinge).
 */
function logitGradient(loss: ProbeLoss, logits: tf.Tensor2D, target: tf.Tensor2D, mask: tf.Tensor2D | null): tf.Tensor2D {
  const rows = logits.shape[0];
  if (loss === 'softmax') return tf.div(tf.sub(tf.softmax(logits), target), rows);
  if (loss === 'sigmoid') {
    const m = mask ?? tf.onesLike(logits);
    return tf.div(tf.mul(tf.sub(tf.sigmoid(logits), target), m), tf.maximum(tf.sum(m), 1));
  }
  const sign = tf.sub(tf.mul(target, 2), 1);
  return tf.mul(tf.mul(sign, tf.relu(tf.sub(1, tf.mul(sign, logits)))), -2 / rows);
}

/** `[D·K + K]`: dW = xᵀ·dlogits + l2·W (row-major), then db = Σ dlogits. */
function parameterGradient(l2: number, x: tf.Tensor2D, w: tf.Tensor2D, dLogits: tf.Tensor2D): tf.Tensor1D {
  const dW = tf.add(tf.matMul(x, dLogits, true, false), tf.mul(w, l2)); // [D, K]
  return tf.concat([tf.reshape(dW, [-1]), tf.sum(dLogits, 0)]) as tf.Tensor1D;
}

/**
 * The probe objective for one batch: mean loss + (l2/2)·‖W‖².
 * @param x `[B, D]` standardised features; `w` `[D, K]`; `b` `[K]`; `target` `[B, K]`; `mask` `[B, K]` or null.
 */
export function probeObjective(loss: ProbeLoss, l2: number, x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, target: tf.Tensor2D, mask: tf.Tensor2D | null): tf.Scalar {
  return tf.tidy(() => tf.add(dataLoss(loss, tf.add(tf.matMul(x, w as tf.Tensor2D), b) as tf.Tensor2D, target, mask), tf.mul(l2 / 2, tf.sum(tf.square(w)))));
}

/**
 * The objective's gradient in closed form (a handful of ops instead of tf's
 * generic backward pass, which dominates the cost of small probes).
 * Checked against tf.grads of `probeObjective` in the tests.
 * @returns `[D·K + K]` (dW row-major, then db).
 */
export function probeGradient(loss: ProbeLoss, l2: number, x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, target: tf.Tensor2D, mask: tf.Tensor2D | null): tf.Tensor1D {
  return tf.tidy(() => parameterGradient(l2, x, w, logitGradient(loss, tf.add(tf.matMul(x, w), b) as tf.Tensor2D, target, mask)));
}

/**
 * Objective and gradient from one product x·W, packed for one download:
 * `[1 + D·K + K]` = (objective, dW row-major, db). What L-BFGS calls at every
 * evaluation; half the products and one host read instead of two.
 */
export function probeValueAndGradient(loss: ProbeLoss, l2: number, x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, target: tf.Tensor2D, mask: tf.Tensor2D | null): tf.Tensor1D {
  return tf.tidy(() => {
    const logits = tf.add(tf.matMul(x, w), b) as tf.Tensor2D; // [B, K]
    const value = tf.add(dataLoss(loss, logits, target, mask), tf.mul(l2 / 2, tf.sum(tf.square(w))));
    return tf.concat([tf.reshape(value, [1]), parameterGradient(l2, x, w, logitGradient(loss, logits, target, mask))]) as tf.Tensor1D;
  });
}

/**
 * Fits a linear probe on frozen features.
 * @param features `[N, D]` training features.
 * @param labels `[N]` class indices (softmax, squaredHinge) or `[N, L]` 0/1/NaN (sigmoid).
 */
export function fitLinearProbe(features: MatrixLike, labels: ArrayLike<number> | Matrix, config: Partial<LinearProbeConfig> = {}): LinearProbeModel {
  const c = resolveLinearProbeConfig(config);
  const x = toMatrix(features, 'fitLinearProbe(features)');
  if (x.rows === 0) throw new Error('fitLinearProbe: no training rows');
  const { target, mask, outputs } = targetTensors(labels, c, x.rows);
  const stats = c.standardize ? columnStats(x) : { mean: new Float32Array(x.cols), scale: new Float32Array(x.cols).fill(1) };
  const d = x.cols;
  const xs = tf.tidy(() => tf.div(tf.sub(tf.tensor2d(x.data, [x.rows, d]), tf.tensor1d(stats.mean)), tf.tensor1d(stats.scale)) as tf.Tensor2D);
  const ys = tf.tensor2d(target, [x.rows, outputs]);
  const ms = mask ? tf.tensor2d(mask, [x.rows, outputs]) : null;
  try {
    const fit = c.optimizer === 'lbfgs' ? fitLbfgs(c, xs, ys, ms, d, outputs) : fitAdamW(c, xs, ys, ms, d, outputs);
    return { loss: c.loss, inputs: d, outputs, mean: stats.mean, scale: stats.scale, ...fit };
  } finally {
    tf.dispose([xs, ys, ...(ms ? [ms] : [])]);
  }
}

type Fit = Pick<LinearProbeModel, 'weights' | 'bias' | 'finalLoss' | 'iterations' | 'stopReason'>;

function fitLbfgs(c: LinearProbeConfig, x: tf.Tensor2D, y: tf.Tensor2D, m: tf.Tensor2D | null, d: number, k: number): Fit {
  const f = (theta: Float64Array) => {
    const packed = tf.tidy(() => {
      const w = tf.tensor2d(Float32Array.from(theta.subarray(0, d * k)), [d, k]);
      const b = tf.tensor1d(Float32Array.from(theta.subarray(d * k)));
      return probeValueAndGradient(c.loss, c.l2, x, w, b, y, m);
    });
    const values = packed.dataSync();
    packed.dispose();
    return { value: values[0]!, gradient: Float64Array.from(values.subarray(1)) };
  };
  const result = lbfgs(f, new Float64Array(d * k + k), { maxIterations: c.maxIterations, gradientTolerance: c.gradientTolerance });
  return {
    weights: Float32Array.from(result.x.subarray(0, d * k)),
    bias: Float32Array.from(result.x.subarray(d * k)),
    finalLoss: result.value,
    iterations: result.iterations,
    stopReason: result.stopReason,
  };
}

function fitAdamW(c: LinearProbeConfig, x: tf.Tensor2D, y: tf.Tensor2D, m: tf.Tensor2D | null, d: number, k: number): Fit {
  const n = x.shape[0];
  const batchSize = Math.min(n, c.batchSize ?? n);
  const w = tf.tidy(() => tf.variable(tf.zeros([d, k]))) as tf.Variable<tf.Rank.R2>;
  const b = tf.tidy(() => tf.variable(tf.zeros([k]))) as tf.Variable<tf.Rank.R1>;
  const optimizer = new AdamW({ weightDecay: 0 }); // L2 is in the objective, as for L-BFGS
  const rng = new Rng(c.seed);
  const order = Array.from({ length: n }, (_, i) => i);
  try {
    for (let epoch = 0; epoch < c.maxIterations; epoch++) {
      if (batchSize < n) rng.shuffle(order);
      for (let start = 0; start < n; start += batchSize) {
        tf.tidy(() => {
          const rows = tf.tensor1d(order.slice(start, start + batchSize), 'int32');
          const xb = tf.gather(x, rows);
          const yb = tf.gather(y, rows);
          const mb = m ? tf.gather(m, rows) : null;
          const gradient = probeGradient(c.loss, c.l2, xb, w, b, yb, mb); // [D·K + K]
          const gw = tf.reshape(tf.slice(gradient, [0], [d * k]), [d, k]);
          optimizer.apply([['w', w], ['b', b]], { w: gw, b: tf.slice(gradient, [d * k], [k]) }, c.learningRate);
        });
      }
    }
    const finalLoss = tf.tidy(() => probeObjective(c.loss, c.l2, x, w, b, y, m).dataSync()[0]!);
    return { weights: w.dataSync() as Float32Array, bias: b.dataSync() as Float32Array, finalLoss, iterations: c.maxIterations, stopReason: 'epochs' };
  } finally {
    optimizer.dispose();
    tf.dispose([w, b]);
  }
}

/**
 * The probe's scores for new rows: probabilities (softmax over classes, or a
 * sigmoid per label) for logistic regression, decision values for the SVM.
 * @param features `[N, D]` (raw; standardised here with the training statistics).
 * @returns `[N, K]`
 */
export function probeScores(model: LinearProbeModel, features: MatrixLike): Matrix {
  const x = toMatrix(features, 'probeScores(features)');
  if (x.cols !== model.inputs) throw new Error(`probeScores: features have ${x.cols} columns, the probe was fitted on ${model.inputs}`);
  const logits = tf.tidy(() => {
    const xs = tf.div(tf.sub(tf.tensor2d(x.data, [x.rows, x.cols]), tf.tensor1d(model.mean)), tf.tensor1d(model.scale));
    return tf.add(tf.matMul(xs, tf.tensor2d(model.weights, [model.inputs, model.outputs])), tf.tensor1d(model.bias)).dataSync() as Float32Array; // [N, K]
  });
  // The activation runs on the host, element by element: the backend's vectorised
  // sigmoid rounds differently in a vector's body and tail, which turned equal
  // logits into unequal scores and broke AUROC ties (constant features scored 0.487).
  const data = model.loss === 'squaredHinge' ? logits : model.loss === 'sigmoid' ? logits.map((z) => 1 / (1 + Math.exp(-z))) : softmaxRows(logits, model.outputs);
  return matrix(data, x.rows, model.outputs);
}

/**
 * Hard predictions: the arg-max class `[N]` (softmax, squaredHinge), or 0/1
 * per label `[N·L]` at probability 0.5 (sigmoid).
 */
export function probePredict(model: LinearProbeModel, features: MatrixLike): Int32Array {
  const scores = probeScores(model, features);
  if (model.loss === 'sigmoid') return Int32Array.from(scores.data, (p) => (p > 0.5 ? 1 : 0));
  const out = new Int32Array(scores.rows);
  for (let i = 0; i < scores.rows; i++) {
    let best = 0;
    for (let k = 1; k < scores.cols; k++) if (scores.data[i * scores.cols + k]! > scores.data[i * scores.cols + best]!) best = k;
    out[i] = best;
  }
  return out;
}

/** The weights `[D, K]` and bias `[K]` acting on RAW features (standardisation folded in). */
export function rawSpaceWeights(model: LinearProbeModel): { weights: Float32Array; bias: Float32Array } {
  const { inputs: d, outputs: k } = model;
  const weights = new Float32Array(d * k);
  const bias = Float32Array.from(model.bias);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < k; j++) {
      const w = model.weights[i * k + j]! / model.scale[i]!;
      weights[i * k + j] = w;
      bias[j]! -= w * model.mean[i]!;
    }
  }
  return { weights, bias };
}

/** Row-wise softmax of `[N, K]` logits (max-subtracted, float64 accumulation). */
function softmaxRows(logits: Float32Array, k: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / k; r++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[r * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(logits[r * k + c]! - max);
    for (let c = 0; c < k; c++) out[r * k + c] = Math.exp(logits[r * k + c]! - max) / sum;
  }
  return out;
}
