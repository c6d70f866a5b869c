/** Typed configuration of the Med-ST projection heads (§1.1). */

/** Linear(in→hidden) → BatchNorm → ReLU → Linear(hidden→out) → BatchNorm(no affine) → L2 norm. */
export interface ProjectionHeadConfig {
  /** Encoder width W (input). */
  inputWidth: number;
  /** Hidden width (paper: 2048; smaller for tiny presets). */
  hiddenWidth: number;
  /** Joint embedding width d (paper: 128). */
  outputWidth: number;
  /** BatchNorm epsilon (PyTorch: 1e-5). */
  bnEps: number;
  /** BatchNorm running-statistics momentum (PyTorch: 0.1). */
  bnMomentum: number;
}

/** Overrides accepted by `resolveProjectionHeadConfig`; `inputWidth` is required. */
export type ProjectionHeadConfigInput = Partial<ProjectionHeadConfig> & { inputWidth: number };

/** Paper preset (without the encoder width). */
export const HEAD_PAPER = { hiddenWidth: 2048, outputWidth: 128, bnEps: 1e-5, bnMomentum: 0.1 } as const satisfies Omit<ProjectionHeadConfig, 'inputWidth'>;

/** Tiny preset for CPU training. */
export const HEAD_TINY = { ...HEAD_PAPER, hiddenWidth: 256 } as const satisfies Omit<ProjectionHeadConfig, 'inputWidth'>;

/**
 * Fills defaults (the paper head) and validates.
 * @example resolveProjectionHeadConfig({ inputWidth: 768 }).hiddenWidth // 2048
 */
export function resolveProjectionHeadConfig(input: ProjectionHeadConfigInput): ProjectionHeadConfig {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ProjectionHeadConfigInput;
  const config: ProjectionHeadConfig = { ...HEAD_PAPER, ...defined };
  for (const key of ['inputWidth', 'hiddenWidth', 'outputWidth'] as const) {
    if (!(Number.isInteger(config[key]) && config[key] > 0)) {
      throw new Error(`resolveProjectionHeadConfig: ${key} must be a positive integer, got ${config[key]}`);
    }
  }
  if (!(config.bnEps > 0) || !(config.bnMomentum > 0 && config.bnMomentum <= 1)) {
    throw new Error('resolveProjectionHeadConfig: bnEps must be > 0 and bnMomentum in (0, 1]');
  }
  return config;
}
