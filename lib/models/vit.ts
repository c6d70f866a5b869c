/**
 * Vision Transformer with Mixture of View Experts (Med-ST §1.1): images →
 * `{global [B, W], local [B, P, W], localMask [B, P]}`.
 *
 * Input is NHWC with `inChannels` (1 for radiographs). Both views share the
 * patch embedding (conv k = stride = patch, run once on the two views stacked
 * along the batch). Frontal tokens get `[CLS]` + position embeddings; lateral
 * patch tokens get the same patch position embeddings and no CLS. Blocks are
 * `ViewExpertBlock`s; an absent lateral view (`lateralPresent[b] = 0`) has its
 * keys masked out of attention and its tokens marked 0 in `localMask`.
 * Single-view input runs the frontal path only, which is exactly timm's
 * `VisionTransformer.forward_features` (global_pool 'token').
 *
 * Parameter names follow timm (`cls_token` [1,1,W], `pos_embed` [1,1+n,W],
 * `patch_embed.proj.weight` stored HWIO [p,p,C,W], `blocks.N.attn.qkv.weight`
 * [W,3W], …, `norm.weight`) plus the lateral expert `blocks.N.norm2_l`,
 * `blocks.N.mlp_l.fc{1,2}`. Importing 3-channel (RGB) pretrained weights into
 * a 1-channel model sums the patch-embedding filter over RGB
 * (see weights/convert_timm_vit.ts): a gray image replicated to RGB then gives
 * the same tokens. No dropout; stochastic depth (`dropPath`) only in training
 * with a random source. `training` also sets the BatchNorm mode of the ResNet
 * stem (`stem: 'resnet'`, the ViT-R hybrid of Dosovitskiy et al.: ResNet stages
 * down to a stride of patchSize, then a 1×1 projection) and of the VGG stem
 * (`stem: 'vgg'`, vgg_stem.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { convStemChannels, resnetStemTrunk, resolveViTConfig, vggStemChannels, vitPatchesPerView, type ViTConfig, type ViTConfigInput } from '../configs/vit.ts';
import { ResNetTrunk } from './resnet.ts';
import { VggStem } from './vgg_stem.ts';
import type { ParameterSet } from './params.ts';
import type { Rng } from '../util/rng.ts';
import { relu } from './layers/activations.ts';
import { keyBiasFromMask } from './layers/attention.ts';
import { createLayerNorm, layerNorm, type LayerNormParams } from './layers/layer_norm.ts';
import type { EncoderOutput } from './types.ts';
import { ViewExpertBlock, type BranchScales } from './view_experts.ts';

/** Images for one forward pass. */
export interface ViTInput {
  /** [B, S, S, C] frontal view. */
  frontal: tf.Tensor4D;
  /** [B, S, S, C] lateral view (any values where absent), or omitted for single-view input. */
  lateral?: tf.Tensor4D;
  /** [B] 1 where the lateral view exists, 0 where absent; default all 1. Only with `lateral`. */
  lateralPresent?: tf.Tensor1D | ArrayLike<number>;
  /** The ResNet stem's BatchNorm: batch statistics + running update (true) or running statistics (false, the default). Other stems ignore it. */
  training?: boolean;
  /** Draws the stochastic-depth masks (with `training` and `dropPath` > 0; the step's seeded source, so a resumed run draws the same). */
  random?: Rng;
}

/**
 * Stochastic-depth factors of every block: rates rising linearly from 0 (first
 * block) to `rate` (last), one keep draw per row and branch, kept rows scaled by
 * 1/(1 − rate); null for a block whose rate is 0.
 * @returns per block, the two branches' [B, 1, 1] factors
 */
export function dropPathScales(rate: number, depth: number, rows: number, random: Rng): Array<BranchScales | null> {
  return Array.from({ length: depth }, (_, i) => {
    const r = depth > 1 ? (rate * i) / (depth - 1) : rate;
    if (r <= 0) return null;
    const draw = (): tf.Tensor3D => tf.tensor3d(Float32Array.from({ length: rows }, () => (random.uniform() < r ? 0 : 1 / (1 - r))), [rows, 1, 1]);
    return { attention: draw(), mlp: draw() };
  });
}

/** ViT-MoVE image encoder; owns its parameters inside a `ParameterSet` view. */
export class VisionTransformer {
  readonly kind = 'vit';
  readonly config: ViTConfig;
  readonly params: ParameterSet;
  /** Patches per view n. */
  readonly numPatches: number;
  readonly patchWeight: tf.Variable;
  readonly patchBias: tf.Variable;
  /** Conv stem only: the 3×3 convolutions (the first of each stage strided 2) before the 1×1 projection (`patchWeight`). */
  readonly stem: Array<{ weight: tf.Variable; bias: tf.Variable; stride: 1 | 2; norm: LayerNormParams | null }>;
  /** ResNet stem only: the ResNet layers whose last stage's grid (stride = patchSize) becomes the tokens through the 1×1 projection. */
  readonly trunk: ResNetTrunk | null;
  /** VGG stem only: conv–BatchNorm–ReLU stages with max-pools down to a stride of patchSize, before the 1×1 projection. */
  readonly vgg: VggStem | null;
  readonly clsToken: tf.Variable;
  readonly posEmbed: tf.Variable;
  readonly blocks: ViewExpertBlock[];
  readonly norm: LayerNormParams;

  /**
   * @param params where the weights live (e.g. `root.child('image')`)
   * @param config overrides of `resolveViTConfig`
   */
  constructor(params: ParameterSet, config: ViTConfigInput = {}) {
    this.config = resolveViTConfig(config);
    this.params = params;
    const c = this.config;
    this.numPatches = vitPatchesPerView(c);
    this.stem = [];
    this.trunk = null;
    this.vgg = null;
    // Every convolutional stem ends in the same 1×1 projection of its channels to the token width.
    const pointwiseProjection = (channels: number) => params.create('patch_embed.proj.weight', [1, 1, channels, c.width], { kind: 'uniform', bound: 1 / Math.sqrt(channels) });
    if (c.stem === 'vgg') {
      this.vgg = new VggStem(params.child('patch_embed.vgg'), { inChannels: c.inChannels, stageChannels: vggStemChannels(c), convsPerStage: c.stemConvsPerStage });
      this.patchWeight = pointwiseProjection(this.vgg.outChannels);
    } else if (c.stem === 'resnet') {
      this.trunk = new ResNetTrunk(params.child('patch_embed.backbone'), resnetStemTrunk(c));
      this.patchWeight = pointwiseProjection(this.trunk.outChannels);
    } else if (c.stem === 'conv') {
      let channels = c.inChannels;
      convStemChannels(c).forEach((out, i) => {
        for (let j = 0; j < c.stemConvsPerStage; j++) {
          const name = j === 0 ? `patch_embed.stem.${i}` : `patch_embed.stem.${i}_${j}`;
          this.stem.push({
            weight: params.create(`${name}.weight`, [3, 3, channels, out], { kind: 'heNormal', fanIn: 9 * channels }),
            bias: params.create(`${name}.bias`, [out], { kind: 'zeros' }),
            stride: j === 0 ? 2 : 1,
            norm: c.stemNorm ? createLayerNorm(params, `${name}.norm`, out, c.layerNormEps) : null,
          });
          channels = out;
        }
      });
      this.patchWeight = pointwiseProjection(channels);
    } else {
      const fanIn = c.patchSize * c.patchSize * c.inChannels;
      this.patchWeight = params.create('patch_embed.proj.weight', [c.patchSize, c.patchSize, c.inChannels, c.width], { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });
    }
    this.patchBias = params.create('patch_embed.proj.bias', [c.width], { kind: 'zeros' });
    this.clsToken = params.create('cls_token', [1, 1, c.width], { kind: 'truncatedNormal', std: 1e-6 });
    this.posEmbed = params.create('pos_embed', [1, 1 + this.numPatches, c.width], { kind: 'truncatedNormal', std: c.initStd });
    const mlpHidden = Math.round(c.width * c.mlpRatio);
    this.blocks = Array.from(
      { length: c.depth },
      (_, i) =>
        new ViewExpertBlock(params.child(`blocks.${i}`), {
          width: c.width,
          heads: c.heads,
          mlpHidden,
          layerNormEps: c.layerNormEps,
          initStd: c.initStd,
          viewExperts: c.viewExperts,
        }),
    );
    this.norm = createLayerNorm(params, 'norm', c.width, c.layerNormEps);
  }

  /**
   * Patch embedding of a stack of images.
   * @param images [B, S, S, C]
   * @param training the ResNet and VGG stems' BatchNorm mode (other stems ignore it)
   * @returns [B, n, W] patch tokens (no position embedding)
   */
  embedPatches(images: tf.Tensor4D, training = false): tf.Tensor3D {
    const c = this.config;
    if (images.rank !== 4 || images.shape[1] !== c.imageSize || images.shape[2] !== c.imageSize || images.shape[3] !== c.inChannels) {
      throw new Error(`VisionTransformer: expected images [B, ${c.imageSize}, ${c.imageSize}, ${c.inChannels}], got [${images.shape}]`);
    }
    return tf.tidy('embedPatches', () => {
      let x: tf.Tensor4D = this.trunk ? this.trunk.forward(images, training).at(-1)! : this.vgg ? this.vgg.forward(images, training) : images;
      for (const conv of this.stem) {
        const y = tf.add(tf.conv2d(x, conv.weight as tf.Tensor4D, conv.stride, 'same'), conv.bias); // stride 2 halves the side
        x = relu(conv.norm ? layerNorm(y, conv.norm) : y) as tf.Tensor4D;
      }
      const stride = this.stem.length || this.trunk || this.vgg ? 1 : c.patchSize;
      const grid = tf.conv2d(x, this.patchWeight as tf.Tensor4D, stride, 'valid'); // [B, g, g, W]
      return tf.reshape(tf.add(grid, this.patchBias), [images.shape[0], this.numPatches, c.width]) as tf.Tensor3D; // [B, n, W]
    });
  }

  /**
   * Encodes one or two views.
   * @param input frontal [B, S, S, C], optional lateral [B, S, S, C] and lateralPresent [B]
   * @returns global [B, W]; local [B, P, W] with P = n (frontal only) or 2n (frontal then lateral); localMask [B, P]
   */
  forward(input: ViTInput): EncoderOutput {
    const { frontal, lateral } = input;
    const b = frontal.shape[0];
    if (lateral && !tf.util.arraysEqual(lateral.shape, frontal.shape)) {
      throw new Error(`VisionTransformer: lateral [${lateral.shape}] must match frontal [${frontal.shape}]`);
    }
    if (input.lateralPresent !== undefined && !lateral) throw new Error('VisionTransformer: lateralPresent given without a lateral view');
    const presentLength = input.lateralPresent instanceof tf.Tensor ? input.lateralPresent.shape.join(',') : input.lateralPresent?.length;
    if (input.lateralPresent !== undefined && String(presentLength) !== String(b)) {
      throw new Error(`VisionTransformer: lateralPresent must be [${b}], got [${presentLength}]`);
    }
    const { width } = this.config;
    const n = this.numPatches;
    return tf.tidy('vitForward', () => {
      const patches = this.embedPatches(lateral ? (tf.concat([frontal, lateral], 0) as tf.Tensor4D) : frontal, input.training ?? false); // [B or 2B, n, W]
      const patchPos = tf.slice(this.posEmbed, [0, 1, 0], [1, n, width]); // [1, n, W]
      const clsPos = tf.add(tf.slice(this.posEmbed, [0, 0, 0], [1, 1, width]), this.clsToken); // [1, 1, W]
      const [framePatches, lateralPatches] = lateral ? tf.split(patches, 2, 0) : [patches, null]; // [B, n, W] each
      let tokens = {
        frontal: tf.concat([tf.tile(clsPos, [b, 1, 1]), tf.add(framePatches!, patchPos)], 1) as tf.Tensor3D, // [B, 1+n, W]
        lateral: lateralPatches ? (tf.add(lateralPatches, patchPos) as tf.Tensor3D) : null, // [B, n, W]
      };
      let present: tf.Tensor | null = null;
      let keyBias: tf.Tensor4D | null = null;
      if (lateral) {
        present = input.lateralPresent instanceof tf.Tensor ? tf.cast(input.lateralPresent, 'float32') : tf.tensor1d(Array.from(input.lateralPresent ?? new Array<number>(b).fill(1)), 'float32');
        const lateralMask = tf.tile(tf.reshape(present, [b, 1]), [1, n]); // [B, n]
        keyBias = keyBiasFromMask(tf.concat([tf.ones([b, 1 + n]), lateralMask], 1)); // [B, 1, 1, 1+2n]
      }
      const scales = input.training && input.random && this.config.dropPath > 0 ? dropPathScales(this.config.dropPath, this.blocks.length, b, input.random) : null;
      this.blocks.forEach((block, i) => (tokens = block.forward(tokens, keyBias, scales?.[i] ?? null)));
      const all = tokens.lateral ? tf.concat([tokens.frontal, tokens.lateral], 1) : tokens.frontal; // [B, 1+P, W]
      const normed = layerNorm(all, this.norm);
      const p = all.shape[1] - 1;
      const [cls, local] = tf.split(normed, [1, p], 1) as [tf.Tensor3D, tf.Tensor3D]; // [B, 1, W], [B, P, W]
      const global = (this.config.pool === 'mean' ? tf.mean(tf.slice(local, [0, 0, 0], [b, n, width]), 1) : tf.reshape(cls, [b, width])) as tf.Tensor2D; // [B, W]
      const localMask = (present ? tf.concat([tf.ones([b, n]), tf.tile(tf.reshape(present, [b, 1]), [1, n])], 1) : tf.ones([b, n])) as tf.Tensor2D; // [B, P]
      return { global, local, localMask };
    });
  }

  /**
   * MAE-style encoding of the visible patches of frontal images only (masked
   * patch modelling): each row's visible patches, with their own position
   * embeddings, and the CLS token go through the blocks; with the patch stem,
   * masked patches are never seen (a convolutional stem's receptive field
   * crosses patch borders, so a caller hides the masked pixels first, as MPMA
   * does, or visible tokens see a few pixels of their masked neighbours).
   * @param visible Int32Array [B, keep]: each row's visible patch indices
   * @param training the ResNet and VGG stems' BatchNorm mode (other stems ignore it)
   * @returns global [B, W] (CLS, or the mean of the visible tokens with `pool: 'mean'`) and local [B, keep, W]
   */
  forwardVisible(frontal: tf.Tensor4D, visible: Int32Array, keep: number, training = false): { global: tf.Tensor2D; local: tf.Tensor3D } {
    const b = frontal.shape[0];
    const n = this.numPatches;
    const { width } = this.config;
    if (visible.length !== b * keep) throw new Error(`VisionTransformer.forwardVisible: expected ${b}×${keep} visible indices, got ${visible.length}`);
    if (visible.some((v) => v < 0 || v >= n)) throw new Error(`VisionTransformer.forwardVisible: patch indices must be in [0, ${n})`);
    for (let r = 0; r < b; r++) {
      if (new Set(visible.subarray(r * keep, (r + 1) * keep)).size !== keep) throw new Error(`VisionTransformer.forwardVisible: row ${r} lists a patch twice`);
    }
    return tf.tidy('vitForwardVisible', () => {
      const patches = tf.add(this.embedPatches(frontal, training), tf.slice(this.posEmbed, [0, 1, 0], [1, n, width])); // [B, n, W]
      const rowsOf = tf.tensor1d(Int32Array.from(visible, (v, i) => Math.floor(i / keep) * n + v), 'int32');
      const kept = tf.reshape(tf.gather(tf.reshape(patches, [b * n, width]), rowsOf), [b, keep, width]); // [B, keep, W]
      const cls = tf.tile(tf.add(tf.slice(this.posEmbed, [0, 0, 0], [1, 1, width]), this.clsToken), [b, 1, 1]);
      let tokens = { frontal: tf.concat([cls, kept], 1) as tf.Tensor3D, lateral: null as tf.Tensor3D | null };
      for (const block of this.blocks) tokens = block.forward(tokens, null);
      const normed = layerNorm(tokens.frontal, this.norm);
      const [clsOut, local] = tf.split(normed, [1, keep], 1) as [tf.Tensor3D, tf.Tensor3D];
      const global = (this.config.pool === 'mean' ? tf.mean(local, 1) : tf.reshape(clsOut, [b, width])) as tf.Tensor2D;
      return { global, local };
    });
  }

  /** Disposes this encoder's parameters. */
  dispose(): void {
    this.params.dispose();
  }
}
