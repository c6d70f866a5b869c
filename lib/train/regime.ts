/**
 * Training regimes as typed data: the image size, crop, batch, learning rate
 * and budget that one setting of the project trains with. `cpu` is what
 * `npm run reproduce` uses on a 2-core machine (see the lab notebook,
 * docs/lab-notebook.md, for how it was found), `demo` the same on a smaller
 * cohort for `npm run demo`; `quick` is the CI smoke setting.
 * The `paper` model preset with its own settings stays for GPUs and real data.
 */
import type { MedSTConfigInput, MedSTPreset } from '../methods/medst.ts';
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
  medst: ModelChoice<MedSTPreset, MedSTConfigInput>;
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
  /** Shuffles of the temporal cross-validation (5 folds each) in every evaluation; default 3. */
  temporalCvRepeats?: number;
}

/** The `cpu` regime: what learns on a 2-core machine (lab notebook §§25–32). */
const CPU = {
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
} as const satisfies Regime;

export const REGIMES = {
  cpu: CPU,
  /**
   * `npm run demo`: the cpu regime on a 400-patient cohort, with a learning-curve
   * point at each stage's end only (epochs 4, 8, 12) and one shuffle of the temporal
   * cross-validation instead of three (a secondary number; the headline is the fixed
   * split), which keeps the demo near its 12-minute budget on 2 cores. Fewer epochs would
   * save more and cost too much: 9 epochs took 0.04 off every trained row's probe
   * (lab notebook §34).
   */
  demo: { ...CPU, curveEveryEpochs: 4, patients: 400, temporalCvRepeats: 1 },
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
