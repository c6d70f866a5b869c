/** Pre-training methods: encoders composed with objectives. */
export type { LossTerms, PretrainingMethod, StepInput } from './method.ts';
export { MEDST_PRESETS, MedST, medstConfig, type MedSTConfig, type MedSTEmbeddings, type MedSTPreset } from './medst.ts';
export { SupervisedClassifier, supervisedTargets, type SupervisedConfig } from './supervised.ts';
