/**
 * Downstream evaluations over frozen embeddings: embeddings in, numbers out.
 * Computing the embeddings from a checkpoint is the caller's job.
 */
export { matrix, toMatrix, toRows, rowOf, selectRows, cosineSimilarity, rowCosines, normalizeRows, normalizeMatrixRows, type Matrix, type MatrixLike } from './matrix.ts';
export { meanStd, formatMeanStd, type MeanStd } from './summary.ts';
export {
  rocAuc,
  rocAucMultiLabel,
  rocAucOvr,
  rocCurve,
  accuracy,
  balancedAccuracy,
  macroAccuracy,
  confusionMatrix,
  f1Binary,
  f1PerClass,
  macroF1,
  argmaxRows,
  type RocCurve,
  type MacroAuc,
  type AucAverageOptions,
} from './metrics.ts';
export { dice, dicePerImage } from './dice.ts';
export { recallAtK, sameIndex, sameGroup, textGroups, type Relevance, type RecallResult } from './recall.ts';
export { lbfgs, DEFAULT_LBFGS, type LbfgsOptions, type LbfgsResult, type ValueAndGradient } from './lbfgs.ts';
export {
  fitLinearProbe,
  probeScores,
  probePredict,
  probeObjective,
  probeGradient,
  probeValueAndGradient,
  rawSpaceWeights,
  resolveLinearProbeConfig,
  DEFAULT_LINEAR_PROBE,
  type LinearProbeConfig,
  type LinearProbeModel,
  type ProbeLoss,
} from './linear_probe.ts';
export { sampleFraction } from './sample_fraction.ts';
export { groupKFold, stratifiedKFold, foldRows } from './folds.ts';
export {
  crossValidateTemporal,
  fixedSplitTemporal,
  pairFeatures,
  temporalLabelsFromPairs,
  DEFAULT_TEMPORAL_EVAL,
  type TemporalPairsInput,
  type TemporalEvalConfig,
  type TemporalCvResult,
  type TemporalSplitResult,
  type TemporalFindingCvResult,
  type TemporalFindingSplitResult,
  type TemporalSeedResult,
  type TemporalFoldResult,
  type TemporalPrediction,
} from './temporal_classification.ts';
export {
  sentenceSimilarity,
  chooseThreshold,
  DEFAULT_SENTENCE_SIMILARITY,
  type SentenceSimilarityConfig,
  type SentenceSimilarityResult,
  type SentenceFoldResult,
} from './sentence_similarity.ts';
export { classEmbeddings, zeroShotBinary, zeroShotMultiClass, type ZeroShotConfig, type ZeroShotBinaryResult, type ZeroShotMultiClassResult } from './zero_shot.ts';
export { retrieval, type RetrievalConfig, type RetrievalResult } from './retrieval.ts';
export {
  SegmentationDecoder,
  segmentationLoss,
  trainSegmentationDecoder,
  predictMasks,
  evaluateSegmentation,
  patchGridFromTensor,
  DEFAULT_SEGMENTATION,
  type PatchGrid,
  type MaskStack,
  type SegmentationConfig,
  type SegmentationResult,
  type SegmentationTraining,
} from './segmentation.ts';
export { embedRecords, embedTexts, loadFrozenModel, patchFeatures, type FrozenModel, type RecordEmbeddings } from './embed.ts';
export { HEADLINE_METRICS, evaluateSuite, type Headline, type SuiteData, type SuiteOptions, type SuiteResult } from './suite.ts';
export { combineExperiments, experimentFile, medstAblation, methodAblations, methodComparison, parseExperiment, readExperiment, variantStages, type Experiment, type ExperimentStage, type ExperimentVariant } from './experiment.ts';
export {
  REFERENCE_ROWS,
  RESULTS_HTML,
  RESULTS_JSON,
  RESULTS_MARKDOWN,
  aggregate,
  comparisonReportHtml,
  learningCurveFigures,
  markdownTable,
  readComparison,
  writeComparison,
  type ComparisonResults,
  type LearningCurve,
  type ResultRow,
  type RowKind,
  type RunResult,
} from './results.ts';
export { competitionTargets, evaluateImageFeatures, temporalPairsOf, type ImageEvaluation, type ImageEvaluationOptions, type MetricValue } from './image_evaluation.ts';
export { imageFeatureMatrix, type ImageEncoderFn } from './image_features.ts';
export { fitPca, projectPca, type PcaModel, type PcaOptions } from './pca.ts';
export { downsampledPixels, rawPixelFeatures, type RawPixelOptions } from './raw_pixels.ts';
export { majorityMetrics, rawPixelMetrics } from './references.ts';
export { runComparison, runConfig, summaryLine, type ComparisonConfig } from './comparison.ts';
export { DEFAULT_FINE_TUNE, fineTuneProbe, type FineTuneConfig, type FineTuneResult } from './fine_tune.ts';
export { TEMPORAL_ERROR_TYPES, checkChoice, checkTemporalFilter, type TemporalErrorType } from './choices.ts';
