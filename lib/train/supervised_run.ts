/**
 * Trains the supervised ceiling (methods/supervised.ts) with the trainer that
 * pre-training uses — same batches, crops, optimiser, schedule shape and
 * budget — so the row differs from a pre-trained one only in its objective.
 */
import { recordsOfSplit, type ManifestRecord } from '../data/manifest.ts';
import { imageStoreDir } from '../data/prepare.ts';
import { createTokenizer } from '../data/tokenizer/index.ts';
import type { ViTConfigInput } from '../configs/vit.ts';
import { SupervisedClassifier } from '../methods/supervised.ts';
import type { StageConfig } from './schedule.ts';
import { train, type TrainHooks, type TrainerConfig } from './trainer.ts';

/** What the ceiling is trained with. */
export interface SupervisedRunConfig {
  /** Prepared folder and stored image side. */
  data: string;
  imageSize: number;
  records: readonly ManifestRecord[];
  vision: ViTConfigInput;
  seed: number;
  /** Epochs and peak learning rate (one warm-up + cosine stage). */
  epochs: number;
  learningRate: number;
  warmupFraction: number;
  trainer: Omit<TrainerConfig, 'stages' | 'maxTokens'>;
  /** Run folder (checkpoints, metrics.jsonl): a killed run resumes. */
  out: string;
}

/** Trains (or resumes) the ceiling; the caller owns (disposes) the returned model. */
export async function trainSupervisedCeiling(config: SupervisedRunConfig, hooks: TrainHooks = {}): Promise<SupervisedClassifier> {
  const trainRecords = recordsOfSplit([...config.records], 'train');
  const model = new SupervisedClassifier({ vision: config.vision, seed: config.seed });
  // The loader tokenises reports; the ceiling ignores them, so a small vocabulary does.
  const tokenizer = await createTokenizer({ kind: 'corpus', corpus: trainRecords.slice(0, 200).map((r) => r.report.text), build: { vocabSize: 200 } });
  const stages: StageConfig[] = [{ name: 'supervised', epochs: config.epochs, losses: { supervised: 1 }, chunkLength: 1, learningRate: config.learningRate, warmupFraction: config.warmupFraction }];
  try {
    await train(model, { storeDir: imageStoreDir(config.data, config.imageSize), records: trainRecords, tokenizer }, { ...config.trainer, maxTokens: 8, stages }, config.out, { log: () => {}, ...hooks });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
