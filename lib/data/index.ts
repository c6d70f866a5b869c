/** Dataset readers for the published layouts (re-exported by lib/index.ts). */
export { DataError, DataIssues, catchRecordError } from './errors.ts';
export type { DataIssueKind, DataLocation, DataIssuesOptions } from './errors.ts';
export { CsvRecord, parseCsvText, readCsvFile, streamCsvFile } from './csv.ts';
export type { CsvReadOptions, CsvReadResult, CsvRecordMapper } from './csv.ts';
export { formatCsvField, formatCsv, writeCsvAtomic } from './csv_writer.ts';
export type { CsvCell } from './csv_writer.ts';
export {
  CHEXPERT_LABELS,
  CHEXPERT_COMPETITION_LABELS,
  readTriStateLabel,
  readChexpertLabelValues,
} from './labels.ts';
export type { ChexpertLabel, ChexpertCompetitionLabel, TriStateLabel, ChexpertLabelValues } from './labels.ts';
export {
  classifyViewPosition,
  parseStudyTimestamp,
  mimicImagePath,
  mimicReportPath,
  readMimicMetadata,
  readMimicSplit,
  readMimicLabels,
  pairFrontalLateral,
} from './mimic.ts';
export type { ViewKind, MimicImageRecord, MimicSplit, MimicSplitRecord, MimicStudyLabels, FrontalLateralPair } from './mimic.ts';
export {
  DEID_TOKEN,
  sectionReport,
  normaliseDeidentification,
  splitSentences,
  tokenizeWords,
  cleanReportText,
  cleanSectionedReport,
  readReportFile,
} from './report.ts';
export type { ReportSection, SectionedReport, CleanedReport, CleanReportOptions, ReportFile } from './report.ts';
export { readIuReports, cleanIuReport } from './iu_xray.ts';
export type { IuReportRecord } from './iu_xray.ts';
export { MS_CXR_T_FINDINGS, PROGRESSION_CLASSES, readMsCxrTImagePairs, readMsCxrTSentencePairs } from './ms_cxr_t.ts';
export type { MsCxrTFinding, Progression, MsCxrTImagePair, SentencePairCategory, MsCxrTSentencePair } from './ms_cxr_t.ts';
export {
  readChexpertCsv,
  DEFAULT_UNCERTAINTY_POLICY,
  binarizeChexpertLabels,
  isChexpert5x200Eligible,
  selectChexpert5x200,
} from './chexpert.ts';
export type {
  ChexpertImageRecord,
  UncertaintyPolicy,
  BinaryTarget,
  BinarizeOptions,
  Chexpert5x200Options,
  Chexpert5x200Selection,
} from './chexpert.ts';
export { readRsnaLabels, boxesToMask } from './rsna.ts';
export { NIH_LABELS, readNihDataEntry, readNihOfficialSplit, nihPatientSplit, nihProbeTargets } from './nih.ts';
export type { NihLabel, NihImageRecord, NihSplit } from './nih.ts';
export type { PixelBox, RsnaImageLabels, RsnaLabelsResult, BoxMaskOptions } from './rsna.ts';
export { parseSiimRleRuns, decodeSiimRle, encodeSiimRle, readSiimRle, decodeSiimMasks } from './rle.ts';
export type { BinaryMask, RleLocation, SiimRleImage } from './rle.ts';
export { COVIDX_CLASSES, isCovidPositive, parseCovidxText, readCovidx } from './covidx.ts';
export type { CovidxClass, CovidxRecord, CovidxReadOptions } from './covidx.ts';
export { rgbToLuminance } from './gray_image.ts';
export type { GrayImage8 } from './gray_image.ts';
export { readDicomInfo, storedValuesToGray8, decodeDicom, readDicom } from './dicom.ts';
export type { DicomImageInfo, DicomReadOptions, DicomImage } from './dicom.ts';
export { hasDicomMagic, decodeRasterGray8, readGrayImage } from './image_io.ts';
export { letterboxGeometry, areaResize, resizeAndPad, preprocessImage } from './preprocess.ts';
export type { LetterboxGeometry, PreprocessOptions, PreprocessInput } from './preprocess.ts';
export { IMAGE_STORE_FILES, ImageStoreWriter, ImageStore } from './image_store.ts';
export type { ImageStoreWriterOptions, ImageStoreReadOptions } from './image_store.ts';
export { unitScaleTable, centreCropOffset, randomCropOffset, cropToUnit, cropBatch, randomCropBatch, centreCropBatch } from './augment.ts';
export type { CropOffset } from './augment.ts';
export { MANIFEST_RECORDS_FILE, MANIFEST_INFO_FILE, writeManifest, readManifest, recordsOfSplit } from './manifest.ts';
export type { ManifestRecord, ManifestLateral, ManifestReport, ManifestInfo } from './manifest.ts';
export { settleRowLedger, inShard } from './mimic_manifest.ts';
export type { ShardSpec, MimicManifestBuild } from './mimic_manifest.ts';
export { RowLedger, formatRowAccount } from './metadata_rows.ts';
export type { RowAccount, RowDropReason, DroppedRow } from './metadata_rows.ts';
export { buildMimicManifest, MIMIC_METADATA_FILE, MIMIC_SPLIT_FILE, MIMIC_CHEXPERT_FILE, MIMIC_NEGBIO_FILE } from './mimic_manifest.ts';
export type { BuildMimicManifestOptions } from './mimic_manifest.ts';
export { prepareDataset, mergePreparedShards, imageStoreDir, PREPARE_LOCK_FILE } from './prepare.ts';
export { defaultPrepareConcurrency } from './prepare_concurrency.ts';
export type { PrepareOptions, PrepareResult, MergeShardsOptions } from './prepare.ts';
export { compareSteps, patientSequences, chunkSequences, chunkStats } from './sequences.ts';
export type { SequenceItem, Chunk, ChunkStats } from './sequences.ts';
export { planBatches } from './batch_plan.ts';
export type { BatchPlanOptions, PlannedBatch } from './batch_plan.ts';
export { assembleImageBatch, cropSeedOf } from './batch_images.ts';
export type { ImageBatch, ImageBatchRequest } from './batch_images.ts';
export { BatchLoader, toTensors } from './batches.ts';
export { sentenceCounts, sentenceIdsOf, sentenceTokensOf, type SentenceTokens } from './sentence_ids.ts';
export type { BatchLoaderConfig, HostBatch, SectionRows, TensorBatch } from './batches.ts';
export { cleanedSections, type CleanedSections } from './report_sections.ts';
export { IMITATE_VIEW_AUGMENT, MILD_VIEW_AUGMENT, augmentView, autocontrast, drawGeometry, homography, rotationAbout, type ViewAugmentConfig } from './view_augment.ts';
export * from './tokenizer/index.ts';
