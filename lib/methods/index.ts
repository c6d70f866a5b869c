/** Pre-training methods: encoders composed with objectives. */
export type { BatchContents, ImageEmbedding, LossTerms, PretrainingMethod, StepInput, TextInput, TrainableMethod } from './method.ts';
export { MEDST_LOSS_NAMES, MEDST_PRESETS, MEDST_MASKED_LANGUAGE_DEFAULTS, MEDST_RECONSTRUCTION_DEFAULTS, MEDST_SCHEDULE_RULES, MedST, medstConfig, medstConfigFromDescription, type MedSTConfig, type MedSTConfigInput, type MedSTEmbeddings, type MedSTMaskedLanguageConfig, type MedSTPreset, type MedSTReconstructionConfig } from './medst.ts';
export { SupervisedClassifier, supervisedTargets, type SupervisedConfig } from './supervised.ts';
export { createMethod, methodAs, methodNames, methodRules, methodSchedule, registerMethod, restoreMethod, type MethodBuildOptions, type MethodEntry } from './registry.ts';
export { PRIOR_LOSS_NAMES, PRIOR_PRESETS, PRIOR_SCHEDULE, PRIOR_SCHEDULE_RULES, Prior, checkPriorConfig, priorConfig, type PriorConfig, type PriorConfigInput, type PriorPreset } from './prior.ts';
export { IMITATE_PRESETS, IMITATE_SCHEDULE, IMITATE_SCHEDULE_RULES, Imitate, checkImitateConfig, imitateConfig, type ImitateConfig, type ImitateConfigInput, type ImitatePreset } from './imitate.ts';
export { MPMA_LOSS_NAMES, MPMA_PRESETS, MPMA_SCHEDULE, MPMA_SCHEDULE_RULES, Mpma, checkMpmaConfig, mpmaConfig, type MpmaConfig, type MpmaConfigInput, type MpmaPreset, type MpmaReconstruction } from './mpma.ts';
