/**
 * MPMA (methods §4): paired masking of one image–report pair with
 * reconstruction of both through cross-modal fusion, plus global and local
 * alignment (GLA) on the unmasked encodings. There is no public code: every
 * detail below is the project's reading of the paper's abstract, and every
 * choice is a config field.
 *
 * One step: the image's patches are masked MAE-style (the ViT encodes the
 * visible ones; masked pixels are set to 0, mid-grey on the [−1, 1] scale,
 * before the stem, so a convolutional stem cannot see them either) and the report's tokens BERT-style, from the
 * step's seeded source. Report reconstruction (MLM): the masked report's
 * tokens, projected to the fusion width, attend to the visible visual tokens
 * concatenated with M learnable memory slots (MA-CMF), then an MLM head (its
 * output layer has its own weights: the fusion width need not be the text's).
 * Image reconstruction (MIM): a light pixel decoder whose image queries attend
 * to the masked report's tokens, scored on the masked patches' normalised
 * pixels. GLA: the global InfoNCE (§1.3) and the project's token–region
 * alignment (Med-ST's local loss, §1.4) on full images and unmasked reports.
 * This file only composes: modules give features, objectives give losses,
 * and the trainer weights the terms by the active stage.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveBertConfig, type BertConfigInput } from '../configs/bert.ts';
import { HEAD_PAPER, HEAD_TINY, type ProjectionHeadConfig } from '../configs/heads.ts';
import { VIT_PRESETS, resolveViTConfig, type ViTConfigInput } from '../configs/vit.ts';
import type { HostBatch } from '../data/batches.ts';
import type { SpecialTokenIds } from '../data/tokenizer/wordpiece.ts';
import { BertEncoder } from '../models/bert.ts';
import { AlignmentHeads, type ProjectedText } from '../models/alignment_heads.ts';
import { createLinear, linear, type LinearParams } from '../models/layers/linear.ts';
import { CrossModalFusion, type FusionConfig } from '../models/memory_fusion.ts';
import { MlmHead } from '../models/mlm_head.ts';
import { ParameterSet } from '../models/params.ts';
import { PixelDecoder } from '../models/pixel_decoder.ts';
import { VisionTransformer } from '../models/vit.ts';
import { globalContrastiveLoss } from '../objectives/global_contrastive.ts';
import { localAlignmentLoss } from '../objectives/local_alignment.ts';
import { hideMaskedPatches, maskedPatchLoss, maskedTokenLoss, patchify } from '../objectives/masked_modeling.ts';
import { MEDST_VOCAB_TOKENS, checkMaskTokens, maskTokensOf, samplePatchMask, sampleTokenMask, type MaskTokens, type PatchMask, type TokenMask } from '../objectives/masking.ts';
import type { ScheduleRules, StageConfig } from '../train/schedule.ts';
import type { Rng } from '../util/rng.ts';
import type { BatchContents, ImageEmbedding, LossTerms, PretrainingMethod, StepInput, TextInput } from './method.ts';

/** Everything that defines an MPMA model. */
export interface MpmaConfig {
  /** The ViT (frontal view only; its `imageSize` is the crop it takes). */
  vision: ViTConfigInput;
  text: BertConfigInput;
  /** GLA's global and local projection heads (the encoder width is filled in per side). */
  head: Omit<ProjectionHeadConfig, 'inputWidth'>;
  /** Fractions masked: image patches (MAE) and real non-special report tokens (BERT). */
  masking: { imageRatio: number; textRatio: number };
  /**
   * Both fusion directions: width F, heads, layers, MLP width; `memorySlots` M
   * learnable slots appended to the visual keys of report reconstruction
   * (MA-CMF; 0 is the "without memory" ablation).
   */
  fusion: { width: number; heads: number; layers: number; memorySlots: number; mlpHidden: number };
  /** Self-attention blocks of the pixel decoder after its fusion. */
  decoderDepth: number;
  /** Score the pixels normalised per patch (MAE's norm_pix_loss). */
  normalisePixels: boolean;
  temperatures: { global: number; local: number };
  /** The tokenizer's `[MASK]` id and the ids never masked (filled from the tokenizer when a run builds the method). */
  tokens: MaskTokens;
  /** Seed of the initial weights. */
  seed: number;
}

/** Overrides accepted by `mpmaConfig` (nested fields merge). */
export type MpmaConfigInput = Partial<Omit<MpmaConfig, 'masking' | 'fusion' | 'temperatures' | 'head'>> & {
  masking?: Partial<MpmaConfig['masking']>;
  fusion?: Partial<MpmaConfig['fusion']>;
  temperatures?: Partial<MpmaConfig['temperatures']>;
  head?: Partial<MpmaConfig['head']>;
};


const COMMON = {
  masking: { imageRatio: 0.75, textRatio: 0.15 },
  normalisePixels: true,
  temperatures: { global: 0.07, local: 0.1 },
  tokens: MEDST_VOCAB_TOKENS,
  seed: 0,
} as const;

/**
 * Named MPMA presets: `cpu` is Med-ST's `cpu` ViT (64 px, patch 8 through the
 * BatchNorm VGG stem of 16/32/64 channels, width 192, 4 blocks, no view
 * experts: MPMA reads the frontal view; the VGG stem replaced a plain conv
 * stem, lab notebook §35) with the 2-layer text encoder and a 2-layer fusion
 * of width 128 with 16 memory slots; `quick` is the CI smoke shape (32 px); `paper` is
 * ViT-B/16 with a 6-layer BERT-base-width text encoder, a 4-layer fusion of
 * width 768 with 32 slots and a 4-block decoder (the project's choices: the
 * abstract gives no sizes).
 */
export const MPMA_PRESETS = {
  cpu: {
    ...COMMON,
    vision: { ...VIT_PRESETS.tiny, imageSize: 64, patchSize: 8, stem: 'vgg', stemWidth: 16, stemConvsPerStage: 2, viewExperts: false },
    text: { width: 128, layers: 2, heads: 2, intermediateSize: 512, maxPositions: 128 },
    head: HEAD_TINY,
    fusion: { width: 128, heads: 4, layers: 2, memorySlots: 16, mlpHidden: 512 },
    decoderDepth: 1,
  },
  quick: {
    ...COMMON,
    vision: { imageSize: 32, patchSize: 8, width: 64, depth: 2, heads: 2, stem: 'conv', viewExperts: false },
    text: { width: 64, layers: 1, heads: 2, intermediateSize: 128, maxPositions: 64 },
    head: { hiddenWidth: 96, outputWidth: 32, bnEps: 1e-5, bnMomentum: 0.1 },
    fusion: { width: 64, heads: 2, layers: 1, memorySlots: 8, mlpHidden: 128 },
    decoderDepth: 1,
  },
  paper: {
    ...COMMON,
    vision: { ...VIT_PRESETS.paper, viewExperts: false },
    text: { width: 768, layers: 6, heads: 12, intermediateSize: 3072 },
    head: HEAD_PAPER,
    fusion: { width: 768, heads: 12, layers: 4, memorySlots: 32, mlpHidden: 3072 },
    decoderDepth: 4,
  },
} as const satisfies Record<string, MpmaConfig>;

export type MpmaPreset = keyof typeof MPMA_PRESETS;

/** MPMA's terms: GLA's global and local alignment, masked image and masked language modelling. */
export const MPMA_LOSS_NAMES = ['global', 'local', 'mim', 'mlm'] as const;

/** Every term is on single pairs (any chunk length). */
export const MPMA_SCHEDULE_RULES: ScheduleRules = { lossNames: MPMA_LOSS_NAMES };

/** The project's schedule for MPMA (the abstract gives none): one stage, every term weighted 1, AdamW 1.5e-4 with warm-up. */
export const MPMA_SCHEDULE = [
  { name: 'mpma', epochs: 50, losses: { global: 1, local: 1, mim: 1, mlm: 1 }, chunkLength: 1, learningRate: 1.5e-4, warmupFraction: 0.05 },
] as const satisfies readonly StageConfig[];

/** One pair's reconstructions, on the host, for notebooks. */
export interface MpmaReconstruction {
  /** C: crop side; p: patch side. */
  crop: number;
  patchSize: number;
  /** [B, C, C] the input with masked patches zeroed, the prediction pasted into the masked patches (visible ones kept), and the original. */
  masked: Float32Array;
  reconstructed: Float32Array;
  original: Float32Array;
  /** [B, P] 1 where the patch was masked. */
  patchMask: Float32Array;
  /** [B, L] the masked ids, the MLM head's top prediction, and the true id where a token was chosen (−1 elsewhere). */
  maskedIds: Int32Array;
  predictedIds: Int32Array;
  labels: Int32Array;
  rows: number;
  maxTokens: number;
}

export class Mpma implements PretrainingMethod {
  readonly name = 'mpma';
  readonly lossNames = MPMA_LOSS_NAMES;
  readonly config: MpmaConfig;
  readonly params: ParameterSet;
  readonly image: VisionTransformer;
  readonly text: BertEncoder;
  /** GLA's projection heads (Med-ST's) and the local loss's weighting layers. */
  readonly heads: AlignmentHeads;
  /** Encoder tokens to the fusion width. */
  readonly visualToFusion: LinearParams;
  readonly textToFusion: LinearParams;
  /** MA-CMF: report queries attend to [visible visual tokens ; memory]. */
  readonly textFusion: CrossModalFusion;
  readonly mlmHead: MlmHead;
  readonly pixelDecoder: PixelDecoder;

  /** @param config a full config (a preset with overrides); `text.vocabSize` must match the tokenizer. */
  constructor(config: MpmaConfig) {
    this.config = checkMpmaConfig(config);
    this.params = new ParameterSet(config.seed);
    this.image = new VisionTransformer(this.params.child('image'), config.vision);
    this.text = new BertEncoder(this.params.child('text'), config.text);
    const vw = this.image.config.width;
    const tw = this.text.config.width;
    this.heads = new AlignmentHeads(this.params, config.head, { image: vw, text: tw });
    const f = config.fusion.width;
    const fusion: FusionConfig = { ...config.fusion, layerNormEps: 1e-6 };
    this.visualToFusion = createLinear(this.params, 'visual_to_fusion', vw, f, { std: 0.02 });
    this.textToFusion = createLinear(this.params, 'text_to_fusion', tw, f, { std: 0.02 });
    this.textFusion = new CrossModalFusion(this.params.child('text_fusion'), fusion);
    this.mlmHead = new MlmHead(this.params.child('mlm_head'), f, this.text.config.vocabSize);
    const p = this.image.config.patchSize;
    this.pixelDecoder = new PixelDecoder(this.params.child('pixel_decoder'), {
      inputWidth: vw,
      patches: this.image.numPatches,
      patchPixels: p * p * this.image.config.inChannels,
      fusion: { ...fusion, memorySlots: 0 },
      depth: config.decoderDepth,
    });
  }

  get inputSize(): number {
    return this.image.config.imageSize;
  }

  get batchContents(): BatchContents {
    return { lateral: false, sentences: 0 };
  }

  get imageParams(): ParameterSet {
    return this.image.params;
  }

  get featureWidth(): number {
    return this.image.config.width;
  }

  get embeddingWidth(): number {
    return this.config.head.outputWidth;
  }

  /** The step's masks: patches from fork 1 of the step's source, tokens from fork 2. */
  drawMasks(text: Pick<TextInput, 'inputIds' | 'attentionMask' | 'rows' | 'maxTokens'>, random: Rng): { patches: PatchMask; tokens: TokenMask } {
    const { masking, tokens } = this.config;
    const ids = { mask: tokens.mask, vocabSize: this.text.config.vocabSize, special: new Set(tokens.special) };
    return {
      patches: samplePatchMask(text.rows, this.image.numPatches, masking.imageRatio, random.fork(1)),
      tokens: sampleTokenMask(Int32Array.from(text.inputIds), Int32Array.from(text.attentionMask), text.rows, text.maxTokens, masking.textRatio, ids, random.fork(2)),
    };
  }

  /**
   * Both reconstructions of a masked pair.
   * @returns pixels [B, P, p²] predicted for every patch, and logits [B, L, V]
   */
  private reconstruct(frontal: tf.Tensor4D, text: Pick<TextInput, 'attentionMask' | 'rows' | 'maxTokens'>, masks: { patches: PatchMask; tokens: TokenMask }, want: { mim: boolean; mlm: boolean }, training: boolean): { pixels?: tf.Tensor3D; logits?: tf.Tensor3D } {
    return tf.tidy(() => {
      const { patches, tokens } = masks;
      const b = text.rows;
      const visual = this.image.forwardVisible(hideMaskedPatches(frontal, patches.masked, this.image.config.patchSize), patches.visible, patches.keep, training).local; // [B, keep, Wv]
      const hidden = this.text.hiddenStates({ inputIds: tokens.inputIds, attentionMask: text.attentionMask, batchSize: b, seqLength: text.maxTokens }); // [B, L, Wt]
      const textTokens = linear(hidden, this.textToFusion) as tf.Tensor3D; // [B, L, F]
      const out: { pixels?: tf.Tensor3D; logits?: tf.Tensor3D } = {};
      if (want.mlm) out.logits = this.mlmHead.forward(this.textFusion.forward(textTokens, linear(visual, this.visualToFusion) as tf.Tensor3D));
      if (want.mim) {
        const textMask = tf.tensor2d(Float32Array.from(text.attentionMask), [b, text.maxTokens]);
        out.pixels = this.pixelDecoder.forward(visual, patches.visible, { tokens: textTokens, mask: textMask });
      }
      return out;
    });
  }

  lossTerms({ batch, tensors, stage, random }: StepInput): LossTerms {
    const on = (name: string) => (stage.losses[name] ?? 0) > 0;
    const terms: LossTerms = {};
    if (on('global') || on('local')) {
      const image = tf.tidy(() => this.heads.projectImage(this.image.forward({ frontal: tensors.frontal, training: true }), true));
      const text = this.encodeText(batch, true);
      if (on('global')) terms.global = globalContrastiveLoss(image.imageGlobal, text.textGlobal, { temperature: this.config.temperatures.global }).loss;
      if (on('local')) terms.local = localAlignmentLoss(text.textLocal, image.imageLocal, this.heads.localWeighting, { temperature: this.config.temperatures.local, wordMask: text.wordMask }).loss;
      tf.dispose([image.imageGlobal, image.imageLocal, text.textGlobal, text.textLocal, text.wordMask]);
    }
    if (on('mim') || on('mlm')) {
      const masks = this.drawMasks(batch, random);
      const { pixels, logits } = this.reconstruct(tensors.frontal, batch, masks, { mim: on('mim'), mlm: on('mlm') }, true);
      if (pixels) {
        terms.mim = tf.tidy(() => maskedPatchLoss(pixels, patchify(tensors.frontal, this.image.config.patchSize), tf.tensor2d(masks.patches.masked, [batch.rows, this.image.numPatches]), { normalise: this.config.normalisePixels }));
        pixels.dispose();
      }
      if (logits) {
        terms.mlm = maskedTokenLoss(logits, masks.tokens.labels);
        logits.dispose();
      }
    }
    return terms;
  }

  /** GLA's text side: unmasked reports in the joint space, with the word mask. */
  private encodeText(text: TextInput, training: boolean): ProjectedText & { wordMask: tf.Tensor2D } {
    return tf.tidy(() => {
      const out = this.text.forward({ inputIds: text.inputIds, attentionMask: text.attentionMask, wordIds: text.wordIds, batchSize: text.rows, seqLength: text.maxTokens });
      return { ...this.heads.projectText(out, training), wordMask: out.localMask };
    });
  }

  imageFeatures(frontal: tf.Tensor4D, options: { training?: boolean } = {}): tf.Tensor2D {
    return tf.tidy(() => this.image.forward({ frontal, training: options.training ?? false }).global);
  }

  embedImages(frontal: tf.Tensor4D): ImageEmbedding {
    return tf.tidy(() => {
      const features = this.image.forward({ frontal }).global;
      return { features, joint: this.heads.imageGlobal.forward(features, { training: false }) };
    });
  }

  embedTexts(text: TextInput): tf.Tensor2D {
    return tf.tidy(() => this.heads.textGlobal.forward(this.text.clsFeature({ inputIds: text.inputIds, attentionMask: text.attentionMask, batchSize: text.rows, seqLength: text.maxTokens }), { training: false }));
  }

  denseFeatures(frontal: tf.Tensor4D): { features: tf.Tensor3D; grid: number } {
    const out = this.image.forward({ frontal });
    tf.dispose([out.global, out.localMask]);
    return { features: out.local, grid: this.inputSize / this.image.config.patchSize };
  }

  /**
   * Masks a batch of pairs with `random` and reconstructs both (eval mode), on
   * the host: what notebooks show. A normalised-pixel prediction is shown in
   * each patch's own mean and spread, as MAE's figures do.
   */
  reconstructPairs(frontal: tf.Tensor4D, text: TextInput, random: Rng): MpmaReconstruction {
    const masks = this.drawMasks(text, random);
    const c = this.inputSize;
    const p = this.image.config.patchSize;
    const b = text.rows;
    const result = tf.tidy(() => {
      const { pixels, logits } = this.reconstruct(frontal, text, masks, { mim: true, mlm: true }, false);
      const target = patchify(frontal, p); // [B, P, p²]
      let shown: tf.Tensor = pixels!;
      if (this.config.normalisePixels) {
        const { mean, variance } = tf.moments(target, -1, true);
        const n = p * p;
        shown = tf.add(tf.mul(pixels!, tf.sqrt(tf.add(tf.mul(variance, n / (n - 1)), 1e-6))), mean);
      }
      const masked = tf.reshape(tf.tensor2d(masks.patches.masked, [b, this.image.numPatches]), [b, this.image.numPatches, 1]);
      const pasted = tf.add(tf.mul(shown, masked), tf.mul(target, tf.sub(1, masked))); // [B, P, p²]
      return { pasted: unpatchify(pasted as tf.Tensor3D, c, p), hidden: hideMaskedPatches(frontal, masks.patches.masked, p), predicted: tf.argMax(logits!, -1) };
    });
    const out: MpmaReconstruction = {
      crop: c,
      patchSize: p,
      masked: result.hidden.dataSync() as Float32Array,
      reconstructed: result.pasted.dataSync() as Float32Array,
      original: frontal.dataSync() as Float32Array,
      patchMask: masks.patches.masked,
      maskedIds: masks.tokens.inputIds,
      predictedIds: result.predicted.dataSync() as Int32Array,
      labels: masks.tokens.labels,
      rows: b,
      maxTokens: text.maxTokens,
    };
    tf.dispose([result.hidden, result.pasted, result.predicted]);
    return out;
  }

  describe(): { method: string } & Record<string, unknown> {
    return { method: this.name, ...this.config, vision: this.image.config, text: this.text.config };
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** [B, C, C, 1] images from their p×p patches in raster order (the inverse of `patchify`). */
function unpatchify(patches: tf.Tensor3D, c: number, p: number): tf.Tensor4D {
  const b = patches.shape[0];
  const g = c / p;
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(patches, [b, g, g, p, p]), [0, 1, 3, 2, 4]), [b, c, c, 1]) as tf.Tensor4D);
}

/** An MPMA config from a preset name plus overrides (the vocabulary size and, when given, the special ids from the tokenizer). */
export function mpmaConfig(preset: MpmaPreset, overrides: MpmaConfigInput & { vocabSize: number; specialTokenIds?: SpecialTokenIds }): MpmaConfig {
  const base = MPMA_PRESETS[preset] as MpmaConfig;
  const { vocabSize, specialTokenIds, ...rest } = overrides;
  const fromTokenizer = specialTokenIds ? maskTokensOf(specialTokenIds) : undefined;
  return checkMpmaConfig({
    ...base,
    ...rest,
    vision: { ...base.vision, ...rest.vision },
    text: { ...base.text, ...rest.text, vocabSize },
    head: { ...base.head, ...rest.head },
    masking: { ...base.masking, ...rest.masking },
    fusion: { ...base.fusion, ...rest.fusion },
    temperatures: { ...base.temperatures, ...rest.temperatures },
    tokens: rest.tokens ?? fromTokenizer ?? base.tokens,
  });
}

/** Validates a full config (a preset's, or one read back from a checkpoint); throws naming the field. */
export function checkMpmaConfig(config: MpmaConfig): MpmaConfig {
  const vision = resolveViTConfig(config.vision);
  const text = resolveBertConfig(config.text);
  if (vision.imageSize % vision.patchSize !== 0) throw new Error(`MPMA config: vision.imageSize ${vision.imageSize} is not a multiple of patchSize ${vision.patchSize}`);
  const { imageRatio, textRatio } = config.masking ?? {};
  if (!(typeof imageRatio === 'number' && imageRatio >= 0 && imageRatio < 1)) throw new Error(`MPMA config: masking.imageRatio must be in [0, 1), got ${JSON.stringify(imageRatio)}`);
  if (!(typeof textRatio === 'number' && textRatio > 0 && textRatio < 1)) throw new Error(`MPMA config: masking.textRatio must be in (0, 1), got ${JSON.stringify(textRatio)}`);
  for (const key of ['width', 'heads', 'layers', 'mlpHidden'] as const) {
    const v = config.fusion?.[key];
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`MPMA config: fusion.${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (!(Number.isInteger(config.fusion.memorySlots) && config.fusion.memorySlots >= 0)) throw new Error(`MPMA config: fusion.memorySlots must be a non-negative integer, got ${JSON.stringify(config.fusion.memorySlots)}`);
  if (config.fusion.width % config.fusion.heads !== 0) throw new Error(`MPMA config: fusion.width ${config.fusion.width} is not divisible by fusion.heads ${config.fusion.heads}`);
  if (!(Number.isInteger(config.decoderDepth) && config.decoderDepth >= 0)) throw new Error(`MPMA config: decoderDepth must be a non-negative integer, got ${JSON.stringify(config.decoderDepth)}`);
  if (typeof config.normalisePixels !== 'boolean') throw new Error(`MPMA config: normalisePixels must be true or false, got ${JSON.stringify(config.normalisePixels)}`);
  if (config.normalisePixels && vision.patchSize * vision.patchSize < 2) throw new Error('MPMA config: normalisePixels needs patches of 2 or more pixels');
  for (const key of ['global', 'local'] as const) {
    if (!(config.temperatures?.[key] > 0)) throw new Error(`MPMA config: temperatures.${key} must be positive, got ${JSON.stringify(config.temperatures?.[key])}`);
  }
  checkMaskTokens(config.tokens, text.vocabSize, 'MPMA config: tokens');
  return config;
}
