/**
 * medst's fused CPU kernels (`fused_ops.cc`, built by `npm run setup` into
 * `build/native/`): exact GELU and LayerNorm, forward and backward, and the
 * AdamW step, each one pass over memory instead of the 5–20 element-wise
 * TensorFlow ops their composed versions take. They register as TensorFlow ops in the process, and
 * are called through the tfjs-node backend like TensorFlow's own.
 *
 * Only on native TensorFlow on the CPU. `initBackend` loads them and reports
 * whether they are on; `MEDST_FUSED_KERNELS=0` (or `MEDST_NATIVE_OPS=0`, which
 * switches off every native hot path) keeps the composed tfjs versions, which
 * compute the same functions, e.g. to compare the two.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Where `npm run setup` puts the built library (the same path from lib/ and from dist/). */
export const FUSED_KERNELS_FILE = fileURLToPath(new URL('../../build/native/fused_ops.node', import.meta.url));

/** The op set's revision that this file calls; the library's exports carry the one it was built from. */
const OP_SET_VERSION = 3;

/** The fused kernels (float32; shapes checked by the kernels, which name the op in their error). */
export interface FusedKernels {
  /** x·Φ(x), exact (erf) GELU; any shape. */
  gelu(x: tf.Tensor): tf.Tensor;
  /** dy·(Φ(x) + x·φ(x)), the gradient of `gelu`; dy and x of one shape. */
  geluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor;
  /**
   * LayerNorm over the last axis, (x − mean)·rstd·gamma + beta, biased variance.
   * @param x [..., D]; gamma, beta [D]
   * @returns y (x's shape), and each row's mean and rstd = 1/√(var + eps) ([...], what the gradient needs)
   */
  layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): { y: tf.Tensor; mean: tf.Tensor; rstd: tf.Tensor };
  /** Gradients of `layerNorm` with respect to x, gamma and beta, given dy and the forward pass's mean and rstd (which carries eps). */
  layerNormGrad(dy: tf.Tensor, x: tf.Tensor, gamma: tf.Tensor, mean: tf.Tensor, rstd: tf.Tensor): { dx: tf.Tensor; dGamma: tf.Tensor; dBeta: tf.Tensor };
  /**
   * One AdamW step over flat vectors, PyTorch's arithmetic: g = grad·clip,
   * m' = β1·m + (1 − β1)·g, v' = β2·v + (1 − β2)·g²,
   * param' = param·(decayed ? decay : 1) − stepSize·m' / (√v' / √bc2 + ε).
   * @param param, grad, m, v [N]
   * @param decayMask [N] or [] (scalar): 1 where decayed, 0 where not
   * @param hyper [clip, β1, 1 − β1, β2, 1 − β2, stepSize, √bc2, ε, decay = 1 − lr·wd] (1 − β computed in double)
   */
  adamW(param: tf.Tensor1D, grad: tf.Tensor1D, m: tf.Tensor1D, v: tf.Tensor1D, decayMask: tf.Tensor, hyper: tf.Tensor1D): { param: tf.Tensor1D; m: tf.Tensor1D; v: tf.Tensor1D };
  /** Σ x² (a scalar), accumulated in double precision. */
  sumSquares(x: tf.Tensor): tf.Scalar;
}

interface TfeAttr {
  name: string;
  type: number;
  value: unknown;
}

interface NodeBackend {
  binding: { TF_ATTR_FLOAT: number; TF_ATTR_INT: number };
  executeMultipleOutputs(name: string, attrs: TfeAttr[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
}

let loaded: { backend: tf.KernelBackend; kernels: FusedKernels } | null = null;

/**
 * Loads the library into this process for the active tfjs-node CPU backend
 * (Node loads a file once; a second call for the same backend changes
 * nothing). Called by `initBackend`.
 * @param threads TensorFlow's intra-op thread count, which the kernels also use
 * @returns null when loaded, else why not (for the backend's one-line report)
 */
export function loadFusedKernels(threads: number, file = FUSED_KERNELS_FILE): string | null {
  if (!existsSync(file)) return `${file} is not built (run \`npm run setup\`)`;
  let exports: { registered?: boolean; version?: number };
  try {
    exports = createRequire(import.meta.url)(file) as typeof exports;
  } catch (error) {
    return `${file} does not load: ${(error as Error).message.split('\n')[0]} (run \`npm run setup\`)`;
  }
  if (exports.version !== OP_SET_VERSION) return `${file} is revision ${exports.version}, this code calls revision ${OP_SET_VERSION} (run \`npm run setup\`)`;
  if (!exports.registered) return `${file} loaded but its ops did not register with TensorFlow`;
  if (loaded?.backend !== tf.backend()) loaded = { backend: tf.backend(), kernels: makeKernels(tf.backend() as unknown as NodeBackend, threads) };
  return null;
}

/**
 * The fused kernels, or null (not loaded, another backend, or switched off by
 * `MEDST_FUSED_KERNELS=0` / `MEDST_NATIVE_OPS=0`; read on every call, so a test
 * can compare both paths in one process).
 */
export function fusedKernels(): FusedKernels | null {
  if (process.env.MEDST_FUSED_KERNELS === '0' || process.env.MEDST_NATIVE_OPS === '0') return null;
  return loaded && loaded.backend === tf.backend() ? loaded.kernels : null;
}

function makeKernels(backend: NodeBackend, threads: number): FusedKernels {
  const { binding } = backend;
  const threadAttr: TfeAttr = { name: 'threads', type: binding.TF_ATTR_INT, value: threads };
  const run = (op: string, attrs: TfeAttr[], inputs: tf.Tensor[], outputs: number) => backend.executeMultipleOutputs(op, attrs, inputs, outputs);
  return {
    gelu: (x) => run('MedstGelu', [threadAttr], [x], 1)[0]!,
    geluGrad: (dy, x) => run('MedstGeluGrad', [threadAttr], [dy, x], 1)[0]!,
    layerNorm(x, gamma, beta, eps) {
      const [y, mean, rstd] = run('MedstLayerNorm', [{ name: 'epsilon', type: binding.TF_ATTR_FLOAT, value: eps }, threadAttr], [x, gamma, beta], 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
      return { y, mean, rstd };
    },
    layerNormGrad(dy, x, gamma, mean, rstd) {
      const [dx, dGamma, dBeta] = run('MedstLayerNormGrad', [threadAttr], [dy, x, gamma, mean, rstd], 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
      return { dx, dGamma, dBeta };
    },
    adamW(param, grad, m, v, decayMask, hyper) {
      const [p, mNext, vNext] = run('MedstAdamW', [threadAttr], [param, grad, m, v, decayMask, hyper], 3) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
      return { param: p, m: mNext, v: vNext };
    },
    sumSquares: (x) => run('MedstSumSquares', [threadAttr], [x], 1)[0] as tf.Scalar,
  };
}
