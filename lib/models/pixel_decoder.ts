/**
 * A light MAE pixel decoder, optionally cross-modal. The encoder's visible
 * tokens are projected to the decoder width, a shared mask token fills every
 * masked position, the decoder's own position embeddings are added, image
 * queries attend to the report's tokens when the fusion has layers (MPMA,
 * methods §4, the project's reading; 0 layers is plain MAE, Med-ST's optional
 * reconstruction term), a few self-attention blocks follow, and a linear layer
 * predicts each patch's p² pixels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createLayerNorm, layerNorm, type LayerNormParams } from './layers/layer_norm.ts';
import { createLinear, linear, type LinearParams } from './layers/linear.ts';
import { CrossModalFusion, type FusionConfig } from './memory_fusion.ts';
import type { ParameterSet } from './params.ts';
import { ViewExpertBlock } from './view_experts.ts';

/** Shape of the pixel decoder. */
export interface PixelDecoderConfig {
  /** Width of the encoder's tokens. */
  inputWidth: number;
  /** P: patches per image; p²: pixels per patch. */
  patches: number;
  patchPixels: number;
  /** The image-side fusion: its width, heads and MLP width are the decoder's; 0 layers = no cross-modal step. */
  fusion: FusionConfig;
  /** Self-attention blocks after the fusion (0: none). */
  depth: number;
}

export class PixelDecoder {
  readonly config: PixelDecoderConfig;
  readonly embed: LinearParams;
  /** [1, 1, F] */
  readonly maskToken: tf.Variable;
  /** [1, P, F] */
  readonly posEmbed: tf.Variable;
  /** null when the decoder reads the image alone. */
  readonly fusion: CrossModalFusion | null;
  readonly blocks: ViewExpertBlock[];
  readonly norm: LayerNormParams;
  readonly predict: LinearParams;

  constructor(params: ParameterSet, config: PixelDecoderConfig) {
    const { inputWidth, patches, patchPixels, fusion, depth } = config;
    if (!(Number.isInteger(depth) && depth >= 0)) throw new Error(`PixelDecoder: depth must be a non-negative integer, got ${depth}`);
    const f = fusion.width;
    this.config = config;
    this.embed = createLinear(params, 'embed', inputWidth, f, { std: 0.02 });
    this.maskToken = params.create('mask_token', [1, 1, f], { kind: 'truncatedNormal', std: 0.02 });
    this.posEmbed = params.create('pos_embed', [1, patches, f], { kind: 'truncatedNormal', std: 0.02 });
    this.fusion = fusion.layers > 0 ? new CrossModalFusion(params.child('fusion'), fusion) : null;
    this.blocks = Array.from(
      { length: depth },
      (_, i) => new ViewExpertBlock(params.child(`blocks.${i}`), { width: f, heads: fusion.heads, mlpHidden: fusion.mlpHidden, layerNormEps: fusion.layerNormEps, initStd: 0.02, viewExperts: false }),
    );
    this.norm = createLayerNorm(params, 'norm', f, fusion.layerNormEps);
    this.predict = createLinear(params, 'predict', f, patchPixels, { std: 0.02 });
  }

  /**
   * @param visibleTokens [B, keep, Win] the encoder's visible patch tokens (no CLS)
   * @param visible Int32Array [B, keep]: their patch indices
   * @param text the report's tokens [B, L, F] at the fusion width and their mask [B, L] (1 = real token); null for a decoder without fusion
   * @returns [B, P, p²] predicted pixels of every patch
   */
  forward(visibleTokens: tf.Tensor3D, visible: Int32Array, text: { tokens: tf.Tensor3D; mask: tf.Tensor2D } | null): tf.Tensor3D {
    const [b, keep] = visibleTokens.shape;
    const { patches: n } = this.config;
    const f = this.config.fusion.width;
    if (visible.length !== b * keep) throw new Error(`PixelDecoder: expected ${b}×${keep} visible indices, got ${visible.length}`);
    if ((this.fusion === null) !== (text === null)) throw new Error(`PixelDecoder: ${this.fusion ? 'a cross-modal decoder needs the report' : 'a decoder without fusion takes no report'}`);
    return tf.tidy('pixelDecoder', () => {
      const embedded = linear(visibleTokens, this.embed) as tf.Tensor3D; // [B, keep, F]
      const filled = tf.concat([embedded, tf.tile(this.maskToken, [b, n - keep, 1])], 1); // [B, P, F]: visible first, then masks
      const order = restoreOrder(visible, b, keep, n);
      let x = tf.add(tf.reshape(tf.gather(tf.reshape(filled, [b * n, f]), order), [b, n, f]), this.posEmbed) as tf.Tensor3D;
      if (this.fusion && text) x = this.fusion.forward(x, text.tokens, text.mask);
      let tokens = { frontal: x, lateral: null as tf.Tensor3D | null };
      for (const block of this.blocks) tokens = block.forward(tokens, null);
      return linear(layerNorm(tokens.frontal, this.norm), this.predict) as tf.Tensor3D;
    });
  }
}

/**
 * [B·P] indices into the rows of `[visible ; masked]` (flattened over the batch)
 * that put every patch back at its raster position: a visible patch at its
 * place among the visible ones, a masked patch at `keep +` its place among the masked ones.
 */
function restoreOrder(visible: Int32Array, b: number, keep: number, n: number): tf.Tensor1D {
  const order = new Int32Array(b * n);
  for (let r = 0; r < b; r++) {
    const slot = new Int32Array(n).fill(-1);
    for (let k = 0; k < keep; k++) slot[visible[r * keep + k]!] = k;
    let next = keep;
    for (let j = 0; j < n; j++) order[r * n + j] = r * n + (slot[j]! >= 0 ? slot[j]! : next++);
  }
  return tf.tensor1d(order, 'int32');
}
