/**
 * MS-CXR-T temporal benchmark files: the image-pair progression labels and the
 * sentence-similarity pairs.
 */
import { readCsvFile, type CsvReadOptions, type CsvReadResult } from './csv.ts';

/** The five findings with progression labels, in file column order. */
export const MS_CXR_T_FINDINGS = ['consolidation', 'edema', 'pleural_effusion', 'pneumonia', 'pneumothorax'] as const;

/** One of the five MS-CXR-T findings. */
export type MsCxrTFinding = (typeof MS_CXR_T_FINDINGS)[number];

/** The three progression classes. */
export const PROGRESSION_CLASSES = ['improving', 'stable', 'worsening'] as const;

/** A progression label; null when the finding was not labelled for the pair. */
export type Progression = (typeof PROGRESSION_CLASSES)[number] | null;

/** One current/previous image pair of the temporal image classification CSV. */
export interface MsCxrTImagePair {
  dicomId: string;
  previousDicomId: string;
  studyId: number;
  previousStudyId: number;
  subjectId: number;
  /** Progression per finding (null = blank). */
  progression: Record<MsCxrTFinding, Progression>;
}

const IMAGE_PAIR_COLUMNS = [
  'dicom_id',
  'previous_dicom_id',
  'study_id',
  'previous_study_id',
  'subject_id',
  ...MS_CXR_T_FINDINGS.map((finding) => `${finding}_progression`),
];

/**
 * Read `MS_CXR_T_temporal_image_classification_v1.0.0.csv`.
 * A progression value other than improving/stable/worsening/blank, or a bad id,
 * skips the row ('bad-value' / 'bad-number').
 */
export function readMsCxrTImagePairs(path: string, options: CsvReadOptions = {}): CsvReadResult<MsCxrTImagePair> {
  return readCsvFile(
    path,
    (record) => {
      const progression = {} as Record<MsCxrTFinding, Progression>;
      for (const finding of MS_CXR_T_FINDINGS) {
        progression[finding] = record.oneOf(`${finding}_progression`, PROGRESSION_CLASSES);
      }
      const dicomId = record.text('dicom_id');
      const previousDicomId = record.text('previous_dicom_id');
      if (dicomId === '' || previousDicomId === '') throw record.error('bad-value', 'blank image id', dicomId === '' ? 'dicom_id' : 'previous_dicom_id');
      return {
        dicomId,
        previousDicomId,
        studyId: record.int('study_id'),
        previousStudyId: record.int('previous_study_id'),
        subjectId: record.int('subject_id'),
        progression,
      };
    },
    { ...options, requiredColumns: IMAGE_PAIR_COLUMNS },
  );
}

/** Whether a sentence pair means the same (paraphrase) or the opposite (contradiction). */
export type SentencePairCategory = 'paraphrase' | 'contradiction';

/** One pair of the MS-CXR-T sentence similarity CSV. */
export interface MsCxrTSentencePair {
  sentence1: string;
  sentence2: string;
  category: SentencePairCategory;
  /** Source subset, e.g. `RadGraph` (the evaluation subset). */
  subsetName: string;
}

/**
 * Read the MS-CXR-T sentence similarity CSV
 * (`sentence_1, sentence_2, category, subset_name`); an unknown or blank
 * category, or a blank sentence, skips the row ('bad-value').
 */
export function readMsCxrTSentencePairs(path: string, options: CsvReadOptions = {}): CsvReadResult<MsCxrTSentencePair> {
  return readCsvFile(
    path,
    (record) => {
      const category = record.oneOf('category', ['paraphrase', 'contradiction'] as const);
      if (category === null) throw record.error('bad-value', 'blank category', 'category');
      const sentence1 = record.text('sentence_1');
      const sentence2 = record.text('sentence_2');
      if (sentence1 === '' || sentence2 === '') {
        throw record.error('bad-value', 'blank sentence', sentence1 === '' ? 'sentence_1' : 'sentence_2');
      }
      return { sentence1, sentence2, category, subsetName: record.text('subset_name') };
    },
    { ...options, requiredColumns: ['sentence_1', 'sentence_2', 'category', 'subset_name'] },
  );
}
