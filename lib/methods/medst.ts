/**
 * Med-ST (methods §1): a ViT with a Mixture of View Experts and a BERT encoder,
 * global and local projection heads, and the objectives of §1.3–1.5; plus an
 * optional masked-patch reconstruction term and an optional image-conditioned
 * masked-language term, both the project's additions, off unless the config
 * turns them on. This file only composes: encoders give
 * features, objectives give losses, and the trainer weights the terms by the
 * active stage.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveBertConfig, type BertConfigInput } from '../configs/bert.ts';
import { HEAD_PAPER, HEAD_TINY, type ProjectionHeadConfig } from '../configs/heads.ts';
import { VIT_PRESETS, resolveViTConfig, type ViTConfigInput } from '../configs/vit.ts';
import type { HostBatch, TensorBatch } from '../data/batches.ts';
import type { SpecialTokenIds } from '../data/tokenizer/wordpiece.ts';
import { BertEncoder } from '../models/bert.ts';
import { AlignmentHeads } from '../models/alignment_heads.ts';
import { ParameterSet } from '../models/params.ts';
import { createLinear, linear, type LinearParams } from '../models/layers/linear.ts';
import { CrossModalFusion } from '../models/memory_fusion.ts';
import { MlmHead } from '../models/mlm_head.ts';
import { PixelDecoder } from '../models/pixel_decoder.ts';
import { VisionTransformer } from '../models/vit.ts';
import { hideMaskedPatches, maskedPatchLoss, maskedTokenLoss, patchify } from '../objectives/masked_modeling.ts';
import { MEDST_VOCAB_TOKENS, checkMaskTokens, maskTokensOf, samplePatchMask, sampleTokenMask, type MaskTokens } from '../objectives/masking.ts';
import type { ScheduleRules, StageConfig } from '../train/schedule.ts';
import { globalContrastiveLoss } from '../objectives/global_contrastive.ts';
import { localAlignmentLoss } from '../objectives/local_alignment.ts';
import { temporalLoss } from '../objectives/temporal.ts';
import type { Rng } from '../util/rng.ts';
import type { BatchContents, ImageEmbedding, LossTerms, PretrainingMethod, StepInput, TextInput } from './method.ts';

/** Everything that defines a Med-ST model. */
export interface MedSTConfig {
  vision: ViTConfigInput;
  text: BertConfigInput;
  /** Projection heads (the encoder width is filled in per side). */
  head: Omit<ProjectionHeadConfig, 'inputWidth'>;
  /** Feed the lateral view through the view experts (false: frontal only — the "no MoVE" ablation). */
  useLateral: boolean;
  /**
   * In training, the fraction of rows whose lateral view is hidden (as an
   * absent lateral is), drawn per row from the step's random source, so that
   * the encoder also learns the frontal-only input every evaluation reads. A
   * project option, not in the paper; 0 = off. Lab notebook §39–40.
   */
  lateralDropout: number;
  temperatures: { global: number; local: number; temporal: number };
  /**
   * Learn the global temperature as CLIP does (a `logit_scale` parameter,
   * initialised at log(1/τ_global), scale capped at 100); false keeps τ fixed
   * (the paper's setting).
   */
  learnGlobalTemperature: boolean;
  /**
   * Leave a patient's other studies in the batch out of the global loss's
   * negatives (a project option; the paper's loss, false, counts them: with
   * chunks of T studies per patient every row has T − 1 such look-alike
   * negatives). Lab notebook §36.
   */
  excludeSamePatientNegatives: boolean;
  /** λ of the log-variance term of RMR. */
  varianceLambda: number;
  /**
   * Masked-patch reconstruction of the frontal view (MAE) as an extra `mim`
   * term: a project addition, not part of the paper's method (§1), null = off.
   * docs/lab-notebook.md §36 is why it exists.
   */
  reconstruction: MedSTReconstructionConfig | null;
  /**
   * Image-conditioned masked language modelling as an extra `mlm` term: the
   * report's tokens, BERT-masked, attend to the image encoder's patch tokens
   * and predict the masked words. A project addition (MPMA's report
   * reconstruction without its memory slots), null = off; lab notebook §36.
   */
  maskedLanguage: MedSTMaskedLanguageConfig | null;
  /** Seed of the initial weights. */
  seed: number;
}

/** Med-ST's optional reconstruction term: MAE on the frontal view through the same ViT. */
export interface MedSTReconstructionConfig {
  /** Fraction of the frontal view's patches hidden (MAE: 0.75). */
  maskRatio: number;
  /** The plain (image-only) pixel decoder: width, heads, MLP width, self-attention blocks. */
  decoder: { width: number; heads: number; mlpHidden: number; depth: number };
  /** Score the pixels normalised per patch (MAE's norm_pix_loss). */
  normalisePixels: boolean;
}

/** Med-ST's optional image-conditioned MLM term. */
export interface MedSTMaskedLanguageConfig {
  /** Fraction of a report's real non-special tokens chosen (BERT: 0.15). */
  maskRatio: number;
  /** The cross-attention layers from report tokens to image tokens: width, heads, layers, MLP width. */
  fusion: { width: number; heads: number; layers: number; mlpHidden: number };
  /** The `[MASK]` id and the ids never masked (filled from the tokenizer when a run builds the method). */
  tokens: MaskTokens;
}

/** What `maskedLanguage: {}` in overrides turns on. */
export const MEDST_MASKED_LANGUAGE_DEFAULTS: MedSTMaskedLanguageConfig = {
  maskRatio: 0.15,
  fusion: { width: 128, heads: 4, layers: 2, mlpHidden: 512 },
  tokens: MEDST_VOCAB_TOKENS,
};

/** What `reconstruction: {}` in overrides turns on. */
export const MEDST_RECONSTRUCTION_DEFAULTS: MedSTReconstructionConfig = {
  maskRatio: 0.75,
  decoder: { width: 128, heads: 4, mlpHidden: 512, depth: 2 },
  normalisePixels: true,
};

/** Overrides accepted by `medstConfig` (nested fields merge; `reconstruction: {}` turns the term on with its defaults). */
export type MedSTConfigInput = Partial<Omit<MedSTConfig, 'reconstruction' | 'maskedLanguage' | 'vision' | 'text' | 'head' | 'temperatures'>> & {
  maskedLanguage?: (Partial<Omit<MedSTMaskedLanguageConfig, 'fusion'>> & { fusion?: Partial<MedSTMaskedLanguageConfig['fusion']> }) | null;
  vision?: ViTConfigInput;
  text?: BertConfigInput;
  head?: Partial<MedSTConfig['head']>;
  temperatures?: Partial<MedSTConfig['temperatures']>;
  reconstruction?: (Partial<Omit<MedSTReconstructionConfig, 'decoder'>> & { decoder?: Partial<MedSTReconstructionConfig['decoder']> }) | null;
};

const COMMON = {
  useLateral: true,
  lateralDropout: 0,
  temperatures: { global: 0.07, local: 0.1, temporal: 0.1 },
  learnGlobalTemperature: false,
  excludeSamePatientNegatives: false,
  varianceLambda: 0.001,
  reconstruction: null,
  maskedLanguage: null,
  seed: 0,
} as const;

/** The 2-layer text encoder of the CPU presets. */
const TEXT_TINY = { width: 128, layers: 2, heads: 2, intermediateSize: 512, maxPositions: 128 } as const;

/**
 * Named Med-ST presets: `cpu` is what learns on a 2-core machine (64 px, patch 8
 * through a BatchNorm VGG stem of 16/32/64 channels, width 192, 4 blocks;
 * docs/lab-notebook.md §31–32),
 * `tiny` and `small` are larger CPU shapes, `paper` is ViT-B/16 + 6-layer
 * Bio_ClinicalBERT.
 */
export const MEDST_PRESETS = {
  cpu: {
    ...COMMON,
    vision: { ...VIT_PRESETS.tiny, imageSize: 64, patchSize: 8, stem: 'vgg', stemWidth: 16, stemConvsPerStage: 2 },
    text: TEXT_TINY,
    head: HEAD_TINY,
  },
  tiny: { ...COMMON, vision: VIT_PRESETS.tiny, text: TEXT_TINY, head: HEAD_TINY },
  small: { ...COMMON, vision: VIT_PRESETS.small, text: { width: 256, layers: 4, heads: 4, intermediateSize: 1024, maxPositions: 128 }, head: HEAD_TINY },
  paper: { ...COMMON, vision: VIT_PRESETS.paper, text: { width: 768, layers: 6, heads: 12, intermediateSize: 3072 }, head: HEAD_PAPER },
} as const satisfies Record<string, MedSTConfig>;

export type MedSTPreset = keyof typeof MEDST_PRESETS;

/** Embeddings of one batch (all L2-normalised, d wide). */
export interface MedSTEmbeddings {
  /** [B, W] the image encoder's global feature (before the head). */
  imageFeatures: tf.Tensor2D;
  /** [B, d] */
  imageGlobal: tf.Tensor2D;
  /** [B, P, d] patch embeddings (frontal, then lateral when used). */
  imageLocal: tf.Tensor3D;
  /** [B, P] 1 for real patches, 0 for absent lateral ones. */
  patchMask: tf.Tensor2D;
  /** [B, d] */
  textGlobal: tf.Tensor2D;
  /** [B, Nw, d] word embeddings. */
  textLocal: tf.Tensor3D;
  /** [B, Nw] 1 for real words. */
  wordMask: tf.Tensor2D;
}

/**
 * Med-ST's loss terms: global and local alignment, forward mapping
 * classification, reverse mapping regression, and the optional masked-patch
 * reconstruction (`mim`, only with `config.reconstruction`) and
 * image-conditioned masked language modelling (`mlm`, only with `config.maskedLanguage`).
 */
export const MEDST_LOSS_NAMES = ['global', 'local', 'fmc', 'rmr', 'mim', 'mlm'] as const;

/** What a Med-ST schedule is checked against: its loss names, and temporal terms only on chunks of 2 or more. */
export const MEDST_SCHEDULE_RULES: ScheduleRules = {
  lossNames: MEDST_LOSS_NAMES,
  checkStage: (stage) => ((stage.losses['fmc'] || stage.losses['rmr']) && stage.chunkLength < 2 ? 'temporal losses need chunkLength ≥ 2' : null),
};

export class MedST implements PretrainingMethod {
  readonly name = 'medst';
  readonly lossNames = MEDST_LOSS_NAMES;

  get inputSize(): number {
    return this.image.config.imageSize;
  }

  get batchContents(): BatchContents {
    return { lateral: this.config.useLateral, sentences: 0 };
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

  checkStage(stage: StageConfig): string | null {
    const general = MEDST_SCHEDULE_RULES.checkStage!(stage);
    if (general) return general;
    if ((stage.losses['mim'] ?? 0) > 0 && !this.pixelDecoder) return 'the mim term needs config.reconstruction (e.g. overrides {"reconstruction": {}})';
    if ((stage.losses['mlm'] ?? 0) > 0 && !this.languageFusion) return 'the mlm term needs config.maskedLanguage (e.g. overrides {"maskedLanguage": {}})';
    return null;
  }

  readonly config: MedSTConfig;
  readonly params: ParameterSet;
  readonly image: VisionTransformer;
  readonly text: BertEncoder;
  /** Global and local projection heads of both sides, and the local loss's weighting layers. */
  readonly heads: AlignmentHeads;
  /** log(1/τ_global) when the temperature is learned. */
  readonly logitScale: tf.Variable | null;
  /** The reconstruction term's decoder, when `config.reconstruction` is set. */
  readonly pixelDecoder: PixelDecoder | null;
  /** The mlm term's parts, when `config.maskedLanguage` is set: both sides' tokens to the fusion width, the fusion, the head. */
  readonly languageFusion: { textIn: LinearParams; imageIn: LinearParams; fusion: CrossModalFusion; head: MlmHead } | null;

  /** @param config a full config (e.g. a preset with overrides); `text.vocabSize` must match the tokenizer. */
  constructor(config: MedSTConfig) {
    this.config = config;
    this.params = new ParameterSet(config.seed);
    this.image = new VisionTransformer(this.params.child('image'), config.vision);
    this.text = new BertEncoder(this.params.child('text'), config.text);
    this.heads = new AlignmentHeads(this.params, config.head, { image: this.image.config.width, text: this.text.config.width });
    this.logitScale = config.learnGlobalTemperature ? this.params.create('logit_scale', [], { kind: 'constant', value: Math.log(1 / config.temperatures.global) }) : null;
    const r = config.reconstruction;
    const p = this.image.config.patchSize;
    this.pixelDecoder = r
      ? new PixelDecoder(this.params.child('pixel_decoder'), {
          inputWidth: this.image.config.width,
          patches: this.image.numPatches,
          patchPixels: p * p * this.image.config.inChannels,
          fusion: { ...r.decoder, layers: 0, memorySlots: 0, layerNormEps: 1e-6 },
          depth: r.decoder.depth,
        })
      : null;
    const m = config.maskedLanguage;
    this.languageFusion = m
      ? {
          textIn: createLinear(this.params, 'mlm_text_in', this.text.config.width, m.fusion.width, { std: 0.02 }),
          imageIn: createLinear(this.params, 'mlm_image_in', this.image.config.width, m.fusion.width, { std: 0.02 }),
          fusion: new CrossModalFusion(this.params.child('mlm_fusion'), { ...m.fusion, memorySlots: 0, layerNormEps: 1e-6 }),
          head: new MlmHead(this.params.child('mlm_head'), m.fusion.width, this.text.config.vocabSize),
        }
      : null;
  }

  /** τ of the global loss: the fixed one, or exp(−min(logit_scale, log 100)) when learned. */
  globalTemperature(): number | tf.Scalar {
    if (!this.logitScale) return this.config.temperatures.global;
    return tf.exp(tf.neg(tf.minimum(this.logitScale, Math.log(100)))) as tf.Scalar;
  }

  /**
   * Image side only (downstream use: single frontal view unless a lateral is given).
   * @param random the step's source in training (the ViT's stochastic depth draws from it)
   */
  encodeImages(tensors: Pick<TensorBatch, 'frontal'> & Partial<Pick<TensorBatch, 'lateral' | 'lateralPresent'>>, training: boolean, random?: Rng): Pick<MedSTEmbeddings, 'imageGlobal' | 'imageLocal' | 'patchMask' | 'imageFeatures'> {
    return tf.tidy(() => {
      const { imageTokens, ...rest } = this.encodeImagesWithTokens(tensors, training, random);
      imageTokens.dispose();
      return rest;
    });
  }

  /** `encodeImages` plus the encoder's patch tokens [B, P, W] before the heads (what the mlm term's fusion reads). */
  private encodeImagesWithTokens(tensors: Pick<TensorBatch, 'frontal'> & Partial<Pick<TensorBatch, 'lateral' | 'lateralPresent'>>, training: boolean, random?: Rng): Pick<MedSTEmbeddings, 'imageGlobal' | 'imageLocal' | 'patchMask' | 'imageFeatures'> & { imageTokens: tf.Tensor3D } {
    return tf.tidy(() => {
      const useLateral = this.config.useLateral && tensors.lateral !== undefined;
      const present = useLateral && training && random && this.config.lateralDropout > 0 ? dropLaterals(tensors.lateralPresent!, this.config.lateralDropout, random.fork(5)) : tensors.lateralPresent;
      const views = useLateral ? { frontal: tensors.frontal, lateral: tensors.lateral, lateralPresent: present } : { frontal: tensors.frontal };
      const features = this.image.forward({ ...views, training, ...(random ? { random } : {}) });
      return { imageFeatures: features.global, ...this.heads.projectImage(features, training), patchMask: features.localMask, imageTokens: features.local };
    });
  }

  /** Text side only. */
  encodeText(batch: TextInput, training: boolean): Pick<MedSTEmbeddings, 'textGlobal' | 'textLocal' | 'wordMask'> {
    return tf.tidy(() => {
      const features = this.text.forward({
        inputIds: batch.inputIds,
        attentionMask: batch.attentionMask,
        wordIds: batch.wordIds,
        batchSize: batch.rows,
        seqLength: batch.maxTokens,
      });
      return { ...this.heads.projectText(features, training), wordMask: features.localMask };
    });
  }

  imageFeatures(frontal: tf.Tensor4D, options: { training?: boolean } = {}): tf.Tensor2D {
    return tf.tidy(() => this.image.forward({ frontal, training: options.training ?? false }).global);
  }

  embedImages(frontal: tf.Tensor4D): ImageEmbedding {
    const e = this.encodeImages({ frontal }, false);
    tf.dispose([e.imageLocal, e.patchMask]);
    return { features: e.imageFeatures, joint: e.imageGlobal };
  }

  embedTexts(text: TextInput): tf.Tensor2D {
    const e = this.encodeText(text, false);
    tf.dispose([e.textLocal, e.wordMask]);
    return e.textGlobal;
  }

  denseFeatures(frontal: tf.Tensor4D): { features: tf.Tensor3D; grid: number } {
    const out = this.image.forward({ frontal });
    tf.dispose([out.global, out.localMask]);
    return { features: out.local, grid: this.inputSize / this.image.config.patchSize };
  }

  /** Both sides of a batch. */
  encode(batch: HostBatch, tensors: TensorBatch, training: boolean, random?: Rng): MedSTEmbeddings {
    return { ...this.encodeImages(tensors, training, random), ...this.encodeText(batch, training) };
  }

  lossTerms({ batch, tensors, stage, random }: StepInput): LossTerms {
    const { imageTokens, ...image } = this.encodeImagesWithTokens(tensors, true, random);
    const e: MedSTEmbeddings = { ...image, ...this.encodeText(batch, true) };
    const terms: LossTerms = {};
    const { temperatures } = this.config;
    if (stage.losses.global) {
      const excludeNegatives = this.config.excludeSamePatientNegatives ? samePatientPairs(batch) : undefined;
      terms.global = globalContrastiveLoss(e.imageGlobal, e.textGlobal, { temperature: this.globalTemperature(), ...(excludeNegatives ? { excludeNegatives } : {}) }).loss;
    }
    if (stage.losses.local) {
      terms.local = localAlignmentLoss(e.textLocal, e.imageLocal, this.heads.localWeighting, {
        temperature: temperatures.local,
        wordMask: e.wordMask,
        patchMask: e.patchMask,
      }).loss;
    }
    const wantFmc = (stage.losses.fmc ?? 0) > 0;
    const wantRmr = (stage.losses.rmr ?? 0) > 0;
    if ((wantFmc || wantRmr) && batch.fullChunks > 0) {
      // Full chunks occupy the first S·T rows, T consecutive steps each.
      const s = batch.fullChunks;
      const t = batch.chunkLength;
      const d = e.imageGlobal.shape[1];
      const u = tf.reshape(tf.slice(e.imageGlobal, [0, 0], [s * t, d]), [s, t, d]) as tf.Tensor3D; // [S, T, d]
      const v = tf.reshape(tf.slice(e.textGlobal, [0, 0], [s * t, d]), [s, t, d]) as tf.Tensor3D; // [S, T, d]
      const out = temporalLoss(u, v, { temperature: temperatures.temporal, varianceLambda: this.config.varianceLambda }, { fmc: wantFmc, rmr: wantRmr });
      if (wantFmc) terms.fmc = tf.add(out.fmcUToV!, out.fmcVToU!) as tf.Scalar;
      if (wantRmr) terms.rmr = tf.add(out.rmrUToV!, out.rmrVToU!) as tf.Scalar;
    }
    if ((stage.losses.mim ?? 0) > 0) terms.mim = this.reconstructionLoss(tensors.frontal, random);
    if ((stage.losses.mlm ?? 0) > 0) terms.mlm = this.maskedLanguageLoss(batch, imageTokens, e.patchMask, random);
    imageTokens.dispose();
    return terms;
  }

  /**
   * Image-conditioned MLM: BERT-mask the reports (fork 4 of the step's
   * source), let their tokens attend to the image's patch tokens (absent
   * lateral patches masked out), and score the head on the chosen tokens.
   */
  maskedLanguageLoss(text: TextInput, imageTokens: tf.Tensor3D, patchMask: tf.Tensor2D, random: Rng): tf.Scalar {
    const m = this.config.maskedLanguage;
    const parts = this.languageFusion;
    if (!m || !parts) throw new Error('MedST.maskedLanguageLoss: config.maskedLanguage is null');
    const ids = { mask: m.tokens.mask, vocabSize: this.text.config.vocabSize, special: new Set(m.tokens.special) };
    const masks = sampleTokenMask(Int32Array.from(text.inputIds), Int32Array.from(text.attentionMask), text.rows, text.maxTokens, m.maskRatio, ids, random.fork(4));
    return tf.tidy(() => {
      const hidden = this.text.hiddenStates({ inputIds: masks.inputIds, attentionMask: text.attentionMask, batchSize: text.rows, seqLength: text.maxTokens }); // [B, L, Wt]
      const fused = parts.fusion.forward(linear(hidden, parts.textIn) as tf.Tensor3D, linear(imageTokens, parts.imageIn) as tf.Tensor3D, patchMask); // [B, L, F]
      return maskedTokenLoss(parts.head.forward(fused), masks.labels);
    });
  }

  /**
   * MAE on the frontal view: hide a random `maskRatio` of its patches (drawn
   * from fork 3 of the step's source, so a resumed run hides the same ones),
   * encode the visible ones through the frontal expert, and score the
   * decoder's pixels on the hidden ones.
   */
  reconstructionLoss(frontal: tf.Tensor4D, random: Rng): tf.Scalar {
    const r = this.config.reconstruction;
    if (!r || !this.pixelDecoder) throw new Error('MedST.reconstructionLoss: config.reconstruction is null');
    const rows = frontal.shape[0];
    const n = this.image.numPatches;
    const p = this.image.config.patchSize;
    const mask = samplePatchMask(rows, n, r.maskRatio, random.fork(3));
    return tf.tidy(() => {
      const visible = this.image.forwardVisible(hideMaskedPatches(frontal, mask.masked, p), mask.visible, mask.keep, true).local; // [B, keep, W]
      const pixels = this.pixelDecoder!.forward(visible, mask.visible, null); // [B, P, p²]
      return maskedPatchLoss(pixels, patchify(frontal, p), tf.tensor2d(mask.masked, [rows, n]), { normalise: r.normalisePixels });
    });
  }

  describe(): { method: string } & Record<string, unknown> {
    return { method: this.name, ...this.config, vision: this.image.config, text: this.text.config };
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** [B, B] bool: true where two different rows of the batch are studies of the same patient. */
export function samePatientPairs(batch: Pick<HostBatch, 'records' | 'rows'>): tf.Tensor2D {
  const b = batch.rows;
  const same = new Uint8Array(b * b);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) same[i * b + j] = i !== j && batch.records[i]!.subjectId === batch.records[j]!.subjectId ? 1 : 0;
  return tf.tensor2d(same, [b, b], 'bool');
}

/** A Med-ST config from a preset name plus overrides (the text vocabulary size from the tokenizer). */
export function medstConfig(preset: MedSTPreset, overrides: MedSTConfigInput & { vocabSize: number; specialTokenIds?: SpecialTokenIds }): MedSTConfig {
  const base: MedSTConfig = MEDST_PRESETS[preset];
  const { vocabSize, reconstruction, maskedLanguage, specialTokenIds, ...rest } = overrides;
  const fromTokenizer = specialTokenIds ? maskTokensOf(specialTokenIds) : undefined;
  const config: MedSTConfig = {
    ...base,
    ...rest,
    vision: { ...base.vision, ...rest.vision },
    text: { ...base.text, ...rest.text, vocabSize },
    head: { ...base.head, ...rest.head },
    temperatures: { ...base.temperatures, ...rest.temperatures },
    reconstruction: reconstruction === undefined ? base.reconstruction : reconstruction === null ? null : { ...MEDST_RECONSTRUCTION_DEFAULTS, ...reconstruction, decoder: { ...MEDST_RECONSTRUCTION_DEFAULTS.decoder, ...reconstruction.decoder } },
    maskedLanguage:
      maskedLanguage === undefined || maskedLanguage === null
        ? (maskedLanguage ?? base.maskedLanguage)
        : { ...MEDST_MASKED_LANGUAGE_DEFAULTS, ...(fromTokenizer ? { tokens: fromTokenizer } : {}), ...maskedLanguage, fusion: { ...MEDST_MASKED_LANGUAGE_DEFAULTS.fusion, ...maskedLanguage.fusion } },
  };
  // Validate early, with the presets' own resolvers.
  const vision = resolveViTConfig(config.vision);
  resolveBertConfig(config.text);
  checkReconstruction(config.reconstruction, vision.patchSize);
  checkMaskedLanguage(config.maskedLanguage, config.text.vocabSize!);
  if (!(typeof config.lateralDropout === 'number' && config.lateralDropout >= 0 && config.lateralDropout < 1)) throw new Error(`Med-ST config: lateralDropout must be in [0, 1), got ${JSON.stringify(config.lateralDropout)}`);
  return config;
}

/** Throws naming the field of a bad masked-language config. */
function checkMaskedLanguage(m: MedSTMaskedLanguageConfig | null, vocabSize: number): void {
  if (m === null) return;
  if (!(typeof m.maskRatio === 'number' && m.maskRatio > 0 && m.maskRatio < 1)) throw new Error(`Med-ST config: maskedLanguage.maskRatio must be in (0, 1), got ${JSON.stringify(m.maskRatio)}`);
  for (const key of ['width', 'heads', 'layers', 'mlpHidden'] as const) {
    if (!(Number.isInteger(m.fusion[key]) && m.fusion[key] > 0)) throw new Error(`Med-ST config: maskedLanguage.fusion.${key} must be a positive integer, got ${JSON.stringify(m.fusion[key])}`);
  }
  if (m.fusion.width % m.fusion.heads !== 0) throw new Error(`Med-ST config: maskedLanguage.fusion.width ${m.fusion.width} is not divisible by its ${m.fusion.heads} heads`);
  checkMaskTokens(m.tokens, vocabSize, 'Med-ST config: maskedLanguage.tokens');
}

/** Throws naming the field of a bad reconstruction config. */
function checkReconstruction(r: MedSTReconstructionConfig | null, patchSize: number): void {
  if (r === null) return;
  if (!(typeof r.maskRatio === 'number' && r.maskRatio > 0 && r.maskRatio < 1)) throw new Error(`Med-ST config: reconstruction.maskRatio must be in (0, 1), got ${JSON.stringify(r.maskRatio)}`);
  for (const key of ['width', 'heads', 'mlpHidden'] as const) {
    if (!(Number.isInteger(r.decoder[key]) && r.decoder[key] > 0)) throw new Error(`Med-ST config: reconstruction.decoder.${key} must be a positive integer, got ${JSON.stringify(r.decoder[key])}`);
  }
  if (!(Number.isInteger(r.decoder.depth) && r.decoder.depth >= 0)) throw new Error(`Med-ST config: reconstruction.decoder.depth must be a non-negative integer, got ${JSON.stringify(r.decoder.depth)}`);
  if (r.decoder.width % r.decoder.heads !== 0) throw new Error(`Med-ST config: reconstruction.decoder.width ${r.decoder.width} is not divisible by its ${r.decoder.heads} heads`);
  if (typeof r.normalisePixels !== 'boolean') throw new Error(`Med-ST config: reconstruction.normalisePixels must be true or false, got ${JSON.stringify(r.normalisePixels)}`);
  if (r.normalisePixels && patchSize < 2) throw new Error('Med-ST config: reconstruction.normalisePixels needs patches of 2 or more pixels');
}

/** The config a Med-ST checkpoint's description holds (older checkpoints predate the learned temperature and the reconstruction term). */
export function medstConfigFromDescription(described: MedSTConfig): MedSTConfig {
  const { vision, text, head, useLateral, temperatures, varianceLambda, seed } = described;
  return { vision, text, head, useLateral, lateralDropout: described.lateralDropout ?? 0, temperatures, learnGlobalTemperature: described.learnGlobalTemperature ?? false, excludeSamePatientNegatives: described.excludeSamePatientNegatives ?? false, varianceLambda, reconstruction: described.reconstruction ?? null, maskedLanguage: described.maskedLanguage ?? null, seed };
}

/**
 * The presence mask with each row's lateral hidden with probability p (one
 * draw per row, in row order, from `random`).
 * @param present [B] 1 where the row has a lateral
 * @returns [B]
 */
export function dropLaterals(present: tf.Tensor1D, p: number, random: Rng): tf.Tensor1D {
  const keep = Float32Array.from({ length: present.shape[0] }, () => (random.uniform() < p ? 0 : 1));
  return tf.tidy(() => tf.mul(present, tf.tensor1d(keep)));
}
