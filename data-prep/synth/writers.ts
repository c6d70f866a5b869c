/**
 * CSV layouts of the public datasets the cohort imitates (column names exactly
 * as published; see spec/data-formats.md) and a tiny RFC-4180 row writer.
 */
import { CHEXPERT_LABELS, PROGRESSION_FINDINGS, type LabelSet } from './labels.ts';

export const FILES = {
  metadata: 'mimic-cxr-2.0.0-metadata.csv',
  split: 'mimic-cxr-2.0.0-split.csv',
  chexpert: 'mimic-cxr-2.0.0-chexpert.csv',
  temporal: 'MS_CXR_T_temporal_image_classification_v1.0.0.csv',
  sentences: 'MS_CXR_T_temporal_sentence_similarity_v1.0.0.csv',
  rsna: 'stage_2_train_labels.csv',
  siim: 'train-rle.csv',
  groundTruth: 'ground_truth.jsonl',
  config: 'synth_config.json',
} as const;

export const METADATA_COLUMNS = [
  'dicom_id', 'subject_id', 'study_id', 'PerformedProcedureStepDescription', 'ViewPosition', 'Rows', 'Columns',
  'StudyDate', 'StudyTime', 'ProcedureCodeSequence_CodeMeaning', 'ViewCodeSequence_CodeMeaning',
  'PatientOrientationCodeSequence_CodeMeaning',
] as const;
export const SPLIT_COLUMNS = ['dicom_id', 'study_id', 'subject_id', 'split'] as const;
export const CHEXPERT_COLUMNS = ['subject_id', 'study_id', ...CHEXPERT_LABELS] as const;
export const TEMPORAL_COLUMNS = [
  'dicom_id', 'previous_dicom_id', 'study_id', 'previous_study_id', 'subject_id',
  ...PROGRESSION_FINDINGS.map((f) => `${f}_progression` as const),
] as const;
export const SENTENCE_COLUMNS = ['sentence_1', 'sentence_2', 'category', 'subset_name'] as const;
export const RSNA_COLUMNS = ['patientId', 'x', 'y', 'width', 'height', 'Target'] as const;
/** The SIIM header really has a space before EncodedPixels. */
export const SIIM_HEADER = 'ImageId, EncodedPixels';

export type Row = readonly (string | number)[];

function field(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(row: Row): string {
  return row.map(field).join(',');
}

/** Whole CSV text: header then rows, '\n' line ends, trailing newline. */
export function csvText(header: readonly string[] | string, rows: readonly Row[]): string {
  const head = typeof header === 'string' ? header : csvLine(header);
  return `${[head, ...rows.map(csvLine)].join('\n')}\n`;
}

/** A CheXpert value as MIMIC writes it: "1.0", "0.0", "-1.0" or blank. */
export function chexpertRow(subjectId: number, studyId: number, labels: LabelSet): Row {
  return [subjectId, studyId, ...CHEXPERT_LABELS.map((l) => {
    const v = labels[l];
    return v === undefined ? '' : v === 1 ? '1.0' : v === 0 ? '0.0' : '-1.0';
  })];
}

/** DICOM-style descriptions of a view. */
export function viewDescriptions(view: 'PA' | 'AP' | 'LATERAL' | 'LL', studyHasLateral: boolean, ap: boolean): {
  procedure: string; viewMeaning: string; orientation: string;
} {
  const procedure = ap ? 'CHEST (PORTABLE AP)' : studyHasLateral ? 'CHEST (PA AND LAT)' : 'CHEST (PA)';
  const viewMeaning = view === 'PA' ? 'postero-anterior' : view === 'AP' ? 'antero-posterior' : view === 'LL' ? 'left lateral' : 'lateral';
  return { procedure, viewMeaning, orientation: ap ? 'Recumbent' : 'Erect' };
}
