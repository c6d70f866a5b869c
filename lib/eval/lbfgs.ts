/**
 * Limited-memory BFGS for small smooth problems (a linear probe has D·K + K
 * parameters): the two-loop recursion in float64 JS over a flat parameter
 * vector, with a backtracking (Armijo) line search. The objective and its
 * gradient come from a callback, which medst evaluates with tf.
 *
 * Deterministic: no randomness anywhere; the same start gives the same path.
 */

/** Objective value and gradient at a point (gradient has the point's length). */
export type ValueAndGradient = (x: Float64Array) => { value: number; gradient: Float64Array };

/** L-BFGS settings. */
export interface LbfgsOptions {
  /** Iterations (one search direction each). */
  maxIterations: number;
  /** Stop when max |gradient| falls below this. */
  gradientTolerance: number;
  /** Pairs (s, y) kept for the inverse-Hessian estimate. */
  history: number;
  /** Armijo sufficient-decrease constant c1. */
  armijo: number;
  /** Halvings of the step before the line search gives up (and L-BFGS stops). */
  maxBacktracks: number;
}

export const DEFAULT_LBFGS: LbfgsOptions = { maxIterations: 200, gradientTolerance: 1e-5, history: 10, armijo: 1e-4, maxBacktracks: 20 };

/** Where L-BFGS stopped and why. */
export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  /** 'gradient' (converged), 'iterations' (budget spent) or 'line-search' (no further decrease at float precision). */
  stopReason: 'gradient' | 'iterations' | 'line-search';
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Minimises `f` from `x0` (not modified). */
export function lbfgs(f: ValueAndGradient, x0: Float64Array, options: Partial<LbfgsOptions> = {}): LbfgsResult {
  const o = { ...DEFAULT_LBFGS, ...options };
  let x: Float64Array = Float64Array.from(x0);
  let { value, gradient } = f(x);
  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  for (let iteration = 0; iteration < o.maxIterations; iteration++) {
    if (maxAbs(gradient) < o.gradientTolerance) return { x, value, iterations: iteration, stopReason: 'gradient' };
    // Two-loop recursion: direction = −H·g.
    const q = Float64Array.from(gradient);
    const alphas: number[] = [];
    for (let i = sHistory.length - 1; i >= 0; i--) {
      const alpha = rhoHistory[i]! * dot(sHistory[i]!, q);
      alphas[i] = alpha;
      const y = yHistory[i]!;
      for (let j = 0; j < q.length; j++) q[j]! -= alpha * y[j]!;
    }
    if (sHistory.length > 0) {
      // Initial Hessian scale γ = s·y / y·y of the newest pair.
      const last = sHistory.length - 1;
      const gamma = dot(sHistory[last]!, yHistory[last]!) / dot(yHistory[last]!, yHistory[last]!);
      for (let j = 0; j < q.length; j++) q[j]! *= gamma;
    } else {
      // First step: a unit-length move along −g, so the line search starts at a sane scale.
      const scale = 1 / Math.max(Math.sqrt(dot(gradient, gradient)), 1e-12);
      for (let j = 0; j < q.length; j++) q[j]! *= scale;
    }
    for (let i = 0; i < sHistory.length; i++) {
      const beta = rhoHistory[i]! * dot(yHistory[i]!, q);
      const s = sHistory[i]!;
      for (let j = 0; j < q.length; j++) q[j]! += s[j]! * (alphas[i]! - beta);
    }
    const direction = q.map((v) => -v);
    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // Not a descent direction (stale curvature pairs): restart from steepest descent.
      sHistory.length = yHistory.length = rhoHistory.length = 0;
      const scale = 1 / Math.max(Math.sqrt(dot(gradient, gradient)), 1e-12);
      for (let j = 0; j < direction.length; j++) direction[j] = -gradient[j]! * scale;
      slope = dot(gradient, direction);
    }
    let step = 1;
    let accepted: { x: Float64Array; value: number; gradient: Float64Array } | null = null;
    for (let k = 0; k <= o.maxBacktracks; k++, step /= 2) {
      const candidate = x.map((v, j) => v + step * direction[j]!);
      const next = f(candidate);
      if (Number.isFinite(next.value) && next.value <= value + o.armijo * step * slope) {
        accepted = { x: candidate, ...next };
        break;
      }
    }
    if (!accepted) return { x, value, iterations: iteration, stopReason: 'line-search' };
    const s = accepted.x.map((v, j) => v - x[j]!);
    const y = accepted.gradient.map((v, j) => v - gradient[j]!);
    const sy = dot(s, y);
    // Keep the pair only with positive curvature (always true for a convex objective, up to rounding).
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / sy);
      if (sHistory.length > o.history) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
    }
    x = accepted.x;
    value = accepted.value;
    gradient = accepted.gradient;
  }
  return { x, value, iterations: o.maxIterations, stopReason: maxAbs(gradient) < o.gradientTolerance ? 'gradient' : 'iterations' };
}
