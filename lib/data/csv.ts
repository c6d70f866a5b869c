/**
 * CSV reading into typed records (csv-parse). Writing lives in csv_writer.ts.
 *
 * Readers pass a `mapRecord` function that pulls typed fields out of a
 * `CsvRecord`; a field that does not parse throws a `DataError` naming file,
 * row and field, which the issue collector counts (the record is skipped) or
 * throws (strict mode).
 */
import { createReadStream, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse as parseStream, type CsvError, type Info } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { DataError, DataIssues, catchRecordError, type DataIssueKind } from './errors.ts';

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
 * Turns raw parsed records into typed rows: validates the header, checks field
 * counts and routes errors to the collector. Shared by the sync and streaming readers.
 */
class RecordPipeline<T> {
  header: string[] | null = null;
  private columnIndex = new Map<string, number>();
  private dataRow = 0;

  constructor(
    private readonly file: string,
    private readonly mapRecord: CsvRecordMapper<T>,
    private readonly issues: DataIssues,
    private readonly requiredColumns: readonly string[],
  ) {}

  /** Feed one raw record; returns the typed row or null (header, skipped or dropped). */
  push(values: string[], line: number): T | null {
    if (this.header === null) {
      this.acceptHeader(values);
      return null;
    }
    this.dataRow += 1;
    const record = new CsvRecord(this.file, this.dataRow, line, this.columnIndex, values);
    return catchRecordError(this.issues, () => {
      if (values.length !== this.header!.length) {
        throw record.error('malformed-row', `expected ${this.header!.length} fields, got ${values.length}`);
      }
      return this.mapRecord(record);
    });
  }

  /** Called when the input ended; an empty file has no header. */
  finish(): void {
    if (this.header === null) throw new DataError('missing-column', 'empty file: no header row', { file: this.file });
  }

  private acceptHeader(values: string[]): void {
    // Trimmed names: SIIM's header is "ImageId, EncodedPixels" with a leading space.
    this.header = values.map((name) => name.trim());
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

/** A record as csv-parse returns it with `info: true`. */
interface InfoRecord {
  record: string[];
  info: Info & { lines: number };
}

function parserOptions(delimiter: string, issues: DataIssues, file: string) {
  return {
    delimiter,
    bom: true,
    info: true as const,
    skip_empty_lines: true,
    // Field-count checks are ours, so a short row is reported with its file and row.
    relax_column_count: true,
    // Broken quoting: report with the line and continue where csv-parse can.
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined): undefined => {
      const line = (error as (CsvError & { lines?: number }) | undefined)?.lines;
      issues.report(new DataError('malformed-row', error?.message ?? 'unparseable record', { file, line }));
      return undefined;
    },
  };
}

/**
 * Parse CSV text into typed rows.
 *
 * @param text CSV content (a UTF-8 BOM is ignored).
 * @param file Name used in error messages.
 * @param mapRecord Builds a typed row from a `CsvRecord`, or returns null to drop it.
 * @returns `{file, header, rows, issues}`.
 * @throws DataError 'missing-column' when a required column is absent (always), or
 *   the first problem in strict mode.
 */
export function parseCsvText<T>(
  text: string,
  file: string,
  mapRecord: CsvRecordMapper<T>,
  options: CsvReadOptions = {},
): CsvReadResult<T> {
  const issues = options.issues ?? new DataIssues();
  const pipeline = new RecordPipeline(file, mapRecord, issues, options.requiredColumns ?? []);
  // With `info: true` csv-parse returns {record, info} objects; its typings do not model that.
  const parsed = parseSync(text, parserOptions(options.delimiter ?? ',', issues, file)) as unknown as InfoRecord[];
  const rows: T[] = [];
  for (const { record, info } of parsed) {
    const row = pipeline.push(record, info.lines);
    if (row !== null) rows.push(row);
  }
  pipeline.finish();
  return { file, header: pipeline.header!, rows, issues };
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
 * Same validation as `readCsvFile`; issues go to `options.issues`.
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
  const pipeline = new RecordPipeline(file, mapRecord, issues, options.requiredColumns ?? []);
  const parser = createReadStream(path).pipe(parseStream(parserOptions(options.delimiter ?? ',', issues, file)));
  for await (const { record, info } of parser as AsyncIterable<InfoRecord>) {
    const row = pipeline.push(record, info.lines);
    if (row !== null) yield row;
  }
  pipeline.finish();
}
