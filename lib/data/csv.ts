/**
 * CSV reading into typed records (records split by csv_records.ts, which
 * confines a broken quote to its own line). Writing lives in csv_writer.ts.
 *
 * Readers pass a `mapRecord` function that pulls typed fields out of a
 * `CsvRecord`; a field that does not parse throws a `DataError` naming file,
 * row and field, which the issue collector counts (the record is skipped) or
 * throws (strict mode).
 */
import { createReadStream, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { CsvRecordSplitter, type CsvSplitEvent } from './csv_records.ts';
import { DataError, DataIssues, type DataIssueKind } from './errors.ts';

/** Options shared by the CSV readers. */
export interface CsvReadOptions {
  /** Where problems go; a fresh default (skip-and-count) collector when absent. */
  issues?: DataIssues;
  /** Columns that must be present in the header (after trimming names). */
  requiredColumns?: readonly string[];
  /** Field delimiter (default ','). */
  delimiter?: string;
  /** Name used in messages (default: the file's base name). */
  displayName?: string;
}

/** Result of a CSV read: the trimmed header, the typed rows kept, and the issues seen. */
export interface CsvReadResult<T> {
  file: string;
  header: string[];
  rows: T[];
  /** Data rows in the file (header excluded), readable or not. */
  rowCount: number;
  /** The rows that a problem cost (not those `mapRecord` dropped by returning null), in file order. */
  skipped: DataError[];
  issues: DataIssues;
}

/** Maps one record to a typed row; return null to drop it silently, throw DataError to report it. */
export type CsvRecordMapper<T> = (record: CsvRecord) => T | null;

const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// Integers are sometimes written as floats by pandas ("68.0"); accept a zero fraction.
const INTEGER_PATTERN = /^[+-]?\d+(\.0*)?$/;

/** One data record with typed accessors that throw located `DataError`s. */
export class CsvRecord {
  constructor(
    /** File name used in messages. */
    readonly file: string,
    /** 1-based data row (the header is not counted). */
    readonly row: number,
    /** 1-based line where the record ends (the header is line 1). */
    readonly line: number,
    private readonly columnIndex: ReadonlyMap<string, number>,
    /** Raw field values in file order. */
    readonly values: readonly string[],
  ) {}

  /** A DataError located at this record (and `field` when given). */
  error(kind: DataIssueKind, detail: string, field?: string): DataError {
    return new DataError(kind, detail, { file: this.file, row: this.row, line: this.line, field });
  }

  /** True if the header has this column. */
  has(column: string): boolean {
    return this.columnIndex.has(column);
  }

  /** The untouched field value ('' for a column the header lacks). */
  raw(column: string): string {
    const index = this.columnIndex.get(column);
    return index === undefined ? '' : (this.values[index] ?? '');
  }

  /** The trimmed field value. */
  text(column: string): string {
    return this.raw(column).trim();
  }

  /** The trimmed value, or null when blank. */
  optionalText(column: string): string | null {
    const value = this.text(column);
    return value === '' ? null : value;
  }

  /** A required integer; throws 'bad-number' for blank or non-integer text. */
  int(column: string): number {
    const value = this.optionalInt(column);
    if (value === null) throw this.error('bad-number', 'expected an integer, got a blank', column);
    return value;
  }

  /** An integer or null when blank; throws 'bad-number' for non-integer text. */
  optionalInt(column: string): number | null {
    const value = this.text(column);
    if (value === '') return null;
    if (!INTEGER_PATTERN.test(value)) throw this.error('bad-number', `expected an integer, got "${value}"`, column);
    return Number.parseInt(value, 10);
  }

  /** A required finite number; throws 'bad-number' for blank or non-numeric text. */
  float(column: string): number {
    const value = this.optionalFloat(column);
    if (value === null) throw this.error('bad-number', 'expected a number, got a blank', column);
    return value;
  }

  /** A finite number or null when blank; throws 'bad-number' for non-numeric text. */
  optionalFloat(column: string): number | null {
    const value = this.text(column);
    if (value === '') return null;
    if (!NUMBER_PATTERN.test(value)) throw this.error('bad-number', `expected a number, got "${value}"`, column);
    return Number(value);
  }

  /** One of `allowed` (exact match after trimming), or null when blank; else throws 'bad-value'. */
  oneOf<V extends string>(column: string, allowed: readonly V[]): V | null {
    const value = this.text(column);
    if (value === '') return null;
    if (!(allowed as readonly string[]).includes(value)) {
      throw this.error('bad-value', `expected one of ${allowed.join('|')} or blank, got "${value}"`, column);
    }
    return value as V;
  }
}

/**
 * Turns split records into typed rows: validates the header, checks field
 * counts and routes errors to the collector, in file order. Shared by the
 * sync and streaming readers.
 */
class RecordPipeline<T> {
  header: string[] | null = null;
  private columnIndex = new Map<string, number>();
  /** Data rows seen so far (the header excluded). */
  dataRow = 0;
  readonly skipped: DataError[] = [];
  private readonly splitter: CsvRecordSplitter;

  constructor(
    private readonly file: string,
    private readonly mapRecord: CsvRecordMapper<T>,
    private readonly issues: DataIssues,
    private readonly requiredColumns: readonly string[],
    delimiter: string,
  ) {
    this.splitter = new CsvRecordSplitter({ delimiter });
  }

  /** Feed one physical line; returns the typed rows it completed. */
  pushLine(line: string): T[] {
    return this.handle(this.splitter.push(line));
  }

  /** Input ended: flush an open record; an empty file has no header. */
  finish(): T[] {
    const rows = this.handle(this.splitter.end());
    if (this.header === null) throw new DataError('missing-column', 'empty file: no header row', { file: this.file });
    return rows;
  }

  private handle(events: CsvSplitEvent[]): T[] {
    const rows: T[] = [];
    for (const event of events) {
      const row = this.accept(event);
      if (row !== null) rows.push(row);
    }
    return rows;
  }

  private accept(event: CsvSplitEvent): T | null {
    if (this.header === null) {
      if (event.kind === 'error') {
        throw new DataError('malformed-row', `unreadable header: ${event.detail}`, { file: this.file, line: event.line });
      }
      this.acceptHeader(event.fields);
      return null;
    }
    // A malformed line is a row of the file too: it keeps the row numbers of the rows after it right.
    this.dataRow += 1;
    try {
      if (event.kind === 'error') throw new DataError('malformed-row', event.detail, { file: this.file, row: this.dataRow, line: event.line });
      const record = new CsvRecord(this.file, this.dataRow, event.lastLine, this.columnIndex, event.fields);
      if (event.fields.length !== this.header.length) {
        throw record.error('malformed-row', `expected ${this.header.length} fields, got ${event.fields.length}`);
      }
      return this.mapRecord(record);
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      this.issues.report(error); // throws in strict mode
      this.skipped.push(error);
      return null;
    }
  }

  private acceptHeader(values: string[]): void {
    // Trimmed names: SIIM's header is "ImageId, EncodedPixels" with a leading space.
    this.header = values.map((name) => name.trim());
    this.splitter.expectedFields = this.header.length;
    this.header.forEach((name, index) => {
      if (!this.columnIndex.has(name)) this.columnIndex.set(name, index);
    });
    for (const column of this.requiredColumns) {
      // A missing column makes the whole file unreadable: always thrown, even outside strict mode.
      if (!this.columnIndex.has(column)) {
        throw new DataError('missing-column', `missing column "${column}" (header: ${this.header.join(', ')})`, {
          file: this.file,
          field: column,
        });
      }
    }
  }
}

const BOM = '\uFEFF';

/**
 * Parse CSV text into typed rows.
 *
 * @param text CSV content (a UTF-8 BOM is ignored).
 * @param file Name used in error messages.
 * @param mapRecord Builds a typed row from a `CsvRecord`, or returns null to drop it.
 * @returns `{file, header, rows, issues}`.
 * @throws DataError 'missing-column' when a required column is absent (always), or
 *   the first problem in file order in strict mode.
 */
export function parseCsvText<T>(
  text: string,
  file: string,
  mapRecord: CsvRecordMapper<T>,
  options: CsvReadOptions = {},
): CsvReadResult<T> {
  const issues = options.issues ?? new DataIssues();
  const pipeline = new RecordPipeline(file, mapRecord, issues, options.requiredColumns ?? [], options.delimiter ?? ',');
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the final line break ends the last line
  const rows: T[] = [];
  for (const line of lines) for (const row of pipeline.pushLine(line)) rows.push(row);
  for (const row of pipeline.finish()) rows.push(row);
  return { file, header: pipeline.header!, rows, rowCount: pipeline.dataRow, skipped: pipeline.skipped, issues };
}

/**
 * Read a CSV file into typed rows (synchronously; fine for files up to a few hundred MB).
 *
 * @param path File to read.
 * @param mapRecord Builds a typed row from a `CsvRecord`.
 * @returns `{file, header, rows, issues}`.
 */
export function readCsvFile<T>(path: string, mapRecord: CsvRecordMapper<T>, options: CsvReadOptions = {}): CsvReadResult<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DataError('bad-file', `cannot read file: ${(error as Error).message}`, { file: path });
  }
  return parseCsvText(text, options.displayName ?? basename(path), mapRecord, options);
}

/**
 * Stream a CSV file record by record (for files too large to hold as text).
 * Same validation and the same rows as `readCsvFile`; issues go to `options.issues`.
 *
 * @example
 * for await (const row of streamCsvFile(path, mapRow, { requiredColumns: ['dicom_id'] })) use(row);
 */
export async function* streamCsvFile<T>(
  path: string,
  mapRecord: CsvRecordMapper<T>,
  options: CsvReadOptions = {},
): AsyncGenerator<T> {
  const issues = options.issues ?? new DataIssues();
  const file = options.displayName ?? basename(path);
  const pipeline = new RecordPipeline(file, mapRecord, issues, options.requiredColumns ?? [], options.delimiter ?? ',');
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let first = true;
  for await (const line of lines) {
    const text = first && line.startsWith(BOM) ? line.slice(1) : line;
    first = false;
    for (const row of pipeline.pushLine(text)) yield row;
  }
  for (const row of pipeline.finish()) yield row;
}
