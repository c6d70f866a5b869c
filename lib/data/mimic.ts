/**
 * MIMIC-CXR-JPG 2.0.0 tables: image metadata, the official split, and the
 * CheXpert/NegBIO label files; file paths from ids; view classification;
 * study timestamps; per-study frontal/lateral pairing (methods §1.6).
 */
import { DataIssues } from './errors.ts';
import { readCsvFile, type CsvReadOptions, type CsvReadResult, type CsvRecord } from './csv.ts';
import { CHEXPERT_LABELS, readChexpertLabelValues, type ChexpertLabelValues } from './labels.ts';

/** How an image is used: frontal (PA/AP), lateral (LL/LATERAL) or anything else. */
export type ViewKind = 'frontal' | 'lateral' | 'other';

const FRONTAL_POSITIONS = new Set(['PA', 'AP']);
const LATERAL_POSITIONS = new Set(['LL', 'LATERAL']);
// ViewPosition values seen in MIMIC-CXR that are neither frontal nor lateral by the §1.6 rule.
const KNOWN_OTHER_POSITIONS = new Set([
  'AP AXIAL', 'PA LLD', 'AP LLD', 'AP RLD', 'PA RLD', 'LAO', 'RAO', 'LPO', 'RPO',
  'XTABLE LATERAL', 'SWIMMERS', 'LEFT LATERAL', 'RL',
]);

/**
 * Classify a DICOM ViewPosition (trimmed, case-insensitive).
 * @returns the kind, and `known: false` for a value outside the known vocabulary
 *   (it is still classed 'other'; readers report it as an 'unknown-view' issue).
 */
export function classifyViewPosition(viewPosition: string | null | undefined): { view: ViewKind; known: boolean } {
  const value = (viewPosition ?? '').trim().toUpperCase();
  if (value === '') return { view: 'other', known: true };
  if (FRONTAL_POSITIONS.has(value)) return { view: 'frontal', known: true };
  if (LATERAL_POSITIONS.has(value)) return { view: 'lateral', known: true };
  return { view: 'other', known: KNOWN_OTHER_POSITIONS.has(value) };
}

/**
 * Turn StudyDate `YYYYMMDD` and StudyTime `HHMMSS.fff` into milliseconds since
 * 1970 (UTC), a number that sorts studies in time. StudyTime may have lost its
 * leading zeros (`84512.5` = 08:45:12.5) or its fraction (`084512`).
 * MIMIC shifts years into the future (e.g. 2180); that is fine for ordering.
 * @throws RangeError with the reason for malformed or out-of-range values.
 */
export function parseStudyTimestamp(studyDate: string, studyTime: string): number {
  const date = studyDate.trim();
  const dateMatch = /^(\d{4})(\d{2})(\d{2})$/.exec(date);
  if (!dateMatch) throw new RangeError(`StudyDate must be YYYYMMDD, got "${studyDate}"`);
  const [year, month, day] = [Number(dateMatch[1]), Number(dateMatch[2]), Number(dateMatch[3])];
  const time = studyTime.trim();
  const timeMatch = /^(\d{1,6})(?:\.(\d*))?$/.exec(time);
  if (!timeMatch) throw new RangeError(`StudyTime must be HHMMSS[.fff], got "${studyTime}"`);
  const clock = timeMatch[1]!.padStart(6, '0');
  const [hours, minutes, seconds] = [Number(clock.slice(0, 2)), Number(clock.slice(2, 4)), Number(clock.slice(4, 6))];
  const milliseconds = Math.round(Number(`0.${timeMatch[2] ?? ''}0`) * 1000);
  if (hours > 23 || minutes > 59 || seconds > 59) throw new RangeError(`StudyTime out of range: "${studyTime}"`);
  const stamp = Date.UTC(year, month - 1, day, hours, minutes, seconds, milliseconds);
  const check = new Date(stamp);
  // Date.UTC silently rolls 20190230 over into March; refuse such dates.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new RangeError(`StudyDate is not a calendar date: "${studyDate}"`);
  }
  return stamp;
}

/** The `pNN` folder of a subject: `p` + the first two digits of the subject id. */
function subjectFolders(subjectId: number | string): string {
  const subject = String(subjectId).trim();
  if (!/^\d{2,}$/.test(subject)) throw new RangeError(`subject id must be digits, got "${subjectId}"`);
  return `files/p${subject.slice(0, 2)}/p${subject}`;
}

/**
 * Relative path of a MIMIC-CXR-JPG image, e.g.
 * `mimicImagePath(10000032, 50414267, 'abc')` → `files/p10/p10000032/s50414267/abc.jpg`.
 */
export function mimicImagePath(subjectId: number | string, studyId: number | string, dicomId: string): string {
  return `${subjectFolders(subjectId)}/s${String(studyId).trim()}/${dicomId}.jpg`;
}

/** Relative path of a MIMIC-CXR report, e.g. `files/p10/p10000032/s50414267.txt`. */
export function mimicReportPath(subjectId: number | string, studyId: number | string): string {
  return `${subjectFolders(subjectId)}/s${String(studyId).trim()}.txt`;
}

/** One row of `mimic-cxr-2.0.0-metadata.csv`. */
export interface MimicImageRecord {
  dicomId: string;
  subjectId: number;
  studyId: number;
  /** ViewPosition as written (trimmed); null when blank. */
  viewPosition: string | null;
  /** frontal / lateral / other by the §1.6 rule. */
  view: ViewKind;
  /** Image height and width in pixels (null when the column is absent or blank). */
  rows: number | null;
  columns: number | null;
  studyDate: string;
  studyTime: string;
  /** Milliseconds since 1970 UTC from StudyDate + StudyTime; sorts studies in time. */
  timestamp: number;
  performedProcedureStepDescription: string | null;
  procedureCodeMeaning: string | null;
  viewCodeMeaning: string | null;
  patientOrientationCodeMeaning: string | null;
  /** Where the row is in the metadata file (1-based data row, header excluded; physical line). */
  source: { row: number; line: number };
}

const METADATA_COLUMNS = ['dicom_id', 'subject_id', 'study_id', 'ViewPosition', 'StudyDate', 'StudyTime'];

/**
 * Read `mimic-cxr-2.0.0-metadata.csv`.
 * Problems: a bad id, date or time skips the row ('bad-number' / 'bad-value');
 * an unknown ViewPosition is reported as 'unknown-view' but the row is kept as
 * view 'other' (it never enters frontal/lateral pairing).
 * @returns `{rows: MimicImageRecord[], header, issues}` in file order.
 */
export function readMimicMetadata(path: string, options: CsvReadOptions = {}): CsvReadResult<MimicImageRecord> {
  const issues = options.issues ?? new DataIssues();
  return readCsvFile(path, (record) => mimicImageFromRecord(record, issues), {
    ...options,
    issues,
    requiredColumns: [...METADATA_COLUMNS, ...(options.requiredColumns ?? [])],
  });
}

function mimicImageFromRecord(record: CsvRecord, issues: DataIssues): MimicImageRecord {
  const viewPosition = record.optionalText('ViewPosition');
  const { view, known } = classifyViewPosition(viewPosition);
  const studyDate = record.text('StudyDate');
  const studyTime = record.text('StudyTime');
  let timestamp: number;
  try {
    timestamp = parseStudyTimestamp(studyDate, studyTime);
  } catch (error) {
    const field = /StudyTime/.test((error as Error).message) ? 'StudyTime' : 'StudyDate';
    throw record.error('bad-value', (error as Error).message, field);
  }
  const image: MimicImageRecord = {
    dicomId: record.text('dicom_id'),
    subjectId: record.int('subject_id'),
    studyId: record.int('study_id'),
    viewPosition,
    view,
    rows: record.optionalInt('Rows'),
    columns: record.optionalInt('Columns'),
    studyDate,
    studyTime,
    timestamp,
    performedProcedureStepDescription: record.optionalText('PerformedProcedureStepDescription'),
    procedureCodeMeaning: record.optionalText('ProcedureCodeSequence_CodeMeaning'),
    viewCodeMeaning: record.optionalText('ViewCodeSequence_CodeMeaning'),
    patientOrientationCodeMeaning: record.optionalText('PatientOrientationCodeSequence_CodeMeaning'),
    source: { row: record.row, line: record.line },
  };
  if (image.dicomId === '') throw record.error('bad-value', 'blank dicom_id', 'dicom_id');
  if (!known) {
    // Reported (strict mode throws) but the row is kept: 'other' images are simply not paired.
    issues.report(record.error('unknown-view', `unknown ViewPosition "${viewPosition}"`, 'ViewPosition'));
  }
  return image;
}

/** The official split names. */
export type MimicSplit = 'train' | 'validate' | 'test';

/** One row of `mimic-cxr-2.0.0-split.csv`. */
export interface MimicSplitRecord {
  dicomId: string;
  studyId: number;
  subjectId: number;
  split: MimicSplit;
}

/** Read `mimic-cxr-2.0.0-split.csv`; an unknown split name skips the row ('bad-value'). */
export function readMimicSplit(path: string, options: CsvReadOptions = {}): CsvReadResult<MimicSplitRecord> {
  return readCsvFile(
    path,
    (record) => {
      const split = record.oneOf('split', ['train', 'validate', 'test'] as const);
      if (split === null) throw record.error('bad-value', 'blank split', 'split');
      return { dicomId: record.text('dicom_id'), studyId: record.int('study_id'), subjectId: record.int('subject_id'), split };
    },
    { ...options, requiredColumns: ['dicom_id', 'study_id', 'subject_id', 'split'] },
  );
}

/** One study of `mimic-cxr-2.0.0-chexpert.csv` or `-negbio.csv`. */
export interface MimicStudyLabels {
  subjectId: number;
  studyId: number;
  /** The 14 labels: 1 positive, 0 negative, -1 uncertain, null blank (not mentioned). */
  labels: ChexpertLabelValues;
}

/** Read `mimic-cxr-2.0.0-chexpert.csv` or `-negbio.csv`; a value other than 1/0/-1/blank skips the row. */
export function readMimicLabels(path: string, options: CsvReadOptions = {}): CsvReadResult<MimicStudyLabels> {
  return readCsvFile(
    path,
    (record) => ({ subjectId: record.int('subject_id'), studyId: record.int('study_id'), labels: readChexpertLabelValues(record) }),
    { ...options, requiredColumns: ['subject_id', 'study_id', ...CHEXPERT_LABELS] },
  );
}

/** A frontal image and the lateral image that rides along with it (or null). */
export interface FrontalLateralPair<R> {
  frontal: R;
  lateral: R | null;
}

/**
 * Pair images per study (methods §1.6): every frontal image gets the first
 * lateral image of the same study in input order, or null. Several frontals of
 * a study share that lateral. 'other' views are dropped. Output follows the
 * input order of the frontal images.
 *
 * @param images Records with `studyId` and `view` (e.g. `MimicImageRecord`).
 */
export function pairFrontalLateral<R extends { studyId: number | string; view: ViewKind }>(
  images: readonly R[],
): FrontalLateralPair<R>[] {
  const firstLateralByStudy = new Map<number | string, R>();
  for (const image of images) {
    if (image.view === 'lateral' && !firstLateralByStudy.has(image.studyId)) firstLateralByStudy.set(image.studyId, image);
  }
  return images
    .filter((image) => image.view === 'frontal')
    .map((frontal) => ({ frontal, lateral: firstLateralByStudy.get(frontal.studyId) ?? null }));
}
