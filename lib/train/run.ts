/**
 * A pre-training run from one typed config (what `npm run pretrain -- --config
 * FILE` reads): prepared data → tokenizer → Med-ST → staged training → a final
 * checkpoint with the tokenizer's vocabulary beside it, so the run folder is
 * all that evaluation needs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { interruptOnSigint } from './interrupt.ts';
import { readManifest, recordsOfSplit } from '../data/manifest.ts';
import { imageStoreDir } from '../data/prepare.ts';
import { createTokenizer, loadTokenizer, type WordPieceTokenizer } from '../data/tokenizer/index.ts';
import type { PretrainingMethod } from '../methods/method.ts';
import { createMethod, methodNames, methodSchedule } from '../methods/registry.ts';
import { saveParameters } from '../weights/checkpoint.ts';
import { writeFileAtomicSync } from '../util/atomic_file.ts';
import type { StageConfig } from './schedule.ts';
import { train, type TrainHooks, type TrainResult, type TrainerConfig } from './trainer.ts';

/** The JSON a run is described by. Paths are relative to the config file's folder. */
export interface PretrainRunConfig {
  /** A folder made by `npm run prepare` (manifest.jsonl + images-<S>/). */
  data: string;
  /** Side S of the image store to read (images-<S>); default: the one the manifest names (the last `prepare` into `data`). */
  imageSize?: number;
  /** A vocab.txt; without it a WordPiece vocabulary of `vocabSize` is built from the training reports. */
  vocab?: string;
  vocabSize?: number;
  /** The registered method to train (lib/methods/registry.ts); default 'medst'. */
  method?: string;
  /** The method's preset and overrides of its config (checked by the method's own config resolver when it is built). */
  model: { preset: string; overrides?: Record<string, unknown> };
  /** Default: the method's own schedule (Med-ST: the simple-to-complex curriculum; PRIOR: its three stages). */
  stages?: StageConfig[];
  trainer: Omit<TrainerConfig, 'stages'>;
  /** Run folder: checkpoints/, metrics.jsonl, final/, vocab.txt. */
  out: string;
}

/** Defaults for fields a config may leave out. */
const DEFAULTS = { vocabSize: 2000 };

/** Reads and checks a run config; relative paths are resolved against its folder. */
export function readPretrainConfig(file: string): PretrainRunConfig {
  let raw: PretrainRunConfig;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8')) as PretrainRunConfig;
  } catch (error) {
    throw new Error(`${file}: cannot read the run config: ${(error as Error).message}`);
  }
  for (const field of ['data', 'model', 'trainer', 'out'] as const) {
    if (raw[field] === undefined) throw new Error(`${file}: missing field "${field}"`);
  }
  if (raw.method !== undefined && !methodNames().includes(raw.method)) throw new Error(`${file}: field "method": unknown method "${raw.method}" (known: ${methodNames().join(', ')})`);
  const base = path.dirname(path.resolve(file));
  return {
    ...raw,
    data: path.resolve(base, raw.data),
    out: path.resolve(base, raw.out),
    vocab: raw.vocab ? path.resolve(base, raw.vocab) : undefined,
  };
}

/** The folder of a run's final weights (model.safetensors + config.json + vocab.txt). */
export function finalModelDir(runDir: string): string {
  return path.join(runDir, 'final');
}

/** Runs (or resumes) the pre-training a config describes. */
export async function runPretraining(config: PretrainRunConfig, hooks: TrainHooks = {}): Promise<{ result: TrainResult; method: PretrainingMethod; tokenizer: WordPieceTokenizer }> {
  const log = hooks.log ?? ((line: string) => console.log(line));
  const { records, info } = readManifest(config.data);
  const imageSize = config.imageSize ?? info.imageStore?.size;
  if (imageSize === undefined) throw new Error(`${config.data}: manifest.json names no image store; give the run config an imageSize`);
  const trainRecords = recordsOfSplit(records, 'train');
  if (trainRecords.length === 0) throw new Error(`${config.data}: the manifest has no training records`);
  fs.mkdirSync(config.out, { recursive: true });
  const tokenizer = await runTokenizer(config, trainRecords.map((r) => r.report.text));
  const methodName = config.method ?? 'medst';
  const method = createMethod(methodName, { preset: config.model.preset, overrides: config.model.overrides, vocabSize: tokenizer.vocabSize, specialTokenIds: tokenizer.specialTokenIds });
  log(`${methodName}: ${config.model.preset} preset, ${(method.params.count({ trainableOnly: true }) / 1e6).toFixed(2)}M trainable parameters, ${trainRecords.length} training pairs, vocabulary ${tokenizer.vocabSize}`);
  const stages = config.stages ?? methodSchedule(methodName);
  // Ctrl-C / Kernel › Interrupt stop the run before its next step, with a checkpoint (unless the caller brings a signal).
  const interrupt = hooks.signal ? null : interruptOnSigint({ log });
  let result: TrainResult;
  try {
    result = await train(method, { storeDir: imageStoreDir(config.data, imageSize), records: trainRecords, tokenizer }, { ...config.trainer, stages }, config.out, { ...hooks, signal: hooks.signal ?? interrupt!.signal });
  } catch (error) {
    method.dispose();
    throw error;
  } finally {
    interrupt?.release();
  }
  if (result.finished) {
    const final = finalModelDir(config.out);
    await saveParameters(method.params, final, method.describe());
    tokenizer.saveVocab(path.join(final, 'vocab.txt'));
    writeFileAtomicSync(path.join(final, 'run.json'), JSON.stringify({ ...config, method: config.method ?? 'medst', imageSize, stages }, null, 2) + '\n');
    log(`${methodName}: final model written to ${final}`);
  }
  return { result, method, tokenizer };
}

/** The run's tokenizer: the given vocab, the one saved by an earlier attempt of this run, or a new one from the corpus. */
async function runTokenizer(config: PretrainRunConfig, corpus: string[]): Promise<WordPieceTokenizer> {
  if (config.vocab) return loadTokenizer(config.vocab);
  const saved = path.join(config.out, 'vocab.txt');
  if (fs.existsSync(saved)) return loadTokenizer(saved); // a resumed run must keep its vocabulary
  const tokenizer = await createTokenizer({ kind: 'corpus', corpus, build: { vocabSize: config.vocabSize ?? DEFAULTS.vocabSize } });
  tokenizer.saveVocab(saved);
  return tokenizer;
}
