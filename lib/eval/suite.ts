/**
 * Every downstream evaluation of a frozen model on a synthetic cohort (or a real
 * dataset in the same layouts): temporal image classification (MS-CXR-T CSV),
 * temporal sentence similarity, zero-shot pneumonia and 5-class, linear probes at
 * 1/10/100 % labels, retrieval and pneumothorax segmentation. Returns headline
 * numbers for tables and the full results for plots and error analysis.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CHEXPERT_COMPETITION_LABELS } from '../data/labels.ts';
import type { ManifestRecord } from '../data/manifest.ts';
import { imageStoreDir } from '../data/prepare.ts';
import { readMsCxrTSentencePairs } from '../data/ms_cxr_t.ts';
import { decodeSiimMasks, readSiimRle } from '../data/rle.ts';
import { embedRecords, embedTexts, patchFeatures, type FrozenModel, type RecordEmbeddings } from './embed.ts';
import { evaluateImageFeatures, type ImageEvaluationOptions, type MetricValue } from './image_evaluation.ts';
import { selectRows, type Matrix } from './matrix.ts';
import { retrieval, type RetrievalResult } from './retrieval.ts';
import { balancedSegmentationRows, evaluateSegmentation, maskPresence, selectMasks, type MaskStack, type PatchGrid, type SegmentationResult } from './segmentation.ts';
import { sentenceSimilarity, type SentenceSimilarityResult } from './sentence_similarity.ts';
import type { TemporalCvResult, TemporalSplitResult } from './temporal_classification.ts';
import { zeroShotBinary, zeroShotMultiClass, type ZeroShotBinaryResult, type ZeroShotMultiClassResult } from './zero_shot.ts';

/** Where the data is. */
export interface SuiteData {
  /** The cohort root (MS-CXR-T CSVs, train-rle.csv). */
  cohortDir: string;
  /** The prepared folder (manifest + image store). */
  preparedDir: string;
  imageSize: number;
  records: readonly ManifestRecord[];
}

/** How much work: `quick` shrinks folds, seeds and decoder training for CI; `temporalCvRepeats` sets the temporal cross-validation's shuffles. */
export type SuiteOptions = Pick<ImageEvaluationOptions, 'quick' | 'temporalCvRepeats'>;

/** One value (with its evaluation-set size) per headline metric: the table's columns. */
export type Headline = Record<string, MetricValue>;

export interface SuiteResult {
  headline: Headline;
  temporalCv: TemporalCvResult | null;
  temporalSplit: TemporalSplitResult | null;
  sentence: SentenceSimilarityResult | null;
  zeroShotPneumonia: ZeroShotBinaryResult | null;
  zeroShotFiveClass: ZeroShotMultiClassResult | null;
  retrieval: RetrievalResult;
  /** Dice per test image, and which test images have a pneumothorax. */
  segmentation: (SegmentationResult & { positive: boolean[] }) | null;
}

/** The headline metrics, in table order, with how each is read. */
export const HEADLINE_METRICS: ReadonlyArray<{ key: string; label: string }> = [
  { key: 'temporal_macro_acc', label: 'Temporal cls. macro acc (balanced, fixed split)' },
  { key: 'temporal_acc', label: 'Temporal cls. acc (fixed split)' },
  { key: 'temporal_cv_acc', label: 'Temporal cls. acc (5-fold CV by patient)' },
  { key: 'sentence_auroc', label: 'Temporal sentence sim. ROC-AUC' },
  { key: 'zeroshot_pneumonia_auroc', label: 'Zero-shot pneumonia ROC-AUC' },
  { key: 'zeroshot_5class_acc', label: 'Zero-shot 5-class acc' },
  { key: 'probe_auroc_1', label: 'Linear probe AUROC 1%' },
  { key: 'probe_auroc_10', label: 'Linear probe AUROC 10%' },
  { key: 'probe_auroc_100', label: 'Linear probe AUROC 100%' },
  { key: 'i2t_r5', label: 'Image→text R@5' },
  { key: 't2i_r5', label: 'Text→image R@5' },
  { key: 'seg_dice', label: 'Pneumothorax seg. Dice (all test images)' },
  { key: 'seg_dice_pos', label: 'Pneumothorax seg. Dice (images with pneumothorax)' },
];

export const PNEUMONIA_PROMPTS = {
  positive: ['pneumonia', 'findings consistent with pneumonia', 'right lower lobe pneumonia', 'left lower lobe pneumonia', 'multifocal pneumonia'],
  negative: ['no pneumonia', 'the lungs are clear', 'no focal consolidation', 'no acute cardiopulmonary process', 'no evidence of pneumonia'],
};
const FIVE_CLASS_PROMPTS: Record<string, string[]> = {
  Atelectasis: ['atelectasis', 'bibasilar atelectasis', 'linear atelectasis at the lung base'],
  Cardiomegaly: ['cardiomegaly', 'the heart is enlarged', 'moderate cardiomegaly'],
  Consolidation: ['consolidation', 'lobar consolidation', 'focal consolidative opacity'],
  Edema: ['pulmonary edema', 'interstitial edema', 'moderate pulmonary edema'],
  'Pleural Effusion': ['pleural effusion', 'small pleural effusion', 'moderate pleural effusion with meniscus'],
};

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN);

/** Runs every evaluation that the data supports. */
export async function evaluateSuite(model: FrozenModel, data: SuiteData, options: SuiteOptions = {}): Promise<SuiteResult> {
  const quick = options.quick ?? false;
  const storeDir = imageStoreDir(data.preparedDir, data.imageSize);
  const records = [...data.records];
  const emb = await embedRecords(model, storeDir, records);
  const rowOf = new Map(emb.ids.map((id, i) => [id, i]));
  // Probes and temporal classification read the encoder's features (as MGCA and Med-ST do).
  const imageOnly = evaluateImageFeatures(emb.imageFeatures, records, data.cohortDir, options);
  const headline: Headline = { ...imageOnly.metrics };
  const { temporalCv, temporalSplit } = imageOnly;

  // Temporal sentence similarity (RadGraph subset as in the paper, all pairs if it is empty).
  let sentence: SentenceSimilarityResult | null = null;
  const sentencesFile = path.join(data.cohortDir, 'MS_CXR_T_temporal_sentence_similarity_v1.0.0.csv');
  if (fs.existsSync(sentencesFile)) {
    const all = readMsCxrTSentencePairs(sentencesFile).rows;
    const radgraph = all.filter((p) => p.subsetName === 'RadGraph');
    const pairs = radgraph.length >= 10 ? radgraph : all;
    if (pairs.length >= 10) {
      sentence = sentenceSimilarity(embedTexts(model, pairs.map((p) => p.sentence1)), embedTexts(model, pairs.map((p) => p.sentence2)), pairs.map((p) => (p.category === 'paraphrase' ? 1 : 0)), { folds: quick ? 3 : 5, seeds: quick ? [0] : [0, 1, 2] });
      headline.sentence_auroc = { value: sentence.rocAuc, n: pairs.length };
    }
  }

  const evalRecords = records.filter((r) => r.split !== 'train');
  const evalRows = evalRecords.map((r) => rowOf.get(r.id)!);
  const evalImages = selectRows(emb.image, evalRows);

  // Zero-shot pneumonia (binary) and 5-class (images with exactly one competition finding).
  const zeroShotPneumonia = zeroShotFromLabels(model, evalImages, evalRecords);
  if (zeroShotPneumonia) headline.zeroshot_pneumonia_auroc = { value: zeroShotPneumonia.rocAuc, n: evalRecords.length };
  const zeroShotFiveClass = zeroShotFive(model, emb, evalRecords, rowOf);
  if (zeroShotFiveClass) headline.zeroshot_5class_acc = { value: zeroShotFiveClass.accuracy, n: zeroShotFiveClass.predicted.length };

  // Retrieval on the evaluation split; identical report texts count as correct.
  const retrievalResult = retrieval(evalImages, selectRows(emb.text, evalRows), { reportTexts: evalRecords.map((r) => r.report.text) });
  headline.i2t_r5 = { value: recallAt(retrievalResult.imageToText, 5), n: evalRecords.length };
  headline.t2i_r5 = { value: recallAt(retrievalResult.textToImage, 5), n: evalRecords.length };

  // Pneumothorax segmentation from SIIM-style masks.
  const segmentation = await segmentPneumothorax(model, data, storeDir, quick);
  if (segmentation) {
    headline.seg_dice = { value: segmentation.summary.mean, n: segmentation.dice.length };
    // Empty-on-empty counts 1, so the mean over all images flatters a decoder that predicts nothing.
    const positives = segmentation.dice.filter((_, i) => segmentation.positive[i]);
    headline.seg_dice_pos = { value: mean(positives), n: positives.length };
  }

  return { headline, temporalCv, temporalSplit, sentence, zeroShotPneumonia, zeroShotFiveClass, retrieval: retrievalResult, segmentation };
}

function recallAt(result: RetrievalResult['imageToText'], k: number): number {
  return result.recall[k] ?? Number.NaN;
}

function zeroShotFromLabels(model: FrozenModel, images: Matrix, records: ManifestRecord[]): ZeroShotBinaryResult | null {
  const labels = records.map((r) => (r.labels?.Pneumonia === 1 ? 1 : 0));
  if (!labels.includes(1) || !labels.includes(0)) return null;
  return zeroShotBinary(images, { negative: embedTexts(model, PNEUMONIA_PROMPTS.negative), positive: embedTexts(model, PNEUMONIA_PROMPTS.positive) }, labels);
}

function zeroShotFive(model: FrozenModel, emb: RecordEmbeddings, records: ManifestRecord[], rowOf: Map<string, number>): ZeroShotMultiClassResult | null {
  const chosen: Array<{ row: number; label: number }> = [];
  for (const r of records) {
    const positives = CHEXPERT_COMPETITION_LABELS.map((l, i) => (r.labels?.[l] === 1 ? i : -1)).filter((i) => i >= 0);
    if (positives.length === 1) chosen.push({ row: rowOf.get(r.id)!, label: positives[0]! });
  }
  if (new Set(chosen.map((c) => c.label)).size < 2) return null;
  const prompts = CHEXPERT_COMPETITION_LABELS.map((l) => embedTexts(model, FIVE_CLASS_PROMPTS[l]!));
  return zeroShotMultiClass(selectRows(emb.image, chosen.map((c) => c.row)), prompts, chosen.map((c) => c.label));
}

/** The pneumothorax task of a cohort: frontal records with SIIM-style masks, centre-cropped like the images. */
export interface PneumothoraxTask {
  train: readonly ManifestRecord[];
  test: readonly ManifestRecord[];
  trainMasks: MaskStack;
  testMasks: MaskStack;
}

/** Reads `train-rle.csv` of the cohort (null without it, or with too few images to train and test). */
export function pneumothoraxTask(data: SuiteData, crop: number): PneumothoraxTask | null {
  const rleFile = path.join(data.cohortDir, 'train-rle.csv');
  if (!fs.existsSync(rleFile)) return null;
  const size = readImageSide(data);
  // The synthetic RLEs are over the cohort's own image size (square), not 1024.
  const images = readSiimRle(rleFile, { width: size, height: size }).images;
  const masksById = new Map(images.map((image) => [image.imageId, decodeSiimMasks(image.rles, size, size).data] as const));
  const records = data.records.filter((r) => masksById.has(r.id));
  const train = records.filter((r) => r.split === 'train');
  const test = records.filter((r) => r.split !== 'train');
  if (train.length < 4 || test.length < 2) return null;
  const stack = (rs: readonly ManifestRecord[]): MaskStack => {
    const out = new Uint8Array(rs.length * crop * crop);
    rs.forEach((r, n) => out.set(maskToCrop(masksById.get(r.id)!, size, data.imageSize, crop), n * crop * crop));
    return { data: out, count: rs.length, height: crop, width: crop };
  };
  return { train, test, trainMasks: stack(train), testMasks: stack(test) };
}

/** Frozen patch tokens of records' frontal images as the segmentation decoder takes them. */
export async function patchGrid(model: FrozenModel, storeDir: string, records: readonly ManifestRecord[]): Promise<PatchGrid> {
  const f = await patchFeatures(model, storeDir, records);
  return { data: f.features, count: records.length, grid: f.grid, dim: f.width };
}

async function segmentPneumothorax(model: FrozenModel, data: SuiteData, storeDir: string, quick: boolean): Promise<(SegmentationResult & { positive: boolean[] }) | null> {
  const task = pneumothoraxTask(data, model.crop);
  if (!task) return null;
  // MGCA's protocol: the decoder trains on every image with a pneumothorax and as many without.
  const trainPositive = maskPresence(task.trainMasks);
  if (!trainPositive.includes(true)) return null; // nothing to learn a mask from
  const rows = balancedSegmentationRows(trainPositive, 0);
  const train = { features: await patchGrid(model, storeDir, rows.map((i) => task.train[i]!)), masks: selectMasks(task.trainMasks, rows) };
  const positive = maskPresence(task.testMasks);
  const result = await evaluateSegmentation(train, { features: await patchGrid(model, storeDir, task.test), masks: task.testMasks }, { steps: quick ? 40 : 300 });
  return { ...result, positive };
}

/** The cohort's image side (square images: Rows of the metadata). */
function readImageSide(data: SuiteData): number {
  const meta = fs.readFileSync(path.join(data.cohortDir, 'mimic-cxr-2.0.0-metadata.csv'), 'utf8').split('\n');
  const header = meta[0]!.split(',');
  const rows = Number(meta[1]!.split(',')[header.indexOf('Rows')]);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`${data.cohortDir}: cannot read the image size from the metadata`);
  return rows;
}

/** A mask at the original square resolution → the stored S×S frame → the centre C×C crop (nearest neighbour). */
function maskToCrop(mask: Uint8Array, original: number, stored: number, crop: number): Uint8Array {
  const out = new Uint8Array(crop * crop);
  const offset = Math.round((stored - crop) / 2);
  for (let y = 0; y < crop; y++) {
    const sy = Math.min(original - 1, Math.floor(((y + offset + 0.5) * original) / stored));
    for (let x = 0; x < crop; x++) {
      const sx = Math.min(original - 1, Math.floor(((x + offset + 0.5) * original) / stored));
      out[y * crop + x] = mask[sy * original + sx]! > 0 ? 1 : 0;
    }
  }
  return out;
}
