/**
 * AdamW with decoupled weight decay (Loshchilov & Hutter), as PyTorch's
 * `torch.optim.AdamW` computes it, plus global-norm gradient clipping as
 * `torch.nn.utils.clip_grad_norm_`. Moments are named after their parameter so
 * that checkpoints can save and restore them exactly.
 */
import * as tf from '@tensorflow/tfjs-core';

/** AdamW settings (the paper: lr 4e-5, betas (0.9, 0.999), weight decay 0.05). */
export interface AdamWConfig {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** Parameters whose name matches get no weight decay (e.g. /bias$|norm/); default: none excluded, as the paper. */
  noDecay?: RegExp;
}

export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.05 };

interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

/** The optimiser's state as plain named tensors (for checkpoints). */
export interface AdamWState {
  step: number;
  /** `<param>.m` and `<param>.v` for every parameter that has been updated. */
  tensors: Map<string, tf.Tensor>;
}

export class AdamW {
  readonly config: AdamWConfig;
  private readonly moments = new Map<string, Moments>();
  /** Updates applied so far (t in the bias corrections). */
  step = 0;

  constructor(config: Partial<AdamWConfig> = {}) {
    this.config = { ...DEFAULT_ADAMW, ...config };
  }

  private momentsOf(name: string, param: tf.Variable): Moments {
    let moments = this.moments.get(name);
    if (!moments) {
      // Inside tidy: the zeros the variables start from are freed, the variables kept.
      moments = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(param), false), v: tf.variable(tf.zerosLike(param), false) }));
      this.moments.set(name, moments);
    }
    return moments;
  }

  /**
   * One update of every parameter that has a gradient.
   * @param params [name, variable] pairs.
   * @param grads gradient per name (same shape as the variable); not disposed here.
   * @param learningRate this step's learning rate.
   */
  apply(params: ReadonlyArray<[string, tf.Variable]>, grads: Readonly<Record<string, tf.Tensor>>, learningRate: number): void {
    this.step++;
    const { beta1, beta2, epsilon, weightDecay, noDecay } = this.config;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    // PyTorch: step_size = lr / bc1; denom = sqrt(v) / sqrt(bc2) + eps.
    const stepSize = learningRate / correction1;
    const sqrtCorrection2 = Math.sqrt(correction2);
    for (const [name, param] of params) {
      const grad = grads[name];
      if (!grad) continue;
      const { m, v } = this.momentsOf(name, param);
      tf.tidy(() => {
        const decay = weightDecay > 0 && !(noDecay?.test(name) ?? false) ? 1 - learningRate * weightDecay : 1;
        const nextM = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
        const nextV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(nextV), sqrtCorrection2), epsilon);
        const decayed = decay === 1 ? param : tf.mul(param, decay);
        param.assign(tf.sub(decayed, tf.mul(tf.div(nextM, denom), stepSize)));
        m.assign(nextM);
        v.assign(nextV);
      });
    }
  }

  /** Copies of the state (caller disposes the tensors). */
  getState(): AdamWState {
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, { m, v }] of this.moments) {
      tensors.set(`${name}.m`, tf.clone(m));
      tensors.set(`${name}.v`, tf.clone(v));
    }
    return { step: this.step, tensors };
  }

  /** Restores a state saved by `getState` (values are copied; the caller keeps ownership of `state`). */
  setState(state: AdamWState, params: ReadonlyArray<[string, tf.Variable]>): void {
    this.step = state.step;
    for (const [name, param] of params) {
      const m = state.tensors.get(`${name}.m`);
      const v = state.tensors.get(`${name}.v`);
      if (!m || !v) continue; // never updated before the save
      const moments = this.momentsOf(name, param);
      moments.m.assign(m);
      moments.v.assign(v);
    }
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`
 * (torch.nn.utils.clip_grad_norm_: factor min(1, maxNorm / (norm + 1e-6))).
 * @returns the clipped gradients (new tensors) and the norm before clipping.
 */
export function clipByGlobalNorm(grads: Readonly<Record<string, tf.Tensor>>, maxNorm: number): { grads: Record<string, tf.Tensor>; norm: number } {
  const names = Object.keys(grads);
  const norm = tf.tidy(() => Math.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!)))).dataSync()[0]!));
  const factor = Math.min(1, maxNorm / (norm + 1e-6));
  const clipped: Record<string, tf.Tensor> = {};
  for (const name of names) clipped[name] = tf.tidy(() => tf.mul(grads[name]!, factor));
  return { grads: clipped, norm };
}
