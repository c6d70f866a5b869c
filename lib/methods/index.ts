/** Pre-training methods: encoders composed with objectives. */
export type { LossTerms, PretrainingMethod, StepInput } from './method.ts';
export { MEDST_LOSS_NAMES, MEDST_PRESETS, MEDST_SCHEDULE_RULES, MedST, medstConfig, type MedSTConfig, type MedSTEmbeddings, type MedSTPreset } from './medst.ts';
export { SupervisedClassifier, supervisedTargets, type SupervisedConfig } from './supervised.ts';
export { asMedST, createMethod, methodNames, registerMethod, type MethodBuildOptions, type MethodEntry } from './registry.ts';
