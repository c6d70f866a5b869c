/**
 * Training regimes as typed data: the image size, crop, batch, learning rate
 * and budget that one setting of the project trains with. `cpu` is what the
 * demo and `npm run reproduce` use on a 2-core machine (see the lab notebook,
 * docs/lab-notebook.md, for how it was found); `quick` is the CI smoke setting.
 * The `paper` model preset with its own settings stays for GPUs and real data.
 */
import type { MedSTConfig, MedSTPreset } from '../methods/medst.ts';
import type { ImitateConfigInput, ImitatePreset } from '../methods/imitate.ts';
import type { MpmaConfigInput, MpmaPreset } from '../methods/mpma.ts';
import type { PriorConfigInput, PriorPreset } from '../methods/prior.ts';

/** A method's preset and overrides of its config in one regime. */
export interface ModelChoice<P extends string = string, O = Record<string, unknown>> {
  preset: P;
  overrides: O;
}

/** The model of each registered method in a regime (every method's input size equals the regime's crop). */
export interface RegimeModels {
  medst: ModelChoice<MedSTPreset, Partial<MedSTConfig>>;
  prior: ModelChoice<PriorPreset, PriorConfigInput>;
  imitate: ModelChoice<ImitatePreset, ImitateConfigInput>;
  mpma: ModelChoice<MpmaPreset, MpmaConfigInput>;
  [method: string]: ModelChoice;
}

export interface Regime {
  /** Stored image side S and training crop C (= every model's input size). */
  imageSize: number;
  crop: number;
  models: RegimeModels;
  /** Image–report pairs per step (fixed-size batches). */
  rowsPerBatch: number;
  maxTokens: number;
  vocabSize: number;
  learningRate: number;
  /** Every trained row gets 3 × epochsPerSlot epochs. */
  epochsPerSlot: number;
  /** Learning-curve points (probe and temporal accuracy on held-out data) every this many epochs, and after the last: each point embeds every image. */
  curveEveryEpochs: number;
  /** Synthetic cohort size when the command generates one. */
  patients: number;
}

export const REGIMES = {
  cpu: {
    imageSize: 72,
    crop: 64,
    models: {
      medst: { preset: 'cpu', overrides: {} },
      prior: { preset: 'cpu', overrides: {} },
      imitate: { preset: 'cpu', overrides: {} },
      mpma: { preset: 'cpu', overrides: {} },
    },
    rowsPerBatch: 32,
    maxTokens: 64,
    vocabSize: 1000,
    learningRate: 1e-3,
    epochsPerSlot: 4,
    curveEveryEpochs: 2,
    patients: 1000,
  },
  quick: {
    imageSize: 40,
    crop: 32,
    models: {
      medst: {
        preset: 'cpu',
        overrides: {
          vision: { imageSize: 32, patchSize: 8, width: 64, depth: 2, heads: 2, stem: 'conv' },
          text: { width: 64, layers: 1, heads: 2, intermediateSize: 128, maxPositions: 64 },
          head: { hiddenWidth: 96, outputWidth: 32, bnEps: 1e-5, bnMomentum: 0.1 },
        },
      },
      prior: { preset: 'quick', overrides: {} },
      imitate: { preset: 'quick', overrides: {} },
      mpma: { preset: 'quick', overrides: {} },
    },
    rowsPerBatch: 16,
    maxTokens: 48,
    vocabSize: 400,
    learningRate: 1e-3,
    epochsPerSlot: 1,
    curveEveryEpochs: 1,
    patients: 40,
  },
} as const satisfies Record<string, Regime>;

export type RegimeName = keyof typeof REGIMES;
