/**
 * COVIDx `train.txt` / `test.txt`: no header, one image per line,
 * space separated `patient_id filename class data_source`.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DataError, DataIssues, catchRecordError } from './errors.ts';

/** Class names: three-way (older releases) or binary (newer releases). */
export const COVIDX_CLASSES = ['normal', 'pneumonia', 'COVID-19', 'positive', 'negative'] as const;

/** One COVIDx class name as written. */
export type CovidxClass = (typeof COVIDX_CLASSES)[number];

/** One line of a COVIDx split file. */
export interface CovidxRecord {
  patientId: string;
  filename: string;
  label: CovidxClass;
  dataSource: string;
  /** 1-based line in the file. */
  line: number;
}

/** Options for the COVIDx reader. */
export interface CovidxReadOptions {
  issues?: DataIssues;
  /** Name used in messages (default: the file's base name). */
  displayName?: string;
}

/** Whether a class means COVID-19 (`COVID-19` or `positive`). */
export function isCovidPositive(label: CovidxClass): boolean {
  return label === 'COVID-19' || label === 'positive';
}

/**
 * Parse COVIDx split text. Blank lines are ignored; a line without exactly 4
 * fields or with an unknown class is reported as 'bad-line' (skipped, or
 * thrown in strict mode) with the file and line number.
 */
export function parseCovidxText(text: string, file: string, options: CovidxReadOptions = {}): { rows: CovidxRecord[]; issues: DataIssues } {
  const issues = options.issues ?? new DataIssues();
  const rows: CovidxRecord[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    if (rawLine.trim() === '') return;
    const record = catchRecordError(issues, () => {
      const fields = rawLine.trim().split(/\s+/);
      if (fields.length !== 4) {
        throw new DataError('bad-line', `expected 4 space-separated fields (patient_id filename class data_source), got ${fields.length}`, { file, line });
      }
      const [patientId, filename, label, dataSource] = fields as [string, string, string, string];
      if (!(COVIDX_CLASSES as readonly string[]).includes(label)) {
        throw new DataError('bad-line', `unknown class "${label}" (expected ${COVIDX_CLASSES.join('|')})`, { file, line, field: 'class' });
      }
      return { patientId, filename, label: label as CovidxClass, dataSource, line };
    });
    if (record !== null) rows.push(record);
  });
  return { rows, issues };
}

/** Read a COVIDx `train.txt` / `test.txt` file (see `parseCovidxText`). */
export function readCovidx(path: string, options: CovidxReadOptions = {}): { rows: CovidxRecord[]; issues: DataIssues } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DataError('bad-file', `cannot read file: ${(error as Error).message}`, { file: path });
  }
  return parseCovidxText(text, options.displayName ?? basename(path), options);
}
