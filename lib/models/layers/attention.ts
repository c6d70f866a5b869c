/**
 * Multi-head self-attention, batched over heads: one fused qkv matmul, one
 * transpose to [3, B, H, N, Dh], two batched matmuls, one transpose back.
 * Shared by the ViT (timm layout) and BERT (HF q/k/v fused on import).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet } from '../params.ts';
import { scalar } from './constants.ts';
import { createLinear, linear, type LinearParams } from './linear.ts';

/** Additive bias for masked keys: large and negative but finite, so a row never becomes NaN. */
export const MASKED_KEY_BIAS = -1e9;

/** Parameters of one self-attention layer. */
export interface AttentionParams {
  /** Fused projection [D, 3D]; output columns ordered (q|k|v, head, Dh). */
  qkv: LinearParams;
  /** Output projection [D, D]. */
  proj: LinearParams;
  numHeads: number;
}

/** Creates `name.qkv.{weight,bias}` [D, 3D] and `name.proj.{weight,bias}` [D, D]. */
export function createAttention(params: ParameterSet, name: string, dim: number, numHeads: number, std: number): AttentionParams {
  if (dim % numHeads !== 0) throw new Error(`createAttention: width ${dim} is not divisible by ${numHeads} heads`);
  return {
    qkv: createLinear(params, `${name}.qkv`, dim, 3 * dim, { std }),
    proj: createLinear(params, `${name}.proj`, dim, dim, { std }),
    numHeads,
  };
}

/**
 * Builds the additive key bias from a key mask.
 * @param keyMask [B, N], 1 = attend, 0 = masked
 * @returns [B, 1, 1, N]: 0 where attended, MASKED_KEY_BIAS where masked
 */
export function keyBiasFromMask(keyMask: tf.Tensor): tf.Tensor4D {
  if (keyMask.rank !== 2) throw new Error(`keyBiasFromMask: expected [B, N], got [${keyMask.shape}]`);
  return tf.tidy('keyBiasFromMask', () => {
    const [b, n] = keyMask.shape as [number, number];
    const bias = tf.mul(tf.sub(scalar(1), tf.cast(keyMask, 'float32')), scalar(MASKED_KEY_BIAS)); // [B, N]
    return tf.reshape(bias, [b, 1, 1, n]) as tf.Tensor4D; // [B, 1, 1, N]
  });
}

type AttentionCore = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias?: tf.Tensor) => tf.Tensor;

/**
 * softmax(q kᵀ + bias) v with the backward pass written out. Autodiff of the
 * softmax makes four [B, H, N, N] passes (dy·p, its row sum, ·p, −); here
 * `dS = P ⊙ (dP − rowsum(dO ⊙ O))` needs two, since rowsum(dP ⊙ P) = rowsum(dO ⊙ O)
 * is taken over [B, H, N, Dh] — the same identity flash attention uses.
 */
function attentionCoreKernel(withBias: boolean): AttentionCore {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [q, k, v] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const biasShape = withBias ? (args[3] as tf.Tensor).shape : [];
    let scores: tf.Tensor = tf.matMul(q, k, false, true); // [B, H, N, N]
    if (withBias) scores = tf.add(scores, args[3] as tf.Tensor);
    const probs = tf.softmax(scores) as tf.Tensor4D; // [B, H, N, N]
    const out = tf.matMul(probs, v); // [B, H, N, Dh]
    save([q, k, v, probs, out]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, p, o] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const dOut = dy as tf.Tensor4D;
        const dv = tf.matMul(p, dOut, true, false); // Pᵀ dO [B, H, N, Dh]
        const dp = tf.matMul(dOut, sv, false, true); // dO vᵀ [B, H, N, N]
        const rowDot = tf.sum(tf.mul(dOut, o), -1, true); // [B, H, N, 1]
        const ds = tf.mul(p, tf.sub(dp, rowDot)) as tf.Tensor4D; // [B, H, N, N]
        const dq = tf.matMul(ds, sk); // [B, H, N, Dh]
        const dk = tf.matMul(ds, sq, true, false); // [B, H, N, Dh]
        // The key bias is a constant of the batch (a mask): its gradient is never used.
        return withBias ? [dq, dk, dv, tf.zeros(biasShape)] : [dq, dk, dv];
      },
    };
  }) as AttentionCore;
}

const attentionCore = attentionCoreKernel(false);
const attentionCoreWithBias = attentionCoreKernel(true);

/**
 * softmax(q kᵀ/√Dh + keyBias) v over all heads at once, then the output projection.
 * @param x [B, N, D]
 * @param keyBias optional [B, 1, 1, N] additive bias (see keyBiasFromMask)
 * @returns [B, N, D]
 */
export function selfAttention(x: tf.Tensor3D, p: AttentionParams, keyBias: tf.Tensor4D | null = null): tf.Tensor3D {
  if (x.rank !== 3) throw new Error(`selfAttention: expected [B, N, D], got [${x.shape}]`);
  const [b, n, d] = x.shape;
  const h = p.numHeads;
  const dh = d / h;
  if (keyBias && (keyBias.shape[0] !== b || keyBias.shape[3] !== n)) {
    throw new Error(`selfAttention: key bias [${keyBias.shape}] does not match input [${x.shape}]`);
  }
  return tf.tidy('selfAttention', () => {
    const qkv = tf.reshape(linear(x, p.qkv), [b, n, 3, h, dh]); // [B, N, 3, H, Dh]
    const [q, k, v] = tf.unstack(tf.transpose(qkv, [2, 0, 3, 1, 4])) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]; // each [B, H, N, Dh]
    const scaled = tf.mul(q, scalar(1 / Math.sqrt(dh))); // q/√Dh [B, H, N, Dh]
    const context = keyBias ? attentionCoreWithBias(scaled, k, v, keyBias) : attentionCore(scaled, k, v); // [B, H, N, Dh]
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [b, n, d]); // [B, N, D]
    return linear(merged, p.proj) as tf.Tensor3D;
  });
}
