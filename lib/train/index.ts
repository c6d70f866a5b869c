/** Training: optimiser, stage schedule, checkpoints and the loop. */
export { AdamW, DEFAULT_ADAMW, type AdamWApplyOptions, type AdamWApplyResult, type AdamWConfig, type AdamWState } from './optim.ts';
export { DEFAULT_CURRICULUM, activeLosses, describeSchedule, learningRateAt, validateSchedule, type LossName, type ScheduleRules, type StageConfig } from './schedule.ts';
export { checkpointsDir, latestCheckpoint, loadTrainingCheckpoint, saveTrainingCheckpoint, type TrainerState, type TrainingPosition } from './checkpoint.ts';
export { METRICS_FILE, readMetrics, train, TrainingInterrupted, trimMetricsForResume, type StepRecord, type TrainHooks, type TrainResult, type TrainerConfig, type TrainingData } from './trainer.ts';
export { finalModelDir, readPretrainConfig, runPretraining, type PretrainRunConfig } from './run.ts';
export { REGIMES, type Regime, type RegimeName } from './regime.ts';
export { trainSupervisedCeiling, type SupervisedRunConfig } from './supervised_run.ts';
export { interruptOnSigint, type SigintInterrupt } from './interrupt.ts';
export { composeHooks, describeStep, progressHtml, trainingProgress, type ProgressMode, type TrainingProgress, type TrainingProgressOptions } from './progress.ts';
