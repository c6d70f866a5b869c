/**
 * Typed configuration of the Vision Transformer with Mixture of View Experts
 * (Med-ST §1.1). Defaults live only in `resolveViTConfig`; presets are plain
 * JSON-round-trippable objects.
 */
import { RESNET50, type ResNetTrunkConfig } from './resnet.ts';

/** Architecture of a ViT image encoder. */
export interface ViTConfig {
  /** Discriminant for the encoder registry. */
  kind: 'vit';
  /** Square input side in pixels (must be a multiple of patchSize). */
  imageSize: number;
  /** Square patch side in pixels (patch embedding = conv k = stride = patchSize). */
  patchSize: number;
  /** Input channels: 1 for radiographs (pretrained RGB patch weights are summed over RGB on import). */
  inChannels: number;
  /** Token width W. */
  width: number;
  /** Number of transformer blocks. */
  depth: number;
  /** Attention heads (width must be divisible by it). */
  heads: number;
  /** MLP hidden width = mlpRatio · width. */
  mlpRatio: number;
  /** LayerNorm epsilon (timm ViT: 1e-6). */
  layerNormEps: number;
  /** Create the lateral expert (`norm2_l`, `mlp_l`) in every block; false = plain ViT (frontal only). */
  viewExperts: boolean;
  /** Std of the truncated-normal init of weights and embeddings (timm: 0.02). */
  initStd: number;
  /**
   * How pixels become tokens: 'patch' (timm: one conv, kernel = stride = patch)
   * or 'conv' (Xiao et al. 2021: log2(patch) 3×3 stride-2 convolutions with
   * ReLU, channels doubling up to the width, then a 1×1 projection), which
   * gives a small transformer the locality prior it lacks when data is scarce,
   * or 'resnet' (the ViT-R hybrid of Dosovitskiy et al.): the stem and first
   * bottleneck stages of a ResNet with BatchNorm, down to a stride of
   * patchSize (with the stem max-pool from patch 16 on), then a 1×1 projection,
   * or 'vgg': log2(patch) VGG stages, each stemConvsPerStage × (3×3 conv,
   * BatchNorm, ReLU) at the stage's resolution and a 2×2 max-pool, channels
   * stemWidth·2^s, then the 1×1 projection. The first stage works at full
   * resolution; on the synthetic cohort this stem lifts a supervised ViT from
   * 0.79 to 0.93 AUROC where the strided conv stem does not
   * (docs/lab-notebook.md §31).
   */
  stem: 'patch' | 'conv' | 'resnet' | 'vgg';
  /** Conv stem: 3×3 convolutions per stride-2 stage (the first strides, the rest keep the side); ResNet stem: bottleneck blocks per stage; VGG stem: convolutions per stage. */
  stemConvsPerStage: number;
  /** ResNet stem: its base width (stage s has stemWidth·2^s inner channels, ×4 out); VGG stem: stage s has stemWidth·2^s channels. */
  stemWidth: number;
  /** Conv stem only: LayerNorm over the channels of each position after every convolution (ConvNeXt-style, batch-independent). */
  stemNorm: boolean;
  /**
   * The global feature: 'cls' (timm's token pooling) or 'mean' (the average of
   * the frontal patch tokens after the final norm, as in "Better plain ViT
   * baselines", which trains more easily from little data).
   */
  pool: 'cls' | 'mean';
  /**
   * Stochastic depth (Huang et al. 2016; timm's drop_path_rate): in training,
   * each residual branch of block i is skipped for a whole row with probability
   * dropPath·i/(depth−1), kept branches scaled by 1/(1 − rate). 0 turns it off.
   */
  dropPath: number;
}

/** How pixels become tokens (see `ViTConfig.stem`). */
export const VIT_STEMS: readonly ViTConfig['stem'][] = ['patch', 'conv', 'resnet', 'vgg'];

/** Overrides accepted by `resolveViTConfig`. */
export type ViTConfigInput = Partial<ViTConfig>;

/** CPU-trainable preset: 128 px, patch 16 (64 patches/view), width 192, 4 blocks, 3 heads. */
export const VIT_TINY = {
  kind: 'vit',
  imageSize: 128,
  patchSize: 16,
  inChannels: 1,
  width: 192,
  depth: 4,
  heads: 3,
  mlpRatio: 4,
  layerNormEps: 1e-6,
  viewExperts: true,
  initStd: 0.02,
  stem: 'patch',
  stemConvsPerStage: 1,
  stemWidth: 16,
  stemNorm: false,
  pool: 'cls',
  dropPath: 0,
} as const satisfies ViTConfig;

/** ViT-S-like preset at 224 px: width 384, 6 blocks, 6 heads. */
export const VIT_SMALL = {
  ...VIT_TINY,
  imageSize: 224,
  width: 384,
  depth: 6,
  heads: 6,
} as const satisfies ViTConfig;

/** Paper preset: ViT-B/16 at 224 px (width 768, 12 blocks, 12 heads). */
export const VIT_PAPER = {
  ...VIT_TINY,
  imageSize: 224,
  width: 768,
  depth: 12,
  heads: 12,
} as const satisfies ViTConfig;

/** The ViT presets by name. */
export const VIT_PRESETS = { tiny: VIT_TINY, small: VIT_SMALL, paper: VIT_PAPER } as const;

/**
 * Fills defaults (the `tiny` preset) and validates.
 * @example resolveViTConfig({ depth: 2 }).width // 192
 */
export function resolveViTConfig(input: ViTConfigInput = {}): ViTConfig {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ViTConfigInput;
  const config: ViTConfig = { ...VIT_TINY, ...defined, kind: 'vit' };
  for (const key of ['imageSize', 'patchSize', 'inChannels', 'width', 'depth', 'heads', 'mlpRatio'] as const) {
    const v = config[key];
    if (!(Number.isFinite(v) && v > 0) || (key !== 'mlpRatio' && !Number.isInteger(v))) {
      throw new Error(`resolveViTConfig: ${key} must be a positive ${key === 'mlpRatio' ? 'number' : 'integer'}, got ${v}`);
    }
  }
  if (config.imageSize % config.patchSize !== 0) {
    throw new Error(`resolveViTConfig: imageSize ${config.imageSize} is not a multiple of patchSize ${config.patchSize}`);
  }
  if (config.width % config.heads !== 0) throw new Error(`resolveViTConfig: width ${config.width} is not divisible by heads ${config.heads}`);
  if (!Number.isInteger(config.width * config.mlpRatio)) {
    throw new Error(`resolveViTConfig: width·mlpRatio must be an integer, got ${config.width * config.mlpRatio}`);
  }
  if (!(config.layerNormEps > 0) || !(config.initStd > 0)) throw new Error('resolveViTConfig: layerNormEps and initStd must be positive');
  if (!VIT_STEMS.includes(config.stem)) throw new Error(`resolveViTConfig: stem must be one of ${VIT_STEMS.map((k) => `"${k}"`).join(', ')}, got ${JSON.stringify(config.stem)}`);
  if (!Number.isInteger(config.stemWidth) || config.stemWidth < 1) throw new Error(`resolveViTConfig: stemWidth must be a positive integer, got ${config.stemWidth}`);
  if (!Number.isInteger(config.stemConvsPerStage) || config.stemConvsPerStage < 1) throw new Error(`resolveViTConfig: stemConvsPerStage must be a positive integer, got ${config.stemConvsPerStage}`);
  if (config.pool !== 'cls' && config.pool !== 'mean') throw new Error(`resolveViTConfig: pool must be "cls" or "mean", got ${JSON.stringify(config.pool)}`);
  if (!(config.dropPath >= 0 && config.dropPath < 1)) throw new Error(`resolveViTConfig: dropPath must be in [0, 1), got ${config.dropPath}`);
  if ((config.stem === 'conv' || config.stem === 'vgg') && (config.patchSize < 2 || !Number.isInteger(Math.log2(config.patchSize)))) {
    throw new Error(`resolveViTConfig: the ${config.stem} stem needs a power-of-two patchSize ≥ 2, got ${config.patchSize}`);
  }
  if (config.stem === 'resnet' && (config.patchSize < 2 || config.patchSize > 32 || !Number.isInteger(Math.log2(config.patchSize)))) {
    throw new Error(`resolveViTConfig: the ResNet stem needs a power-of-two patchSize from 2 to 32, got ${config.patchSize}`);
  }
  return config;
}

/** Patches per view: (imageSize / patchSize)². */
export function vitPatchesPerView(config: ViTConfig): number {
  return (config.imageSize / config.patchSize) ** 2;
}

/** Output channels of each stride-2 convolution of the conv stem: doubling, ending at width / 2 (the 1×1 projection makes the width). */
export function convStemChannels(config: ViTConfig): number[] {
  const convs = Math.log2(config.patchSize);
  return Array.from({ length: convs }, (_, i) => Math.max(8, Math.round(config.width / 2 ** (convs - i))));
}

/** Output channels of each stage of the VGG stem: stemWidth·2^s (the 1×1 projection makes the width). */
export function vggStemChannels(config: ViTConfig): number[] {
  return Array.from({ length: Math.log2(config.patchSize) }, (_, s) => config.stemWidth * 2 ** s);
}

/** Stage widths of the conv or VGG stem (what the PyTorch benches mirror); [] for the other stems. */
export function stemStageChannels(config: ViTConfig): number[] {
  if (config.stem === 'conv') return convStemChannels(config);
  if (config.stem === 'vgg') return vggStemChannels(config);
  return [];
}

/**
 * The ResNet layers of the `resnet` stem: a stride of exactly patchSize (the
 * stem's max-pool from patch 16 on, as ViT-R50/16 uses stages 1–3 after it),
 * stemConvsPerStage blocks per stage, PyTorch's BatchNorm settings.
 */
export function resnetStemTrunk(config: ViTConfig): ResNetTrunkConfig {
  const stemPool = config.patchSize >= 16;
  const stages = Math.log2(config.patchSize) - (stemPool ? 1 : 0);
  return { blocks: new Array<number>(stages).fill(config.stemConvsPerStage), baseWidth: config.stemWidth, inChannels: config.inChannels, stemPool, bnEps: RESNET50.bnEps, bnMomentum: RESNET50.bnMomentum };
}
