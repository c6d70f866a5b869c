/**
 * IMITATE (methods §3): a ResNet whose pooled layer4 feeds an impression head
 * and whose four stages feed a multi-level findings branch; a BERT reading the
 * findings and the impression separately through one shared projection; the
 * clinical-informed contrastive loss between each image branch and its
 * section for two augmented views, plus image–image terms between the views.
 * This file only composes: modules give features, objectives give losses,
 * and the trainer weights the terms by the active stage (λ is the findings
 * terms' weight in the schedule).
 *
 * Departures from the released code (cheliu-computation/IMITATE-TMI2024), on
 * purpose: a report without findings drops its findings image–text terms (the
 * original encodes the string "nan" and its per-sample mask fails); the
 * backbone runs once per view and feeds both branches (the original runs it
 * four times per step); channel subsets are drawn without replacement from
 * the step's seeded source (the original: `randint`, with replacement, global
 * seed); each image–image term is counted once (the original adds the
 * symmetric loss twice); one warm-up + cosine per stage instead of cosine
 * with warm restarts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveBertConfig, type BertConfigInput } from '../configs/bert.ts';
import { RESNET50, resnetStageChannels, resnetStride, resolveResNetConfig, type ResNetConfigInput } from '../configs/resnet.ts';
import type { HostBatch, SectionRows } from '../data/batches.ts';
import { IMITATE_VIEW_AUGMENT, MILD_VIEW_AUGMENT, augmentView, checkViewAugment, type ViewAugmentConfig } from '../data/view_augment.ts';
import { BertEncoder } from '../models/bert.ts';
import { GlobalProjectionHead } from '../models/heads.ts';
import { MultiLevelBranch, checkMultiLevelConfig, drawChannelSubsets, type MultiLevelConfig } from '../models/multi_level_branch.ts';
import { ParameterSet } from '../models/params.ts';
import { ResNet } from '../models/resnet.ts';
import { clinicalSoftTargets } from '../objectives/cicl.ts';
import { IMITATE_LOSS_DEFAULTS, IMITATE_LOSS_NAMES, imitateLossTerms, type ImitateLossConfig, type ImitateLossName } from '../objectives/imitate.ts';
import type { ScheduleRules, StageConfig } from '../train/schedule.ts';
import { Rng } from '../util/rng.ts';
import type { BatchContents, ImageEmbedding, LossTerms, PretrainingMethod, StepInput, TextInput } from './method.ts';

/** Everything that defines an IMITATE model. */
export interface ImitateConfig {
  /** The ResNet; `imageSize` is the crop it takes. */
  vision: ResNetConfigInput;
  text: BertConfigInput;
  /** Keep the text encoder's weights fixed (the original, from Bio_ClinicalBERT); only sensible with pretrained text weights. */
  freezeText: boolean;
  /** The findings branch, less the stage widths (from `vision`). */
  findings: Omit<MultiLevelConfig, 'stageChannels'>;
  /** d: width of every projection's output (paper: 512). */
  embedWidth: number;
  /** Hidden widths of the impression, findings and text projections (paper: 2048, 256, 1024). */
  hidden: { impression: number; findings: number; text: number };
  /** Temperatures and the prior's smoothing. */
  loss: ImitateLossConfig;
  /** The two views' augmentations. */
  augment: ViewAugmentConfig;
  /** Seed of the initial weights (and of the channel subsets evaluation reads). */
  seed: number;
}

/** Overrides accepted by `imitateConfig` (nested fields merge). */
export type ImitateConfigInput = Partial<Omit<ImitateConfig, 'findings' | 'hidden' | 'loss' | 'augment'>> & {
  findings?: Partial<ImitateConfig['findings']>;
  hidden?: Partial<ImitateConfig['hidden']>;
  loss?: Partial<ImitateLossConfig>;
  augment?: Partial<Omit<ViewAugmentConfig, 'perspective'>> & { perspective?: Partial<ViewAugmentConfig['perspective']> };
};

const FRACTIONS = [0.25, 0.15, 0.1, 0.1] as const;
const COMMON = { loss: IMITATE_LOSS_DEFAULTS, augment: IMITATE_VIEW_AUGMENT, seed: 0 } as const;

/**
 * Named IMITATE presets: `paper` is ResNet-50 at 224 px with a 12-layer
 * Bio_ClinicalBERT shape (trained: nothing imports its weights yet), 16×16
 * channel tokens padded to 512 and d = 512; `cpu` trains on a 2-core machine in the `cpu` regime (64 px, one
 * bottleneck per stage, no stem pool, 8×8 channel tokens: 111 of them padded
 * to 128; the text encoder trains, as there are no pretrained weights;
 * milder views than the paper's: no flips, rotation ±10°, perspective 0.2, which
 * lifted the probe by 0.034 on the tuning cohort, lab notebook §16); `quick` is
 * the CI smoke shape (32 px).
 */
export const IMITATE_PRESETS = {
  paper: {
    ...COMMON,
    vision: RESNET50,
    text: { width: 768, layers: 12, heads: 12, intermediateSize: 3072, maxPositions: 256 },
    // The original freezes a pretrained Bio_ClinicalBERT; pre-training here starts from random weights, so the
    // encoder trains unless a run imports text weights (importHfBert) and sets freezeText.
    freezeText: false,
    findings: { fractions: FRACTIONS, tokenGrid: 16, tokenCount: 512, heads: 4 },
    embedWidth: 512,
    hidden: { impression: 2048, findings: 256, text: 1024 },
  },
  cpu: {
    ...COMMON,
    vision: { blocks: [1, 1, 1, 1], baseWidth: 16, imageSize: 64, stemPool: false },
    text: { width: 128, layers: 2, heads: 2, intermediateSize: 512, maxPositions: 128 },
    freezeText: false,
    augment: MILD_VIEW_AUGMENT,
    findings: { fractions: FRACTIONS, tokenGrid: 8, tokenCount: 128, heads: 4 },
    embedWidth: 128,
    hidden: { impression: 512, findings: 64, text: 256 },
  },
  quick: {
    ...COMMON,
    vision: { blocks: [1, 1, 1, 1], baseWidth: 8, imageSize: 32, stemPool: false },
    text: { width: 64, layers: 1, heads: 2, intermediateSize: 128, maxPositions: 64 },
    freezeText: false,
    augment: MILD_VIEW_AUGMENT,
    findings: { fractions: FRACTIONS, tokenGrid: 4, tokenCount: 64, heads: 2 },
    embedWidth: 32,
    hidden: { impression: 64, findings: 32, text: 64 },
  },
} as const satisfies Record<string, ImitateConfig>;

export type ImitatePreset = keyof typeof IMITATE_PRESETS;

/** IMITATE's terms are on every row (single images, any chunk length). */
export const IMITATE_SCHEDULE_RULES: ScheduleRules = { lossNames: IMITATE_LOSS_NAMES };

/** The paper's schedule as data: one stage, λ = 1 on both findings terms, AdamW 2e-4, 20 epochs. */
export const IMITATE_SCHEDULE = [
  { name: 'cicl', epochs: 20, losses: { impression: 1, findings: 1, impression_views: 1, findings_views: 1 }, chunkLength: 1, learningRate: 2e-4, warmupFraction: 0 },
] as const satisfies readonly StageConfig[];

/** Both branches of one view. */
interface ViewFeatures {
  /** [B, C4] pooled layer4. */
  pooled: tf.Tensor2D;
  /** [B, d] */
  impression: tf.Tensor2D;
  /** [B, d], when the findings branch ran. */
  findings?: tf.Tensor2D;
}

export class Imitate implements PretrainingMethod {
  readonly name = 'imitate';
  readonly lossNames = IMITATE_LOSS_NAMES;
  readonly config: ImitateConfig;
  readonly params: ParameterSet;
  readonly imageParams: ParameterSet;
  readonly image: ResNet;
  readonly findingsBranch: MultiLevelBranch;
  readonly impressionHead: GlobalProjectionHead;
  readonly findingsHead: GlobalProjectionHead;
  readonly text: BertEncoder;
  /** One projection for both sections. */
  readonly textHead: GlobalProjectionHead;
  /** The channel subsets evaluation reads (drawn once from the config's seed). */
  readonly evaluationSubsets: Int32Array[];

  /** @param config a full config (a preset with overrides); `text.vocabSize` must match the tokenizer. */
  constructor(config: ImitateConfig) {
    this.config = config;
    const d = config.embedWidth;
    const head = { bnEps: 1e-5, bnMomentum: 0.1, outputWidth: d };
    this.params = new ParameterSet(config.seed);
    this.imageParams = this.params.child('image');
    this.image = new ResNet(this.imageParams.child('backbone'), config.vision);
    const vision = this.image.config;
    const branch = { ...config.findings, stageChannels: [0, 1, 2, 3].map((s) => resnetStageChannels(vision, s)) as unknown as MultiLevelConfig['stageChannels'] };
    this.findingsBranch = new MultiLevelBranch(this.imageParams.child('findings_branch'), branch);
    this.impressionHead = new GlobalProjectionHead(this.params.child('impression_head'), { ...head, inputWidth: resnetStageChannels(vision, 3), hiddenWidth: config.hidden.impression });
    this.findingsHead = new GlobalProjectionHead(this.params.child('findings_head'), { ...head, inputWidth: this.findingsBranch.width, hiddenWidth: config.hidden.findings });
    this.text = new BertEncoder(this.params.child('text', { frozen: config.freezeText }), config.text);
    this.textHead = new GlobalProjectionHead(this.params.child('text_head'), { ...head, inputWidth: this.text.config.width, hiddenWidth: config.hidden.text });
    this.evaluationSubsets = drawChannelSubsets(branch, new Rng(config.seed));
  }

  get inputSize(): number {
    return this.image.config.imageSize;
  }

  get batchContents(): BatchContents {
    return { lateral: false, sentences: 0, sections: true };
  }

  get featureWidth(): number {
    return resnetStageChannels(this.image.config, 3);
  }

  get embeddingWidth(): number {
    return this.config.embedWidth;
  }

  /** Both branches of a batch of images [B, C, C, 1]; the findings branch only with `subsets`. */
  private encodeView(images: tf.Tensor4D, training: boolean, subsets: Int32Array[] | null): ViewFeatures {
    return tf.tidy(() => {
      const { stages, pooled } = this.image.forward(images, { training });
      const impression = this.impressionHead.forward(pooled, { training });
      if (!subsets) return { pooled, impression };
      return { pooled, impression, findings: this.findingsHead.forward(this.findingsBranch.forward([stages.layer1, stages.layer2, stages.layer3, stages.layer4], subsets), { training }) };
    });
  }

  /** [B, W] the text encoder's CLS feature of token rows (the prior of CICL). */
  private textFeature(rows: Pick<SectionRows, 'inputIds' | 'attentionMask'>, b: number, l: number): tf.Tensor2D {
    return this.text.clsFeature({ inputIds: rows.inputIds, attentionMask: rows.attentionMask, batchSize: b, seqLength: l });
  }

  /** The two augmented views of the batch's crops, [B, C, C, 1] each. */
  private views(batch: HostBatch, random: Rng): [tf.Tensor4D, tf.Tensor4D] {
    const { rows: b, crop: c } = batch;
    return [1, 2].map((salt) => tf.tensor4d(augmentView(batch.frontal, b, c, this.config.augment, random.fork(salt)), [b, c, c, 1])) as [tf.Tensor4D, tf.Tensor4D];
  }

  lossTerms({ batch, stage, random }: StepInput): LossTerms {
    const active = new Set(IMITATE_LOSS_NAMES.filter((n) => (stage.losses[n] ?? 0) > 0)) as Set<ImitateLossName>;
    if (!batch.sections) throw new Error('IMITATE: the batch has no sections (the loader gives them when the method declares sections)');
    const { rows: b, maxTokens: l } = batch;
    const { findings, impression } = batch.sections;
    const findingsBranch = active.has('findings') || active.has('findings_views');
    const [first, second] = this.views(batch, random);
    const view1 = this.encodeView(first, true, findingsBranch ? drawChannelSubsets(this.findingsBranch.config, random.fork(3)) : null);
    const view2 = this.encodeView(second, true, findingsBranch ? drawChannelSubsets(this.findingsBranch.config, random.fork(4)) : null);
    tf.dispose([first, second]);
    const impressionPrior = this.textFeature(impression, b, l);
    const findingsPrior = active.has('findings') ? this.textFeature(findings, b, l) : undefined;
    return imitateLossTerms(
      {
        impressionImage: [view1.impression, view2.impression],
        findingsImage: view1.findings && view2.findings ? [view1.findings, view2.findings] : undefined,
        impressionText: this.textHead.forward(impressionPrior, { training: true }),
        findingsText: findingsPrior ? this.textHead.forward(findingsPrior, { training: true }) : undefined,
        impressionPrior,
        findingsPrior,
        hasImpression: Array.from(impression.present, (p) => p === 1),
        hasFindings: Array.from(findings.present, (p) => p === 1),
      },
      active,
      this.config.loss,
    );
  }

  imageFeatures(frontal: tf.Tensor4D, options: { training?: boolean } = {}): tf.Tensor2D {
    return tf.tidy(() => this.image.forward(frontal, { training: options.training ?? false }).pooled);
  }

  embedImages(frontal: tf.Tensor4D): ImageEmbedding {
    return tf.tidy(() => {
      const view = this.encodeView(frontal, false, null);
      return { features: view.pooled, joint: view.impression };
    });
  }

  /** Free texts and whole reports go through the shared projection as the impression does. */
  embedTexts(text: TextInput): tf.Tensor2D {
    return tf.tidy(() => this.textHead.forward(this.textFeature(text, text.rows, text.maxTokens), { training: false }));
  }

  denseFeatures(frontal: tf.Tensor4D): { features: tf.Tensor3D; grid: number } {
    return tf.tidy(() => ({ features: this.image.encode(frontal, { training: false }).local, grid: this.image.config.imageSize / resnetStride(this.image.config) }));
  }

  /**
   * [B, B] CICL's soft targets for a batch of texts (eval mode): I + τ·(1 − exp(−r·C⁺)) from their CLS
   * features at the image–text τ, for notebooks (which reports count as soft positives of which).
   */
  clinicalTargets(text: Pick<TextInput, 'inputIds' | 'attentionMask' | 'rows' | 'maxTokens'>): tf.Tensor2D {
    return tf.tidy(() => clinicalSoftTargets(this.textFeature(text, text.rows, text.maxTokens), this.config.loss.textTemperature, this.config.loss.priorRatio));
  }

  /** [B, d] the findings branch of frontal images (eval mode, the evaluation channel subsets), for notebooks. */
  embedFindings(frontal: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.encodeView(frontal, false, this.evaluationSubsets).findings!);
  }

  describe(): { method: string } & Record<string, unknown> {
    return { method: this.name, ...this.config, vision: this.image.config, text: this.text.config };
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** An IMITATE config from a preset name plus overrides (the text vocabulary size from the tokenizer). */
export function imitateConfig(preset: ImitatePreset, overrides: ImitateConfigInput & { vocabSize: number }): ImitateConfig {
  const base = IMITATE_PRESETS[preset] as ImitateConfig;
  const { vocabSize, ...rest } = overrides;
  return checkImitateConfig({
    ...base,
    ...rest,
    vision: { ...base.vision, ...rest.vision },
    text: { ...base.text, ...rest.text, vocabSize },
    findings: { ...base.findings, ...rest.findings },
    hidden: { ...base.hidden, ...rest.hidden },
    loss: { ...base.loss, ...rest.loss },
    augment: { ...base.augment, ...rest.augment, perspective: { ...base.augment.perspective, ...rest.augment?.perspective } },
  });
}

/** Validates a full config (a preset's, or one read back from a checkpoint). */
export function checkImitateConfig(config: ImitateConfig): ImitateConfig {
  const vision = resolveResNetConfig(config.vision);
  resolveBertConfig(config.text);
  checkMultiLevelConfig({ ...config.findings, stageChannels: [0, 1, 2, 3].map((s) => resnetStageChannels(vision, s)) as unknown as MultiLevelConfig['stageChannels'] });
  for (const [key, value] of [['embedWidth', config.embedWidth], ...Object.entries(config.hidden).map(([k, v]) => [`hidden.${k}`, v])] as Array<[string, number]>) {
    if (!(Number.isInteger(value) && value > 0)) throw new Error(`IMITATE config: ${key} must be a positive integer, got ${value}`);
  }
  for (const key of ['textTemperature', 'viewTemperature', 'priorRatio'] as const) {
    if (!(config.loss[key] > 0)) throw new Error(`IMITATE config: loss.${key} must be positive, got ${config.loss[key]}`);
  }
  checkViewAugment(config.augment);
  if (typeof config.freezeText !== 'boolean') throw new Error(`IMITATE config: freezeText must be true or false, got ${JSON.stringify(config.freezeText)}`);
  return config;
}
