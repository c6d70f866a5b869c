/**
 * A comparison as one call: on a prepared cohort, the reference rows
 * (majority/chance, raw pixels, random init, supervised ceiling) and each
 * pre-trained variant at each seed, with the same budget, every downstream
 * evaluation, and learning curves (probe AUROC and temporal macro accuracy
 * after each epoch) for the variants that ask for them. Results are written
 * after every run, so an interrupted comparison keeps what it finished, and
 * training runs resume from their checkpoints.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ManifestRecord } from '../data/manifest.ts';
import { recordsOfSplit } from '../data/manifest.ts';
import { imageStoreDir } from '../data/prepare.ts';
import { createTokenizer } from '../data/tokenizer/index.ts';
import { medstConfig } from '../methods/medst.ts';
import { createMethod } from '../methods/registry.ts';
import type { ModelChoice, RegimeModels } from '../train/regime.ts';
import type { TrainableMethod } from '../methods/method.ts';
import { finalModelDir, runPretraining, type PretrainRunConfig } from '../train/run.ts';
import { trainSupervisedCeiling } from '../train/supervised_run.ts';
import { readMetrics, type TrainerConfig } from '../train/trainer.ts';
import { writeFileAtomicSync } from '../util/atomic_file.ts';
import { saveParameters } from '../weights/checkpoint.ts';
import { variantStages, type ExperimentVariant } from './experiment.ts';
import { loadFrozenModel } from './embed.ts';
import { evaluateImageFeatures, type MetricValue } from './image_evaluation.ts';
import { imageFeatureMatrix } from './image_features.ts';
import { majorityMetrics, rawPixelMetrics } from './references.ts';
import { REFERENCE_ROWS, writeComparison, type ComparisonResults, type LearningCurve, type RunResult } from './results.ts';
import { HEADLINE_METRICS, evaluateSuite, type SuiteOptions } from './suite.ts';

/** A run folder's learning curve (one point per finished epoch). */
export const CURVE_FILE = 'curve.json';
/** What a learning-curve point holds (evaluateImageFeatures in `curve` mode). */
const CURVE_METRICS = ['probe_auroc_100', 'temporal_macro_acc', 'temporal_acc'] as const;

/** Everything a comparison needs; one budget for every trained row. */
export interface ComparisonConfig {
  title: string;
  cohortDir: string;
  preparedDir: string;
  /** Stored image side S (images-S). */
  imageSize: number;
  seeds: number[];
  /** Each method's preset and overrides (a row's own overrides go on top). */
  models: RegimeModels;
  trainer: Omit<TrainerConfig, 'stages' | 'seed'>;
  vocabSize: number;
  /** Every trained row gets 3 × epochsPerSlot epochs at this peak learning rate. */
  epochsPerSlot: number;
  learningRate: number;
  /** The rows to run, in order (an experiment's variants, e.g. `medstAblation().variants`). */
  variants: readonly ExperimentVariant[];
  /** Variants whose probe AUROC and temporal accuracy are measured during training (learning curves). */
  curves: readonly string[];
  /** A curve point every this many epochs, and after the last epoch (the regime's `curveEveryEpochs`). */
  curveEveryEpochs: number;
  /** Add the supervised-ceiling row (trained with the same budget). */
  supervised: boolean;
  quick: boolean;
  /** Shuffles of the temporal cross-validation of every row (the regime's; default 3). */
  temporalCvRepeats?: number;
  /** Runs (checkpoints) go here; results go to `outDir`. */
  workDir: string;
  outDir: string;
}

/** Whether a learning-curve point is taken after `epochsDone` epochs: every `every` epochs, and after the last. */
export function isCurveEpoch(epochsDone: number, every: number, lastEpoch: number): boolean {
  return epochsDone % every === 0 || epochsDone === lastEpoch;
}

/** Per-run progress for CLIs. */
export type ComparisonLog = (line: string) => void;

/** Runs every row and returns (and writes) the results. */
export async function runComparison(config: ComparisonConfig, records: readonly ManifestRecord[], log: ComparisonLog = console.log): Promise<ComparisonResults> {
  const storeDir = imageStoreDir(config.preparedDir, config.imageSize);
  // One source for the crop: the models' input size, the same for every row so that the rows compare.
  const crop = commonInputSize(config);
  const results: ComparisonResults = { format: 'medst-comparison', version: 2, title: config.title, setup: setupOf(config), metrics: HEADLINE_METRICS, runs: [], curves: [] };
  const save = () => writeComparison(config.outDir, results);
  const label = (name: string) => REFERENCE_ROWS.find((r) => r.name === name)!.label;
  const add = (run: RunResult) => {
    results.runs.push(run);
    save();
    log(`${run.label.padEnd(26)} ${run.seed === null ? '' : `seed ${run.seed} `}trained ${run.trainSeconds.toFixed(0)}s, evaluated ${run.evalSeconds.toFixed(0)}s | ${summaryLine(run.metrics)}`);
  };

  add({ row: 'majority', label: label('majority'), kind: 'reference', seed: null, trainSeconds: 0, evalSeconds: 0, metrics: majorityMetrics(records, config.cohortDir) });
  const started = Date.now();
  const evaluation: SuiteOptions = { quick: config.quick, ...(config.temporalCvRepeats ? { temporalCvRepeats: config.temporalCvRepeats } : {}) };
  const raw = rawPixelMetrics(storeDir, records, config.cohortDir, { crop }, evaluation);
  add({ row: 'raw_pixels', label: label('raw_pixels'), kind: 'reference', seed: null, trainSeconds: 0, evalSeconds: (Date.now() - started) / 1000, metrics: raw });

  // Curve points live in the run folder too, so a rerun or a resumed run keeps the epochs it already measured.
  if (!Number.isInteger(config.curveEveryEpochs) || config.curveEveryEpochs < 1) throw new Error(`runComparison: curveEveryEpochs must be a positive integer, got ${config.curveEveryEpochs}`);
  const totalEpochs = (variant: ExperimentVariant) => variantStages(variant, config.epochsPerSlot, config.learningRate).reduce((sum, stage) => sum + stage.epochs, 0);
  const curveOf = (row: string, seed: number, runDir: string, lastEpoch: number) => {
    const file = path.join(runDir, CURVE_FILE);
    const curve: LearningCurve = { row, seed, points: fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as LearningCurve).points : [] };
    results.curves.push(curve);
    const addPoint = (point: LearningCurve['points'][number]) => {
      curve.points = [...curve.points.filter((p) => p.epoch !== point.epoch), point].sort((a, b) => a.epoch - b.epoch);
      fs.mkdirSync(runDir, { recursive: true });
      writeFileAtomicSync(file, JSON.stringify(curve) + '\n');
      save();
    };
    const onEpochEnd = async ({ epochsDone, step, method }: { epochsDone: number; step: number; method: TrainableMethod }) => {
      // The last epoch's point is the final evaluation's own numbers (finishCurve): not measured twice.
      if (epochsDone === lastEpoch || !isCurveEpoch(epochsDone, config.curveEveryEpochs, lastEpoch)) return;
      const features = imageFeatureMatrix((f) => method.imageFeatures(f), storeDir, records, crop);
      addPoint({ epoch: epochsDone, step, metrics: evaluateImageFeatures(features, records, config.cohortDir, { curve: true }).metrics });
    };
    /** After the final evaluation: its probe and fixed-split temporal numbers are the curve's last point. */
    const finishCurve = (headline: Record<string, MetricValue>) => {
      if (curve.points.some((p) => p.epoch === lastEpoch)) return;
      const metrics = Object.fromEntries(CURVE_METRICS.filter((key) => headline[key]).map((key) => [key, headline[key]!]));
      addPoint({ epoch: lastEpoch, step: readMetrics(runDir).length, metrics });
    };
    return { onEpochEnd, finishCurve };
  };

  for (const seed of config.seeds) {
    for (const variant of config.variants) {
      const runStarted = Date.now();
      const run = runConfig(config, variant, seed);
      let curve: ReturnType<typeof curveOf> | null = null;
      if (variant.pretrain) {
        curve = config.curves.includes(variant.name) ? curveOf(variant.name, seed, run.out, totalEpochs(variant)) : null;
        const { method } = await runPretraining(run, { log: () => {}, ...(curve ? { onEpochEnd: curve.onEpochEnd } : {}) });
        method.dispose();
      } else {
        await saveRandomInit(run, records);
      }
      const trainSeconds = (Date.now() - runStarted) / 1000;
      const evalStarted = Date.now();
      const model = await loadFrozenModel(finalModelDir(run.out), { maxTokens: run.trainer.maxTokens });
      const suite = await evaluateSuite(model, { cohortDir: config.cohortDir, preparedDir: config.preparedDir, imageSize: config.imageSize, records }, evaluation);
      model.method.dispose();
      curve?.finishCurve(suite.headline);
      add({ row: variant.name, label: variant.label, kind: variant.pretrain ? 'pretrained' : 'reference', seed, trainSeconds, evalSeconds: (Date.now() - evalStarted) / 1000, metrics: suite.headline });
    }
    if (config.supervised) {
      const runStarted = Date.now();
      // Med-ST's image encoder (the regime's ViT) with a linear head.
      const vision = medstConfig(config.models.medst.preset, { ...config.models.medst.overrides, vocabSize: config.vocabSize }).vision;
      const model = await trainSupervisedCeiling({
        data: config.preparedDir,
        imageSize: config.imageSize,
        records,
        vision,
        seed,
        epochs: 3 * config.epochsPerSlot,
        learningRate: config.learningRate,
        warmupFraction: 0.1,
        trainer: { ...config.trainer, seed },
        out: path.join(config.workDir, 'runs', `supervised-s${seed}`),
      });
      const trainSeconds = (Date.now() - runStarted) / 1000;
      const evalStarted = Date.now();
      const features = imageFeatureMatrix((f) => model.imageFeatures(f), storeDir, records, crop);
      model.dispose();
      const metrics = evaluateImageFeatures(features, records, config.cohortDir, evaluation).metrics;
      add({ row: 'supervised', label: label('supervised'), kind: 'reference', seed, trainSeconds, evalSeconds: (Date.now() - evalStarted) / 1000, metrics });
    }
  }
  return results;
}

/** The run config of one variant at one seed. */
export function runConfig(config: ComparisonConfig, variant: ExperimentVariant, seed: number): PretrainRunConfig {
  const model = modelOf(config, variant.method);
  return {
    method: variant.method,
    data: config.preparedDir,
    imageSize: config.imageSize,
    vocabSize: config.vocabSize,
    model: { preset: model.preset, overrides: { ...model.overrides, ...variant.overrides, seed } },
    stages: variantStages(variant, config.epochsPerSlot, config.learningRate),
    trainer: { ...config.trainer, seed },
    out: path.join(config.workDir, 'runs', `${variant.name}-s${seed}`),
  };
}

/** A method's model in the comparison's regime. */
function modelOf(config: ComparisonConfig, method: string): ModelChoice {
  const choice = config.models[method];
  if (!choice) throw new Error(`comparison: the regime has no model for method "${method}" (it has: ${Object.keys(config.models).join(', ')})`);
  return choice;
}

/** The input size every row's model takes; rows whose models differ cannot share reference rows. */
function commonInputSize(config: ComparisonConfig): number {
  const sizes = new Map<string, number>();
  for (const variant of config.variants) {
    if (sizes.has(variant.method)) continue;
    const { preset, overrides } = modelOf(config, variant.method);
    const method = createMethod(variant.method, { preset, overrides: { ...overrides, ...variant.overrides }, vocabSize: config.vocabSize });
    sizes.set(variant.method, method.inputSize);
    method.dispose();
  }
  const distinct = [...new Set(sizes.values())];
  if (distinct.length !== 1) throw new Error(`comparison: the rows' models take different input sizes (${[...sizes].map(([m, s]) => `${m} ${s}`).join(', ')}); give every method the regime's crop`);
  return distinct[0]!;
}

/** "probe 0.812 (n=539), temporal macro 0.47 (n=269), ..." */
export function summaryLine(metrics: Record<string, MetricValue>): string {
  const parts: Array<[string, string]> = [
    ['probe_auroc_100', 'probe100'],
    ['temporal_macro_acc', 'temporal macro'],
    ['zeroshot_pneumonia_auroc', 'zero-shot pneu'],
    ['i2t_r5', 'i2t R@5'],
  ];
  return parts
    .filter(([key]) => metrics[key])
    .map(([key, name]) => `${name} ${metrics[key]!.value.toFixed(3)} (n=${metrics[key]!.n})`)
    .join(', ');
}

function setupOf(config: ComparisonConfig): Record<string, unknown> {
  const { title: _title, variants, workDir: _w, outDir: _o, ...rest } = config;
  return { ...rest, variants: variants.map((v) => v.name) };
}

/** The random-initialisation row: the seeded initial weights, saved like a trained model. */
async function saveRandomInit(config: PretrainRunConfig, records: readonly ManifestRecord[]): Promise<void> {
  const final = finalModelDir(config.out);
  if (fs.existsSync(path.join(final, 'config.json'))) return;
  const train = recordsOfSplit([...records], 'train');
  const tokenizer = await createTokenizer({ kind: 'corpus', corpus: train.map((r) => r.report.text), build: { vocabSize: config.vocabSize } });
  const method = createMethod(config.method ?? 'medst', { preset: config.model.preset, overrides: config.model.overrides, vocabSize: tokenizer.vocabSize, specialTokenIds: tokenizer.specialTokenIds });
  await saveParameters(method.params, final, method.describe());
  tokenizer.saveVocab(path.join(final, 'vocab.txt'));
  method.dispose();
}
