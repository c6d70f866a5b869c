/**
 * IMITATE's multi-level "findings" branch (methods §3): random channel
 * subsets of the four ResNet stages, each channel adaptively average-pooled to
 * g×g and flattened into one g²-wide token; the tokens zero-padded to a fixed
 * count, a learnable position embedding added, a CLS token appended (last, as
 * in the released code), one multi-head self-attention layer with a residual,
 * and the CLS output returned. Channels are drawn per forward from the
 * caller's seeded source (training) or once from the config's seed (evaluation).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/rng.ts';
import { createMultiHeadAttention, multiHeadAttention, type MultiHeadAttentionParams } from './layers/multi_head_attention.ts';
import type { ParameterSet } from './params.ts';

/** Shape of the branch. */
export interface MultiLevelConfig {
  /** Channels of layer1..layer4. */
  stageChannels: readonly [number, number, number, number];
  /** Fraction of each stage's channels read per forward (IMITATE: 0.25, 0.15, 0.1, 0.1). */
  fractions: readonly [number, number, number, number];
  /** g: each channel is pooled to g×g (IMITATE: 16), so tokens are g² wide. */
  tokenGrid: number;
  /** N: tokens after zero padding (IMITATE: 512). */
  tokenCount: number;
  /** Heads of the self-attention layer (IMITATE: 4). */
  heads: number;
}

/** Channels read from each stage: ⌊channels · fraction⌋ (as `int(256 * 0.25)`). */
export function channelsPerStage(config: MultiLevelConfig): number[] {
  return config.stageChannels.map((c, s) => Math.floor(c * config.fractions[s]!));
}

/** Checks a branch config; returns it. */
export function checkMultiLevelConfig(config: MultiLevelConfig): MultiLevelConfig {
  if (!(Array.isArray(config.fractions) && config.fractions.length === 4 && config.fractions.every((f) => typeof f === 'number' && f > 0 && f <= 1))) throw new Error(`multi-level branch: fractions must be 4 numbers in (0, 1], got ${JSON.stringify(config.fractions)}`);
  if (!(Number.isInteger(config.heads) && config.heads > 0)) throw new Error(`multi-level branch: heads must be a positive integer, got ${JSON.stringify(config.heads)}`);
  const counts = channelsPerStage(config);
  if (counts.some((n) => n < 1)) throw new Error(`multi-level branch: every stage must read at least one channel, got [${counts}] from channels [${config.stageChannels}] × fractions [${config.fractions}]`);
  const total = counts.reduce((a, b) => a + b, 0);
  if (!(Number.isInteger(config.tokenCount) && config.tokenCount >= total)) throw new Error(`multi-level branch: tokenCount ${config.tokenCount} is less than the ${total} channel tokens`);
  if (!(Number.isInteger(config.tokenGrid) && config.tokenGrid > 0)) throw new Error(`multi-level branch: tokenGrid must be a positive integer, got ${config.tokenGrid}`);
  if ((config.tokenGrid * config.tokenGrid) % config.heads !== 0) throw new Error(`multi-level branch: token width ${config.tokenGrid ** 2} is not divisible by ${config.heads} heads`);
  return config;
}

/** Distinct channel indices of each stage, drawn from `rng` (a partial Fisher–Yates shuffle). */
export function drawChannelSubsets(config: MultiLevelConfig, rng: Rng): Int32Array[] {
  return channelsPerStage(config).map((count, s) => {
    const all = Int32Array.from({ length: config.stageChannels[s]! }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = rng.int(i, all.length - 1);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.slice(0, count);
  });
}

/** [g, n] weights of adaptive average pooling from n cells to g (PyTorch's windows: ⌊i·n/g⌋ to ⌈(i+1)·n/g⌉). */
export function adaptivePoolMatrix(n: number, g: number): tf.Tensor2D {
  const weights = new Float32Array(g * n);
  for (let i = 0; i < g; i++) {
    const start = Math.floor((i * n) / g);
    const end = Math.ceil(((i + 1) * n) / g);
    for (let j = start; j < end; j++) weights[i * n + j] = 1 / (end - start);
  }
  return tf.tensor2d(weights, [g, n]);
}

/**
 * [B, k, g²] the chosen channels of an NHWC map, each pooled to g×g and
 * flattened in raster order.
 */
export function channelTokens(map: tf.Tensor4D, channels: Int32Array, g: number): tf.Tensor3D {
  const [b, h, w] = map.shape;
  const k = channels.length;
  return tf.tidy(() => {
    const chosen = tf.transpose(tf.gather(map, tf.tensor1d(channels, 'int32'), 3), [0, 3, 1, 2]); // [B, k, H, W]
    const alongW = tf.matMul(tf.reshape(chosen, [b * k * h, w]), adaptivePoolMatrix(w, g), false, true); // [B·k·H, g]
    const byH = tf.transpose(tf.reshape(alongW, [b * k, h, g]), [0, 2, 1]); // [B·k, g(w), H]
    const pooled = tf.matMul(tf.reshape(byH, [b * k * g, h]), adaptivePoolMatrix(h, g), false, true); // [B·k·g(w), g(h)]
    return tf.reshape(tf.transpose(tf.reshape(pooled, [b * k, g, g]), [0, 2, 1]), [b, k, g * g]) as tf.Tensor3D; // rows h, columns w
  });
}

/** The branch's parameters and forward pass. */
export class MultiLevelBranch {
  readonly config: MultiLevelConfig;
  /** [1, 1, g²] */
  readonly cls: tf.Variable;
  /** [1, N + 1, g²]: position 0 is the CLS token's, 1..N the channel tokens'. */
  readonly positions: tf.Variable;
  readonly attention: MultiHeadAttentionParams;

  constructor(params: ParameterSet, config: MultiLevelConfig) {
    this.config = checkMultiLevelConfig(config);
    const width = config.tokenGrid * config.tokenGrid;
    // Zero-initialised, as the released code.
    this.cls = params.create('cls_token', [1, 1, width], { kind: 'zeros' });
    this.positions = params.create('pos_embed', [1, config.tokenCount + 1, width], { kind: 'zeros' });
    this.attention = createMultiHeadAttention(params, 'attn', { queryWidth: width, keyWidth: width, width, outputWidth: width }, config.heads);
  }

  /** g²: the width of the CLS output. */
  get width(): number {
    return this.config.tokenGrid * this.config.tokenGrid;
  }

  /**
   * @param stages layer1..layer4 maps, NHWC
   * @param subsets the channels of each stage (`drawChannelSubsets`)
   * @returns [B, g²] the CLS token after self-attention with a residual
   */
  forward(stages: readonly [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D], subsets: readonly Int32Array[]): tf.Tensor2D {
    const { tokenGrid: g, tokenCount: n } = this.config;
    const counts = channelsPerStage(this.config);
    subsets.forEach((s, i) => {
      if (s.length !== counts[i]) throw new Error(`MultiLevelBranch: stage ${i + 1} needs ${counts[i]} channel indices, got ${s.length}`);
    });
    const b = stages[0].shape[0];
    const width = g * g;
    return tf.tidy('multiLevelBranch', () => {
      const tokens = tf.concat(stages.map((map, s) => channelTokens(map, subsets[s]!, g)), 1); // [B, n₀, g²]
      const padded = tf.pad(tokens, [[0, 0], [0, n - tokens.shape[1]!], [0, 0]]); // [B, N, g²], zeros after the real tokens
      const withPositions = tf.add(padded, tf.slice(this.positions, [0, 1, 0], [1, n, width]));
      const cls = tf.tile(tf.add(this.cls, tf.slice(this.positions, [0, 0, 0], [1, 1, width])), [b, 1, 1]);
      const sequence = tf.concat([withPositions, cls], 1) as tf.Tensor3D; // [B, N + 1, g²], CLS last
      const attended = tf.add(multiHeadAttention(sequence, sequence, this.attention), sequence);
      return tf.reshape(tf.slice(attended, [0, n, 0], [b, 1, width]), [b, width]) as tf.Tensor2D;
    });
  }
}
