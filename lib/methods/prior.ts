/**
 * PRIOR (methods §2): a ResNet with CLIP-style attention pooling and a BERT
 * whose projected tokens are averaged per sentence and attention-pooled into
 * a report embedding; global CLIP alignment, sigmoid cross-modal attention
 * with a SimSiam local image loss and a same-report local text loss, the
 * sentence prototype bank, and cross-modal conditional reconstruction of the
 * image and of the report's sentence prototypes. This file only composes:
 * modules give features, objectives give losses, and the trainer weights the
 * terms by the active stage.
 *
 * Departures from the released code (QtacierP/PRIOR), on purpose: the layer4
 * map is read as N×HW×C tokens in raster order (the original reshapes NCHW
 * directly and scrambles locations); evaluation uses the deterministic
 * softmax of the prototype bank (the original samples Gumbel noise at test
 * time); report embeddings go through the bank only once it has been trained
 * (a run that stops before stage 2 evaluates on raw sentences).
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveBertConfig, type BertConfigInput } from '../configs/bert.ts';
import { RESNET50, resnetStageChannels, resnetStride, resolveResNetConfig, type ResNetConfigInput } from '../configs/resnet.ts';
import type { HostBatch, TensorBatch } from '../data/batches.ts';
import { attentionPool, createAttentionPool, type AttentionPoolParams } from '../models/attention_pool.ts';
import { BertEncoder } from '../models/bert.ts';
import { ImageDecoder } from '../models/image_decoder.ts';
import { relu } from '../models/layers/activations.ts';
import { createLinear, linear, type LinearParams } from '../models/layers/linear.ts';
import { ParameterSet } from '../models/params.ts';
import { ResNet } from '../models/resnet.ts';
import { SentenceDecoder } from '../models/sentence_decoder.ts';
import { l2Normalize } from '../objectives/ops.ts';
import { clipLoss, sameReportContrastiveLoss, sigmoidCrossAttention, simsiamLoss } from '../objectives/prior_alignment.ts';
import { assignPrototypes, gumbelNoise, prototypeLoss } from '../objectives/prototypes.ts';
import { sentenceReconstructionLoss } from '../objectives/sentence_matching.ts';
import type { ScheduleRules, StageConfig } from '../train/schedule.ts';
import type { Rng } from '../util/rng.ts';
import type { BatchContents, ImageEmbedding, LossTerms, PretrainingMethod, StepInput, TextInput } from './method.ts';

/** Everything that defines a PRIOR model. */
export interface PriorConfig {
  /** The ResNet; `imageSize` is the crop it takes. */
  vision: ResNetConfigInput;
  text: BertConfigInput;
  /** d: width of the projected image patches, tokens, sentences and reports (paper: 768). */
  embedWidth: number;
  /** Heads of the image and sentence attention pools (paper: 8). */
  poolHeads: number;
  /** Hidden width of the SimSiam predictor d → h → d (paper: 384). */
  predictorHidden: number;
  /** K: sentence prototypes (paper: 512). */
  prototypes: number;
  /** τ of the Gumbel-softmax (paper: 0.9). */
  gumbelTau: number;
  /** Sentences per report read (and Q, the sentences the report decoder generates; paper: 16). */
  maxSentences: number;
  /** The non-autoregressive report decoder. */
  decoder: { layers: number; heads: number };
  /** Channel dropout of the patch map fed to the image decoder (paper: 0.5). */
  channelDrop: number;
  /**
   * ln of the initial logit scales of the global and local text losses (paper: ln 100, from pretrained encoders).
   * The CPU presets start at CLIP's ln(1/0.07): from random weights, ln 100 collapses the global alignment to ln B within the first epoch (lab notebook §15).
   */
  logitScaleInit: number;
  /** Seed of the initial weights. */
  seed: number;
}

/** Overrides accepted by `priorConfig` (nested fields merge). */
export type PriorConfigInput = Partial<Omit<PriorConfig, 'decoder'>> & { decoder?: Partial<PriorConfig['decoder']> };

const COMMON = { gumbelTau: 0.9, channelDrop: 0.5, logitScaleInit: Math.log(100), seed: 0 } as const;
/** CLIP's initial logit scale, for presets trained from random weights. */
const CLIP_LOGIT_SCALE = Math.log(1 / 0.07);

/**
 * Named PRIOR presets: `paper` is ResNet-50 at 224 px with a 6-layer
 * Bio_ClinicalBERT shape and d = 768; `cpu` is what trains on a 2-core machine
 * in the `cpu` regime (64 px, one bottleneck per stage, no stem pool: a 4×4
 * grid of 16 local tokens; logit scales from CLIP's 1/0.07); `quick` is the CI
 * smoke shape (32 px).
 */
export const PRIOR_PRESETS = {
  paper: {
    ...COMMON,
    vision: RESNET50,
    text: { width: 768, layers: 6, heads: 12, intermediateSize: 3072, maxPositions: 256 },
    embedWidth: 768,
    poolHeads: 8,
    predictorHidden: 384,
    prototypes: 512,
    maxSentences: 16,
    decoder: { layers: 4, heads: 8 },
  },
  cpu: {
    ...COMMON,
    logitScaleInit: CLIP_LOGIT_SCALE,
    vision: { blocks: [1, 1, 1, 1], baseWidth: 16, imageSize: 64, stemPool: false },
    text: { width: 128, layers: 2, heads: 2, intermediateSize: 512, maxPositions: 128 },
    embedWidth: 128,
    poolHeads: 8,
    predictorHidden: 64,
    prototypes: 128,
    maxSentences: 8,
    decoder: { layers: 1, heads: 4 },
  },
  quick: {
    ...COMMON,
    logitScaleInit: CLIP_LOGIT_SCALE,
    vision: { blocks: [1, 1, 1, 1], baseWidth: 8, imageSize: 32, stemPool: false },
    text: { width: 64, layers: 1, heads: 2, intermediateSize: 128, maxPositions: 64 },
    embedWidth: 32,
    poolHeads: 4,
    predictorHidden: 16,
    prototypes: 32,
    maxSentences: 8,
    decoder: { layers: 1, heads: 2 },
  },
} as const satisfies Record<string, PriorConfig>;

export type PriorPreset = keyof typeof PRIOR_PRESETS;

/** PRIOR's loss terms: global, the two local terms, the prototype bank, and the stage-3 reconstructions. */
export const PRIOR_LOSS_NAMES = ['global', 'local_image', 'local_text', 'spb', 'image_recon', 'report_recon', 'report_kl', 'report_global'] as const;

/** PRIOR's stage rule: reconstructing the report needs its prototypes, so the report terms need the bank on. */
export const PRIOR_SCHEDULE_RULES: ScheduleRules = {
  lossNames: PRIOR_LOSS_NAMES,
  checkStage: (stage) => (['report_recon', 'report_kl'].some((n) => (stage.losses[n] ?? 0) > 0) && !((stage.losses['spb'] ?? 0) > 0) ? 'the report reconstruction terms match sentence prototypes: switch spb on in the same stage' : null),
};

/**
 * PRIOR's three stages as data (methods §2): global + local on raw sentences,
 * then the prototype bank (weight 10), then both reconstructions with the
 * global term weighted 10 and a lower peak. Epochs are the paper's.
 */
export const PRIOR_SCHEDULE = [
  { name: 'align', epochs: 20, losses: { global: 1, local_image: 1, local_text: 1 }, chunkLength: 1, learningRate: 1e-5, warmupFraction: 0 },
  { name: 'align+spb', epochs: 30, losses: { global: 1, local_image: 1, local_text: 1, spb: 10 }, chunkLength: 1, learningRate: 1e-5, warmupFraction: 0 },
  {
    name: 'align+spb+recon',
    epochs: 100,
    losses: { global: 10, local_image: 1, local_text: 1, spb: 10, image_recon: 1, report_recon: 10, report_kl: 1, report_global: 1 },
    chunkLength: 1,
    learningRate: 5e-6,
    warmupFraction: 0.05,
  },
] as const satisfies readonly StageConfig[];

/** Features of the image side. */
interface ImageSide {
  /** [B, C4] attention-pooled layer4 (what probes read). */
  features: tf.Tensor2D;
  /** [B, d] projected global feature. */
  global: tf.Tensor2D;
  /** [B, P, d] projected patches, P = g² in raster order. */
  patches: tf.Tensor3D;
}

/** Features of the text side. */
export interface TextSide {
  /** [B, S, d] sentence embeddings (mean of each sentence's projected tokens). */
  sentences: tf.Tensor3D;
  /** [B, S] 1 for real sentences. */
  sentenceMask: tf.Tensor2D;
}

interface CrossAttentionProjections {
  q: LinearParams;
  k: LinearParams;
  v: LinearParams;
}

export class Prior implements PretrainingMethod {
  readonly name = 'prior';
  readonly lossNames = PRIOR_LOSS_NAMES;
  readonly config: PriorConfig;
  readonly params: ParameterSet;
  readonly imageParams: ParameterSet;
  readonly image: ResNet;
  readonly imagePool: AttentionPoolParams;
  readonly text: BertEncoder;
  readonly imageGlobalProjection: LinearParams;
  readonly imageLocalProjection: LinearParams;
  readonly tokenProjection: LinearParams;
  readonly sentencePool: AttentionPoolParams;
  /** T2I: image patches query the sentences. */
  readonly textToImage: CrossAttentionProjections;
  /** I2T: sentences query the image patches. */
  readonly imageToText: CrossAttentionProjections;
  readonly predictor: { fc1: LinearParams; fc2: LinearParams };
  readonly globalLogitScale: tf.Variable;
  readonly localLogitScale: tf.Variable;
  /** [K, d] the sentence prototype bank. */
  readonly prototypes: tf.Variable;
  /** 1 once a step has trained the bank (saved with the weights): evaluation then quantises sentences. */
  readonly prototypesTrained: tf.Variable;
  readonly imageDecoder: ImageDecoder;
  readonly reportDecoder: SentenceDecoder;
  /** g: side of the layer4 grid. */
  readonly grid: number;

  /** @param config a full config (a preset with overrides); `text.vocabSize` must match the tokenizer. */
  constructor(config: PriorConfig) {
    this.config = config;
    const d = config.embedWidth;
    this.params = new ParameterSet(config.seed);
    this.imageParams = this.params.child('image');
    this.image = new ResNet(this.imageParams.child('backbone'), config.vision);
    const c4 = resnetStageChannels(this.image.config, 3);
    this.grid = this.image.config.imageSize / resnetStride(this.image.config);
    this.imagePool = createAttentionPool(this.imageParams, 'attnpool', { tokens: this.grid * this.grid, width: c4, outputWidth: c4 }, config.poolHeads);
    this.text = new BertEncoder(this.params.child('text'), config.text);
    const p = this.params;
    this.imageGlobalProjection = createLinear(p, 'image_global_projection', c4, d);
    this.imageLocalProjection = createLinear(p, 'image_local_projection', c4, d);
    this.tokenProjection = createLinear(p, 'token_projection', this.text.config.width, d);
    // Sentences are pooled without positions, as in the released code.
    this.sentencePool = createAttentionPool(p, 'sentence_pool', { tokens: config.maxSentences, width: d, outputWidth: d, positional: false }, config.poolHeads);
    const projections = (name: string): CrossAttentionProjections => ({ q: createLinear(p, `${name}.q`, d, d), k: createLinear(p, `${name}.k`, d, d), v: createLinear(p, `${name}.v`, d, d) });
    this.textToImage = projections('t2i');
    this.imageToText = projections('i2t');
    this.predictor = { fc1: createLinear(p, 'predictor.fc1', d, config.predictorHidden), fc2: createLinear(p, 'predictor.fc2', config.predictorHidden, d) };
    this.globalLogitScale = p.create('global_logit_scale', [], { kind: 'constant', value: config.logitScaleInit });
    this.localLogitScale = p.create('local_logit_scale', [], { kind: 'constant', value: config.logitScaleInit });
    // N(0, 1) as the released nn.Embedding: sentence logits x·Wᵀ start sharp. A small init (N(0, 1/d)) makes every
    // assignment near uniform, qW ≈ the mean prototype for every sentence, and the reports collapse (lab notebook §15).
    this.prototypes = p.create('prototypes', [config.prototypes, d], { kind: 'normal', std: 1 });
    this.prototypesTrained = p.create('prototypes_trained', [], { kind: 'zeros' }, { trainable: false });
    this.imageDecoder = new ImageDecoder(p.child('image_decoder'), 2 * d, Math.log2(resnetStride(this.image.config)));
    this.reportDecoder = new SentenceDecoder(p.child('report_decoder'), { queries: config.maxSentences, width: d, layers: config.decoder.layers, heads: config.decoder.heads });
  }

  get inputSize(): number {
    return this.image.config.imageSize;
  }

  get batchContents(): BatchContents {
    return { lateral: false, sentences: this.config.maxSentences };
  }

  get featureWidth(): number {
    return resnetStageChannels(this.image.config, 3);
  }

  get embeddingWidth(): number {
    return this.config.embedWidth;
  }

  checkStage(stage: StageConfig): string | null {
    return PRIOR_SCHEDULE_RULES.checkStage!(stage);
  }

  /** Image side: ResNet → layer4 tokens (raster order) → attention pool and projections. */
  private encodeImage(frontal: tf.Tensor4D, training: boolean): ImageSide & { tokens: tf.Tensor3D } {
    return tf.tidy(() => {
      // Raster-order tokens of layer4 (the original reshaped NCHW directly and scrambled locations: a defect).
      const tokens = this.image.encode(frontal, { training }).local;
      const features = attentionPool(tokens, this.imagePool);
      return { tokens, features, global: linear(features, this.imageGlobalProjection) as tf.Tensor2D, patches: linear(tokens, this.imageLocalProjection) as tf.Tensor3D };
    });
  }

  /** Text side: BERT → projected tokens → per-sentence means ([B, S, d] and the sentence mask [B, S]). */
  sentenceEmbeddings(text: TextInput): TextSide {
    const { rows: b, maxTokens: l } = text;
    const s = this.config.maxSentences;
    if (!text.sentenceIds) throw new Error('PRIOR: the text batch has no sentenceIds (the loader gives them when the method declares sentences)');
    // [B, S, L] averaging matrix and the sentence mask, from the host-side ids.
    const average = new Float32Array(b * s * l);
    const mask = new Float32Array(b * s);
    for (let i = 0; i < b; i++) {
      const counts = new Int32Array(s);
      for (let t = 0; t < l; t++) {
        const sentence = text.sentenceIds[i * l + t]!;
        if (sentence >= 0 && sentence < s) counts[sentence]!++;
      }
      for (let t = 0; t < l; t++) {
        const sentence = text.sentenceIds[i * l + t]!;
        if (sentence >= 0 && sentence < s) average[(i * s + sentence) * l + t] = 1 / counts[sentence]!;
      }
      counts.forEach((n, j) => (mask[i * s + j] = n > 0 ? 1 : 0));
    }
    return tf.tidy(() => {
      const hidden = this.text.hiddenStates({ inputIds: text.inputIds, attentionMask: text.attentionMask, batchSize: b, seqLength: l }); // [B, L, W]
      const tokens = linear(hidden, this.tokenProjection) as tf.Tensor3D; // [B, L, d]
      return { sentences: tf.matMul(tf.tensor3d(average, [b, s, l]), tokens) as tf.Tensor3D, sentenceMask: tf.tensor2d(mask, [b, s]) };
    });
  }

  /** Sentences through the prototype bank: Gumbel-softmax with `random`'s noise, or the deterministic softmax without. */
  private quantise(sentences: tf.Tensor3D, random: Rng | null): { quantised: tf.Tensor3D; flat: tf.Tensor2D; quantisedFlat: tf.Tensor2D } {
    const [b, s, d] = sentences.shape;
    return tf.tidy(() => {
      const flat = tf.reshape(sentences, [b * s, d]) as tf.Tensor2D;
      const noise = random ? gumbelNoise(b * s, this.config.prototypes, random) : null;
      const { quantised } = assignPrototypes(flat, this.prototypes as tf.Tensor2D, this.config.gumbelTau, noise);
      return { quantised: tf.reshape(quantised, [b, s, d]) as tf.Tensor3D, flat, quantisedFlat: quantised };
    });
  }

  /** [B, d] report embedding: attention pooling over the (real) sentences. */
  private report(sentences: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor2D {
    return attentionPool(sentences, this.sentencePool, mask);
  }

  private predict(x: tf.Tensor3D): tf.Tensor3D {
    return linear(relu(linear(x, this.predictor.fc1)), this.predictor.fc2) as tf.Tensor3D;
  }

  private crossAttend(query: tf.Tensor3D, keys: tf.Tensor3D, p: CrossAttentionProjections, keyMask: tf.Tensor2D | null): tf.Tensor3D {
    return sigmoidCrossAttention(linear(query, p.q) as tf.Tensor3D, linear(keys, p.k) as tf.Tensor3D, linear(keys, p.v) as tf.Tensor3D, keyMask);
  }

  /** Dropout2d: whole channels of each sample zeroed with probability p, the rest scaled by 1/(1 − p). */
  private dropChannels(map: tf.Tensor4D, random: Rng): tf.Tensor4D {
    const [b, , , c] = map.shape;
    const p = this.config.channelDrop;
    if (p <= 0) return map;
    const keep = Float32Array.from({ length: b * c }, () => (random.uniform() < p ? 0 : 1 / (1 - p)));
    return tf.mul(map, tf.tensor4d(keep, [b, 1, 1, c])) as tf.Tensor4D;
  }

  /**
   * The image decoder's output [B, C, C, 1] from the patch map and its text context (T2I), each [B, P, d] → [B, g, g, d],
   * concatenated; in training the patch map's channels are dropped (`random` given).
   */
  private decodeImage(patches: tf.Tensor3D, t2i: tf.Tensor3D, random: Rng | null): tf.Tensor4D {
    const [b, , d] = patches.shape;
    const g = this.grid;
    const map = tf.reshape(patches, [b, g, g, d]) as tf.Tensor4D;
    const input = tf.concat([random ? this.dropChannels(map, random) : map, tf.reshape(t2i, [b, g, g, d])], 3) as tf.Tensor4D; // [B, g, g, 2d]
    return this.imageDecoder.forward(input, { training: random !== null });
  }

  lossTerms({ batch, tensors, stage, random }: StepInput): LossTerms {
    const on = (name: string) => (stage.losses[name] ?? 0) > 0;
    const img = this.encodeImage(tensors.frontal, true);
    const txt = this.sentenceEmbeddings(batch);
    const terms: LossTerms = {};
    let sentences = txt.sentences;
    if (on('spb')) {
      const q = this.quantise(txt.sentences, random.fork(1));
      terms.spb = prototypeLoss(q.quantisedFlat, q.flat, tf.reshape(txt.sentenceMask, [-1]) as tf.Tensor1D);
      sentences = q.quantised;
      this.prototypesTrained.assign(tf.scalar(1));
    }
    const report = this.report(sentences, txt.sentenceMask);
    if (on('global')) terms.global = clipLoss(img.global, report, this.globalLogitScale as tf.Scalar);
    const needT2I = on('local_image') || on('image_recon');
    const t2i = needT2I ? this.crossAttend(img.patches, sentences, this.textToImage, txt.sentenceMask) : null; // [B, P, d]
    if (on('local_image')) terms.local_image = simsiamLoss(this.predict(img.patches), this.predict(t2i!), img.patches, t2i!);
    if (on('local_text')) {
      const i2t = this.crossAttend(sentences, img.patches, this.imageToText, null); // [B, S, d]
      terms.local_text = sameReportContrastiveLoss(sentences, i2t, txt.sentenceMask, this.localLogitScale as tf.Scalar);
    }
    if (on('image_recon')) terms.image_recon = tf.mean(tf.abs(tf.sub(this.decodeImage(img.patches, t2i!, random.fork(2)), tensors.frontal))) as tf.Scalar;
    if (on('report_recon') || on('report_kl') || on('report_global')) {
      const generated = this.reportDecoder.forward(img.patches); // [B, Q, d]
      const matched = sentenceReconstructionLoss(generated, sentences, txt.sentenceMask, this.prototypes as tf.Tensor2D);
      if (on('report_recon')) terms.report_recon = matched.l1;
      if (on('report_kl')) terms.report_kl = matched.kl;
      if (on('report_global')) terms.report_global = clipLoss(this.report(generated, null), report, this.globalLogitScale as tf.Scalar);
    }
    return terms;
  }

  imageFeatures(frontal: tf.Tensor4D, options: { training?: boolean } = {}): tf.Tensor2D {
    return tf.tidy(() => this.encodeImage(frontal, options.training ?? false).features);
  }

  embedImages(frontal: tf.Tensor4D): ImageEmbedding {
    return tf.tidy(() => {
      const img = this.encodeImage(frontal, false);
      return { features: img.features, joint: l2Normalize(img.global) };
    });
  }

  embedTexts(text: TextInput): tf.Tensor2D {
    return tf.tidy(() => {
      const txt = this.sentenceEmbeddings(text);
      const trained = this.prototypesTrained.dataSync()[0]! > 0.5;
      const sentences = trained ? this.quantise(txt.sentences, null).quantised : txt.sentences;
      return l2Normalize(this.report(sentences, txt.sentenceMask));
    });
  }

  denseFeatures(frontal: tf.Tensor4D): { features: tf.Tensor3D; grid: number } {
    return tf.tidy(() => ({ features: this.encodeImage(frontal, false).tokens, grid: this.grid }));
  }

  /** The reconstructed image [B, C, C, 1] (eval mode, no channel dropout) and the report decoder's prototype assignments, for notebooks. */
  reconstruct(batch: Pick<HostBatch, 'inputIds' | 'attentionMask' | 'wordIds' | 'rows' | 'maxTokens' | 'sentenceIds'>, frontal: tf.Tensor4D): { image: tf.Tensor4D; generatedPrototypes: tf.Tensor2D; reportPrototypes: tf.Tensor2D; sentenceMask: tf.Tensor2D } {
    return tf.tidy(() => {
      const img = this.encodeImage(frontal, false);
      const txt = this.sentenceEmbeddings(batch);
      const sentences = this.quantise(txt.sentences, null).quantised;
      const image = this.decodeImage(img.patches, this.crossAttend(img.patches, sentences, this.textToImage, txt.sentenceMask), null);
      const argmax = (x: tf.Tensor3D) => tf.argMax(tf.matMul(x, this.prototypes as tf.Tensor2D, false, true), -1) as tf.Tensor2D; // [B, N]
      return { image, generatedPrototypes: argmax(this.reportDecoder.forward(img.patches)), reportPrototypes: argmax(txt.sentences), sentenceMask: txt.sentenceMask };
    });
  }

  describe(): { method: string } & Record<string, unknown> {
    return { method: this.name, ...this.config, vision: this.image.config, text: this.text.config };
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** A PRIOR config from a preset name plus overrides (the text vocabulary size from the tokenizer). */
export function priorConfig(preset: PriorPreset, overrides: PriorConfigInput & { vocabSize: number }): PriorConfig {
  const base = PRIOR_PRESETS[preset] as PriorConfig;
  const { vocabSize, ...rest } = overrides;
  const config: PriorConfig = {
    ...base,
    ...rest,
    vision: { ...base.vision, ...rest.vision },
    text: { ...base.text, ...rest.text, vocabSize },
    decoder: { ...base.decoder, ...rest.decoder },
  };
  return checkPriorConfig(config);
}

/** Validates a full config (a preset's, or one read back from a checkpoint). */
export function checkPriorConfig(config: PriorConfig): PriorConfig {
  const vision = resolveResNetConfig(config.vision);
  resolveBertConfig(config.text);
  const d = config.embedWidth;
  for (const key of ['embedWidth', 'poolHeads', 'predictorHidden', 'prototypes', 'maxSentences'] as const) {
    if (!(Number.isInteger(config[key]) && config[key] > 0)) throw new Error(`PRIOR config: ${key} must be a positive integer, got ${config[key]}`);
  }
  if (d % config.poolHeads !== 0) throw new Error(`PRIOR config: embedWidth ${d} is not divisible by poolHeads ${config.poolHeads}`);
  if (d % config.decoder.heads !== 0) throw new Error(`PRIOR config: embedWidth ${d} is not divisible by decoder.heads ${config.decoder.heads}`);
  if (resnetStageChannels(vision, 3) % config.poolHeads !== 0) throw new Error(`PRIOR config: layer4 width ${resnetStageChannels(vision, 3)} is not divisible by poolHeads ${config.poolHeads}`);
  if (!(config.gumbelTau > 0)) throw new Error(`PRIOR config: gumbelTau must be positive, got ${config.gumbelTau}`);
  if (!(config.channelDrop >= 0 && config.channelDrop < 1)) throw new Error(`PRIOR config: channelDrop must be in [0, 1), got ${config.channelDrop}`);
  if ((2 * d) % resnetStride(vision) !== 0) throw new Error(`PRIOR config: the image decoder halves 2·embedWidth = ${2 * d} channels log2(${resnetStride(vision)}) times; choose an embedWidth divisible by ${resnetStride(vision) / 2}`);
  return config;
}
