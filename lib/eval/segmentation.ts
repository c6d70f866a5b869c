/**
 * Segmentation with a frozen encoder (§6): a light decoder over the encoder's
 * patch tokens, trained with `10·Focal(γ=2) − log Dice`, scored by Dice per
 * image (empty on empty counts 1). The suite trains it on MGCA's balanced set
 * (`balancedSegmentationRows`): every image with a mask and as many without.
 *
 * Decoder (NHWC): patch tokens [N, g·g, D] → grid [N, g, g, D] → 1×1 conv to
 * `hidden` channels + ReLU → `upsampleBlocks` × (bilinear ×2, 3×3 conv + ReLU,
 * channels halved down to 16) → 1×1 conv to one logit → bilinear resize to
 * H×W. The last two steps commute exactly (bilinear weights sum to 1), so
 * the logit conv runs at the low resolution. This is smaller than MGCA's
 * U-Net: the encoder is frozen and only its last tokens are given, so there
 * are no skip connections to use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ParameterSet } from '../models/params.ts';
import { AdamW } from '../train/optim.ts';
import { Rng } from '../util/rng.ts';
import { dicePerImage } from './dice.ts';
import { meanStd, type MeanStd } from './summary.ts';

/** Frozen patch tokens: `data` `[N, g·g, D]`, patches row by row. */
export interface PatchGrid {
  data: Float32Array;
  count: number;
  grid: number;
  dim: number;
}

/** Binary masks: `data` `[N, H, W]` of 0/1. */
export interface MaskStack {
  data: Uint8Array;
  count: number;
  height: number;
  width: number;
}

/** Decoder and training settings. */
export interface SegmentationConfig {
  /** Channels after the 1×1 projection. */
  hidden: number;
  /** ×2 upsampling blocks (2 → the logits are at 4g before the final resize). */
  upsampleBlocks: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  /** Weight of the focal term (§6: 10). */
  focalWeight: number;
  /** Focal γ (§6: 2). */
  focalGamma: number;
  /** Initial weights and batch order. */
  seed: number;
  /** Probability above which a pixel is foreground. */
  threshold: number;
}

export const DEFAULT_SEGMENTATION: SegmentationConfig = {
  hidden: 64,
  upsampleBlocks: 2,
  steps: 300,
  batchSize: 16,
  learningRate: 3e-3,
  weightDecay: 1e-4,
  focalWeight: 10,
  focalGamma: 2,
  seed: 0,
  threshold: 0.5,
};

/** `PatchGrid` from a `[N, g·g, D]` tensor (read synchronously; the caller keeps the tensor). */
export function patchGridFromTensor(tokens: tf.Tensor3D): PatchGrid {
  const [count, patches, dim] = tokens.shape;
  const grid = Math.round(Math.sqrt(patches));
  if (grid * grid !== patches) throw new Error(`patchGridFromTensor: ${patches} patches are not a square grid`);
  return { data: tokens.dataSync() as Float32Array, count, grid, dim };
}

function checkGrid(f: PatchGrid): void {
  if (f.data.length !== f.count * f.grid * f.grid * f.dim) throw new Error(`segmentation: features hold ${f.data.length} values, expected [${f.count}, ${f.grid}·${f.grid}, ${f.dim}]`);
}

function checkMasks(m: MaskStack, count: number): void {
  if (m.data.length !== m.count * m.height * m.width) throw new Error(`segmentation: masks hold ${m.data.length} values, expected [${m.count}, ${m.height}, ${m.width}]`);
  if (m.count !== count) throw new Error(`segmentation: ${m.count} masks for ${count} feature grids`);
}

/** `[N]` whether each mask has any foreground pixel. */
export function maskPresence(masks: MaskStack): boolean[] {
  const per = masks.height * masks.width;
  return Array.from({ length: masks.count }, (_, n) => masks.data.subarray(n * per, (n + 1) * per).some((v) => v !== 0));
}

/** Copies the `per`-long blocks of `source` at `rows` into `out`, in that order; `caller` names a bad row. */
function gatherBlocks<A extends Float32Array | Uint8Array>(source: A, count: number, per: number, rows: readonly number[], out: A, caller: string): A {
  rows.forEach((row, n) => {
    if (!Number.isInteger(row) || row < 0 || row >= count) throw new Error(`${caller}: row ${row} is outside 0..${count - 1}`);
    out.set(source.subarray(row * per, (row + 1) * per), n * per);
  });
  return out;
}

/** The masks at `rows`, in that order. */
export function selectMasks(masks: MaskStack, rows: readonly number[]): MaskStack {
  const per = masks.height * masks.width;
  const data = gatherBlocks(masks.data, masks.count, per, rows, new Uint8Array(rows.length * per), 'selectMasks');
  return { data, count: rows.length, height: masks.height, width: masks.width };
}

/** The feature grids at `rows`, in that order. */
export function selectGrids(features: PatchGrid, rows: readonly number[]): PatchGrid {
  const per = features.grid * features.grid * features.dim;
  const data = gatherBlocks(features.data, features.count, per, rows, new Float32Array(rows.length * per), 'selectGrids');
  return { data, count: rows.length, grid: features.grid, dim: features.dim };
}

/**
 * The training rows of MGCA's SIIM protocol: every image with foreground and as many
 * empty ones, drawn without replacement by `seed` (all of them when there are fewer),
 * in ascending order. With a few percent positives, a decoder trained on every
 * image learns to predict nothing (Dice 0 on every positive image).
 */
export function balancedSegmentationRows(positive: readonly boolean[], seed: number, negativesPerPositive = 1): number[] {
  const positives = positive.flatMap((p, i) => (p ? [i] : []));
  const negatives = positive.flatMap((p, i) => (p ? [] : [i]));
  if (positives.length === 0) throw new Error('segmentation: no training image has a mask to learn from');
  const chosen = new Rng(seed).shuffle(negatives).slice(0, Math.round(positives.length * negativesPerPositive));
  return [...positives, ...chosen].sort((a, b) => a - b);
}

/** The decoder: parameters plus a forward pass. Owns its variables (`dispose()`). */
export class SegmentationDecoder {
  readonly params: ParameterSet;
  private readonly channels: number[];

  constructor(readonly dim: number, readonly config: SegmentationConfig) {
    this.params = new ParameterSet(config.seed);
    this.channels = [config.hidden];
    for (let i = 0; i < config.upsampleBlocks; i++) this.channels.push(Math.max(16, this.channels[i]! >> 1));
    const conv = (name: string, k: number, cin: number, cout: number) => {
      this.params.create(`${name}.weight`, [k, k, cin, cout], { kind: 'heNormal', fanIn: k * k * cin });
      this.params.create(`${name}.bias`, [cout], { kind: 'zeros' });
    };
    conv('proj', 1, dim, config.hidden);
    for (let i = 0; i < config.upsampleBlocks; i++) conv(`up${i}`, 3, this.channels[i]!, this.channels[i + 1]!);
    conv('logit', 1, this.channels[config.upsampleBlocks]!, 1);
  }

  private conv(x: tf.Tensor4D, name: string): tf.Tensor4D {
    return tf.add(tf.conv2d(x, this.params.get(`${name}.weight`) as tf.Tensor4D, 1, 'same'), this.params.get(`${name}.bias`));
  }

  /**
   * @param grid `[B, g, g, D]` patch features.
   * @returns `[B, H, W]` logits.
   */
  forward(grid: tf.Tensor4D, height: number, width: number): tf.Tensor3D {
    return tf.tidy(() => {
      let x = tf.relu(this.conv(grid, 'proj')); // [B, g, g, hidden]
      for (let i = 0; i < this.config.upsampleBlocks; i++) {
        const [, h, w] = x.shape;
        x = tf.image.resizeBilinear(x, [h * 2, w * 2], false, true); // [B, 2h, 2w, C]
        x = tf.relu(this.conv(x, `up${i}`));
      }
      const logits = tf.image.resizeBilinear(this.conv(x, 'logit'), [height, width], false, true); // [B, H, W, 1]
      return tf.squeeze(logits, [3]) as tf.Tensor3D;
    });
  }

  dispose(): void {
    this.params.dispose();
  }
}

/**
 * `focalWeight · Focal(γ) − log(softDice)` (§6), both over the whole batch.
 * Focal: mean over pixels of `(1 − p_t)^γ · BCE(z, t)`, computed from logits
 * via softplus; soft Dice: `(2·Σ p·t + 1) / (Σ p + Σ t + 1)` (smoothing 1).
 * @param logits `[B, H, W]`
 * @param target `[B, H, W]` 0/1 floats.
 */
export function segmentationLoss(logits: tf.Tensor3D, target: tf.Tensor3D, options: { focalWeight?: number; focalGamma?: number } = {}): tf.Scalar {
  const focalWeight = options.focalWeight ?? DEFAULT_SEGMENTATION.focalWeight;
  const gamma = options.focalGamma ?? DEFAULT_SEGMENTATION.focalGamma;
  return tf.tidy(() => {
    const signedLogits = tf.mul(logits, tf.sub(tf.mul(target, 2), 1)); // s·z, s = ±1
    // BCE = −log p_t = softplus(−s·z); log(1 − p_t) = −softplus(s·z). (Not tf.logSigmoid: its
    // custom gradient closes over its input, which a tidy would free before the backward pass.)
    const bce = tf.softplus(tf.neg(signedLogits));
    const logOneMinusPt = tf.neg(tf.softplus(signedLogits));
    const focal = tf.mean(tf.mul(tf.exp(tf.mul(logOneMinusPt, gamma)), bce));
    const p = tf.sigmoid(logits);
    const dice = tf.div(tf.add(tf.mul(tf.sum(tf.mul(p, target)), 2), 1), tf.add(tf.add(tf.sum(p), tf.sum(target)), 1));
    return tf.sub(tf.mul(focal, focalWeight), tf.log(dice)) as tf.Scalar;
  });
}

/** The result of training a decoder. */
export interface SegmentationTraining {
  decoder: SegmentationDecoder;
  /** Loss per step. */
  losses: number[];
}

/**
 * Trains a decoder on frozen features (AdamW, seeded batches).
 * @param features `[N, g·g, D]`
 * @param masks `[N, H, W]`
 */
export function trainSegmentationDecoder(features: PatchGrid, masks: MaskStack, config: Partial<SegmentationConfig> = {}): SegmentationTraining {
  const c = { ...DEFAULT_SEGMENTATION, ...config };
  checkGrid(features);
  checkMasks(masks, features.count);
  const decoder = new SegmentationDecoder(features.dim, c);
  const x = tf.tensor4d(features.data, [features.count, features.grid, features.grid, features.dim]);
  const y = tf.tidy(() => tf.cast(tf.tensor3d(masks.data, [masks.count, masks.height, masks.width], 'int32'), 'float32'));
  const optimizer = new AdamW({ weightDecay: c.weightDecay });
  const rng = new Rng(c.seed);
  const named = decoder.params.named({ trainableOnly: true });
  const losses: number[] = [];
  let order: number[] = [];
  try {
    for (let step = 0; step < c.steps; step++) {
      if (order.length < c.batchSize) order = order.concat(rng.shuffle(Array.from({ length: features.count }, (_, i) => i)));
      const batch = order.splice(0, Math.min(c.batchSize, features.count));
      const loss = tf.tidy(() => {
        const rows = tf.tensor1d(batch, 'int32');
        const xb = tf.gather(x, rows) as tf.Tensor4D;
        const yb = tf.gather(y, rows) as tf.Tensor3D;
        const { value, grads } = tf.variableGrads(
          () => segmentationLoss(decoder.forward(xb, masks.height, masks.width), yb, c),
          named.map(([, v]) => v),
        );
        const byName: Record<string, tf.Tensor> = {};
        for (const [name, variable] of named) byName[name] = grads[variable.name]!;
        optimizer.apply(named, byName, c.learningRate);
        return value;
      });
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
    }
  } catch (error) {
    decoder.dispose();
    throw error;
  } finally {
    optimizer.dispose();
    tf.dispose([x, y]);
  }
  return { decoder, losses };
}

/**
 * Foreground probabilities thresholded into masks, in batches.
 * @param features `[N, g·g, D]`
 * @returns `[N, H, W]` 0/1 masks.
 */
export function predictMasks(decoder: SegmentationDecoder, features: PatchGrid, height: number, width: number, batchSize = 32): MaskStack {
  checkGrid(features);
  if (features.dim !== decoder.dim) throw new Error(`predictMasks: features have dim ${features.dim}, the decoder ${decoder.dim}`);
  const data = new Uint8Array(features.count * height * width);
  const per = features.grid * features.grid * features.dim;
  for (let start = 0; start < features.count; start += batchSize) {
    const count = Math.min(batchSize, features.count - start);
    const masks = tf.tidy(() => {
      const x = tf.tensor4d(features.data.subarray(start * per, (start + count) * per), [count, features.grid, features.grid, features.dim]);
      const logit = Math.log(decoder.config.threshold / (1 - decoder.config.threshold)); // p > threshold ⇔ z > logit(threshold)
      return tf.cast(tf.greater(decoder.forward(x, height, width), logit), 'int32').dataSync();
    });
    data.set(masks, start * height * width);
  }
  return { data, count: features.count, height, width };
}

/** Dice of the frozen-encoder segmentation on a test set. */
export interface SegmentationResult {
  /** `[N_test]` Dice per image (empty on empty = 1). */
  dice: number[];
  summary: MeanStd;
  /** `[N_test, H, W]` predicted masks, for plots. */
  predictions: MaskStack;
  /** Training loss per step. */
  losses: number[];
}

/** Trains on `train`, predicts and scores `test`; the decoder is disposed before returning. */
export function evaluateSegmentation(
  train: { features: PatchGrid; masks: MaskStack },
  test: { features: PatchGrid; masks: MaskStack },
  config: Partial<SegmentationConfig> = {},
): SegmentationResult {
  checkMasks(test.masks, test.features.count);
  const { decoder, losses } = trainSegmentationDecoder(train.features, train.masks, config);
  try {
    const predictions = predictMasks(decoder, test.features, test.masks.height, test.masks.width);
    const dice = dicePerImage(predictions.data, test.masks.data, test.masks.count);
    return { dice, summary: meanStd(dice), predictions, losses };
  } finally {
    decoder.dispose();
  }
}
