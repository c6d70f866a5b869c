/**
 * Med-ST Mixture-of-View-Experts transformer block (§1.1).
 *
 * Every block shares LayerNorm (`norm1`) and multi-head self-attention over
 * the whole sequence `[CLS, F1..Fn, L1..Ln]`; the feed-forward part is split
 * by view: frontal tokens and CLS go through `norm2 → mlp` (frontal expert),
 * lateral tokens through `norm2_l → mlp_l` (lateral expert). Residual adds as
 * in a pre-LN ViT. Without lateral tokens the block is exactly a timm ViT block.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet } from './params.ts';
import { createAttention, selfAttention, type AttentionParams } from './layers/attention.ts';
import { createLayerNorm, layerNorm, type LayerNormParams } from './layers/layer_norm.ts';
import { createMlp, mlp, type MlpParams } from './layers/mlp.ts';

/** Settings of one block. */
export interface ViewExpertBlockOptions {
  width: number;
  heads: number;
  mlpHidden: number;
  layerNormEps: number;
  initStd: number;
  /** Create the lateral expert (`norm2_l`, `mlp_l`). */
  viewExperts: boolean;
}

/** Token streams of one block: frontal (CLS first) and, optionally, lateral. */
export interface ViewTokens {
  /** [B, 1 + n, W] (CLS then frontal patches). */
  frontal: tf.Tensor3D;
  /** [B, n, W] lateral patches, or null for single-view input. */
  lateral: tf.Tensor3D | null;
}

/**
 * Per-row factors of a block's two residual branches (stochastic depth): [B, 1, 1]
 * holding 0 (branch skipped for that row) or 1/(1 − rate) (kept); null leaves the branch as is.
 */
export interface BranchScales {
  attention: tf.Tensor3D | null;
  mlp: tf.Tensor3D | null;
}

/** One MoVE block; parameters under `blocks.N` with timm names plus `norm2_l`, `mlp_l`. */
export class ViewExpertBlock {
  readonly norm1: LayerNormParams;
  readonly attn: AttentionParams;
  readonly norm2: LayerNormParams;
  readonly mlp: MlpParams;
  readonly norm2Lateral: LayerNormParams | null;
  readonly mlpLateral: MlpParams | null;

  constructor(params: ParameterSet, o: ViewExpertBlockOptions) {
    this.norm1 = createLayerNorm(params, 'norm1', o.width, o.layerNormEps);
    this.attn = createAttention(params, 'attn', o.width, o.heads, o.initStd);
    this.norm2 = createLayerNorm(params, 'norm2', o.width, o.layerNormEps);
    this.mlp = createMlp(params, 'mlp', o.width, o.mlpHidden, o.initStd);
    this.norm2Lateral = o.viewExperts ? createLayerNorm(params, 'norm2_l', o.width, o.layerNormEps) : null;
    this.mlpLateral = o.viewExperts ? createMlp(params, 'mlp_l', o.width, o.mlpHidden, o.initStd) : null;
  }

  /**
   * Shared attention over the joint sequence, then per-view feed-forward.
   * @param tokens frontal [B, 1+n, W], lateral [B, n, W] or null
   * @param keyBias [B, 1, 1, 1+2n] additive attention bias masking absent lateral keys, or null
   * @param scales per-row factors of the attention and feed-forward branches (stochastic depth; a row's two view experts share one)
   * @returns updated frontal [B, 1+n, W] and lateral [B, n, W] (or null)
   */
  forward(tokens: ViewTokens, keyBias: tf.Tensor4D | null = null, scales: BranchScales | null = null): ViewTokens {
    const { frontal, lateral } = tokens;
    if (lateral && !this.mlpLateral) throw new Error('ViewExpertBlock: lateral tokens given but the block has no lateral expert (viewExperts: false)');
    const out = tf.tidy('viewExpertBlock', () => {
      const x = lateral ? tf.concat([frontal, lateral], 1) : frontal; // [B, N, W]
      const scaled = (branch: tf.Tensor, scale: tf.Tensor3D | null | undefined): tf.Tensor => (scale ? tf.mul(branch, scale) : branch);
      const attended = tf.add(x, scaled(selfAttention(layerNorm(x, this.norm1) as tf.Tensor3D, this.attn, keyBias), scales?.attention)) as tf.Tensor3D; // [B, N, W]
      if (!lateral) return [tf.add(attended, scaled(mlp(layerNorm(attended, this.norm2), this.mlp), scales?.mlp))];
      // One split (its gradient is one concat) rather than two slices (two zero-padded gradients summed).
      const [f, l] = tf.split(attended, [frontal.shape[1], lateral.shape[1]], 1) as [tf.Tensor3D, tf.Tensor3D]; // [B, 1+n, W], [B, n, W]
      return [
        tf.add(f, scaled(mlp(layerNorm(f, this.norm2), this.mlp), scales?.mlp)),
        tf.add(l, scaled(mlp(layerNorm(l, this.norm2Lateral as LayerNormParams), this.mlpLateral as MlpParams), scales?.mlp)),
      ];
    }) as tf.Tensor3D[];
    return { frontal: out[0] as tf.Tensor3D, lateral: out[1] ?? null };
  }
}
