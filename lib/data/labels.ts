/**
 * The 14 CheXpert-style observation labels shared by CheXpert and the MIMIC-CXR
 * `-chexpert.csv` / `-negbio.csv` label files, and their tri-state values.
 */
import type { CsvRecord } from './csv.ts';

/** The 14 labels, in CheXpert `train.csv` column order. */
export const CHEXPERT_LABELS = [
  'No Finding',
  'Enlarged Cardiomediastinum',
  'Cardiomegaly',
  'Lung Opacity',
  'Lung Lesion',
  'Edema',
  'Consolidation',
  'Pneumonia',
  'Atelectasis',
  'Pneumothorax',
  'Pleural Effusion',
  'Pleural Other',
  'Fracture',
  'Support Devices',
] as const;

/** One of the 14 observation names. */
export type ChexpertLabel = (typeof CHEXPERT_LABELS)[number];

/** The 5 CheXpert competition labels. */
export const CHEXPERT_COMPETITION_LABELS = [
  'Atelectasis',
  'Cardiomegaly',
  'Consolidation',
  'Edema',
  'Pleural Effusion',
] as const satisfies readonly ChexpertLabel[];

/** One of the 5 competition labels. */
export type ChexpertCompetitionLabel = (typeof CHEXPERT_COMPETITION_LABELS)[number];

/** A label as written in the file: positive 1, negative 0, uncertain -1, blank (not mentioned) null. */
export type TriStateLabel = 1 | 0 | -1 | null;

/** All 14 labels of one image or study. */
export type ChexpertLabelValues = Record<ChexpertLabel, TriStateLabel>;

/**
 * Read one tri-state label field: `1`, `1.0`, `0`, `0.0`, `-1`, `-1.0` or blank.
 * @throws DataError 'bad-value' for anything else.
 */
export function readTriStateLabel(record: CsvRecord, column: string): TriStateLabel {
  const text = record.text(column);
  if (text === '') return null;
  const value = Number(text);
  if (/^-?\d+(\.0*)?$/.test(text)) {
    if (value === 1 || value === -1) return value;
    if (value === 0) return 0; // also maps "-0.0" to 0
  }
  throw record.error('bad-value', `expected 1, 0, -1 or blank, got "${text}"`, column);
}

/** Read all 14 label columns of a record. */
export function readChexpertLabelValues(record: CsvRecord): ChexpertLabelValues {
  const labels = {} as ChexpertLabelValues;
  for (const label of CHEXPERT_LABELS) labels[label] = readTriStateLabel(record, label);
  return labels;
}
