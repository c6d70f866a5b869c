/** Typed configuration of the ResNet (bottleneck) image encoder used by PRIOR and IMITATE. */

/** Architecture of a bottleneck ResNet (torchvision v1.5: stride on the 3×3 conv). */
export interface ResNetConfig {
  /** Discriminant for the encoder registry. */
  kind: 'resnet';
  /** Bottleneck blocks per stage (ResNet-50: [3, 4, 6, 3]). */
  blocks: readonly [number, number, number, number];
  /** Stem / layer1 width (ResNet-50: 64); stage s has baseWidth·2^s inner channels, ×4 out. */
  baseWidth: number;
  /** Input channels: 1 (single-channel stem) or 3. */
  inChannels: number;
  /** Input side C (the crop the method takes); a multiple of the total stride (32, or 16 without the stem pool). */
  imageSize: number;
  /** Max-pool after the stem (torchvision: true, total stride 32); false halves the stride to 16, a finer grid for small CPU inputs. */
  stemPool: boolean;
  /** BatchNorm epsilon (PyTorch: 1e-5). */
  bnEps: number;
  /** BatchNorm momentum (PyTorch: 0.1). */
  bnMomentum: number;
}

/** The stem and first 1–4 bottleneck stages of a ResNet (the ResNet encoder's, or the hybrid ViT stem's). */
export type ResNetTrunkConfig = Pick<ResNetConfig, 'baseWidth' | 'inChannels' | 'stemPool' | 'bnEps' | 'bnMomentum'> & {
  /** Bottleneck blocks of each stage used (1 to 4 stages). */
  blocks: readonly number[];
};

/** Overrides accepted by `resolveResNetConfig`. */
export type ResNetConfigInput = Partial<ResNetConfig>;

/** ResNet-50 with a single-channel stem at 224 px (PRIOR / IMITATE). */
export const RESNET50 = {
  kind: 'resnet',
  blocks: [3, 4, 6, 3],
  baseWidth: 64,
  inChannels: 1,
  imageSize: 224,
  stemPool: true,
  bnEps: 1e-5,
  bnMomentum: 0.1,
} as const satisfies ResNetConfig;

/** A small bottleneck ResNet for CPU training and tests (one block per stage, width 16). */
export const RESNET_TINY = { ...RESNET50, blocks: [1, 1, 1, 1], baseWidth: 16, imageSize: 128 } as const satisfies ResNetConfig;

/** The ResNet presets by name. */
export const RESNET_PRESETS = { resnet50: RESNET50, tiny: RESNET_TINY } as const;

/**
 * Fills defaults (ResNet-50) and validates.
 * @example resolveResNetConfig({ inChannels: 3 }).blocks // [3, 4, 6, 3]
 */
export function resolveResNetConfig(input: ResNetConfigInput = {}): ResNetConfig {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ResNetConfigInput;
  const config: ResNetConfig = { ...RESNET50, ...defined, kind: 'resnet' };
  if (config.blocks.length !== 4 || !config.blocks.every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`resolveResNetConfig: blocks must be 4 positive integers, got [${config.blocks}]`);
  }
  for (const key of ['baseWidth', 'inChannels', 'imageSize'] as const) {
    if (!(Number.isInteger(config[key]) && config[key] > 0)) throw new Error(`resolveResNetConfig: ${key} must be a positive integer, got ${config[key]}`);
  }
  const stride = resnetStride(config);
  if (config.imageSize % stride !== 0) throw new Error(`resolveResNetConfig: imageSize ${config.imageSize} is not a multiple of the total stride ${stride}`);
  return config;
}

/** Total stride of layer4: 32 (16 without the stem max-pool). */
export function resnetStride(config: ResNetConfig): number {
  return config.stemPool ? 32 : 16;
}

/** Output channels of stage s (0-based): baseWidth · 2^s · 4. */
export function resnetStageChannels(config: Pick<ResNetConfig, 'baseWidth'>, stage: number): number {
  return config.baseWidth * 2 ** stage * 4;
}
