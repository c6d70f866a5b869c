/** Training objectives (losses): pure functions of tensors, one concept per file. */
export {
  DEFAULT_GLOBAL_TEMPERATURE,
  globalContrastiveLoss,
  type GlobalContrastiveOptions,
  type GlobalContrastiveOutput,
} from './global_contrastive.ts';
export {
  DEFAULT_LOCAL_TEMPERATURE,
  createLocalWeightingParams,
  localAlignmentLoss,
  type LocalAlignmentOptions,
  type LocalAlignmentOutput,
  type LocalWeightingParams,
  type WeightingLayerParams,
} from './local_alignment.ts';
export {
  DEFAULT_TEMPORAL_TEMPERATURE,
  DEFAULT_VARIANCE_LAMBDA,
  VARIANCE_EPS,
  fmcLoss,
  rmrLoss,
  temporalLoss,
  type TemporalLossOutput,
  type TemporalOptions,
  type TemporalTerms,
} from './temporal.ts';
export { L2_EPS, MASKED_LOGIT, diagonalCrossEntropy, l2Normalize, maskedLogSoftmax, maskedSoftmax, stopGradient } from './ops.ts';
export { clipLoss, sameReportContrastiveLoss, sigmoidCrossAttention, simsiamLoss } from './prior_alignment.ts';
export { assignPrototypes, gumbelNoise, prototypeLoss, type PrototypeAssignment } from './prototypes.ts';
export { optimalAssignment, sentenceReconstructionLoss, type SentenceReconstructionOutput } from './sentence_matching.ts';
export { temporalAlignmentMaps, type TemporalAlignmentMaps } from './temporal_maps.ts';
export { DEFAULT_PRIOR_RATIO, ciclLoss, clinicalSoftTargets, pearsonCorrelation, type CiclOptions } from './cicl.ts';
export { IMITATE_LOSS_DEFAULTS, IMITATE_LOSS_NAMES, imitateLossTerms, type ImitateEmbeddings, type ImitateLossConfig, type ImitateLossName } from './imitate.ts';
