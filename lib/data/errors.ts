/**
 * Errors and issue collection shared by every data reader.
 *
 * Real dataset files contain odd rows (a blank view position, a stray label
 * value, a truncated line). Readers report each problem as a `DataError` to a
 * `DataIssues` collector: by default the collector counts the problem per kind
 * and the reader skips the record (or degrades it, where the reader documents
 * that); in strict mode the collector throws the first problem, so a pipeline
 * can insist on clean inputs.
 */

/** The kinds of problem readers report; a short stable name used for counting. */
export type DataIssueKind =
  | 'missing-column'
  | 'malformed-row'
  | 'bad-number'
  | 'bad-value'
  | 'unknown-view'
  | 'empty-report'
  | 'short-report'
  | 'bad-line'
  | 'bad-rle'
  | 'bad-file'
  | 'unsupported';

/** Where a problem was found: file, 1-based data row (header excluded), file line, field. */
export interface DataLocation {
  file?: string;
  /** 1-based record number, not counting the header. */
  row?: number;
  /** 1-based physical line in the file where the record ends (header is line 1). */
  line?: number;
  field?: string;
}

/**
 * A problem with input data. The message names the file, the row and the
 * field when they are known, e.g.
 * `chexpert.csv: row 12 (line 13), field "Age": not a number: "abc"`.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  readonly kind: DataIssueKind;
  readonly file?: string;
  readonly row?: number;
  readonly line?: number;
  readonly field?: string;
  /** The problem without the location prefix. */
  readonly detail: string;

  constructor(kind: DataIssueKind, detail: string, where: DataLocation = {}) {
    super(formatLocation(where) + detail);
    this.kind = kind;
    this.detail = detail;
    this.file = where.file;
    this.row = where.row;
    this.line = where.line;
    this.field = where.field;
  }
}

function formatLocation(where: DataLocation): string {
  const parts: string[] = [];
  if (where.row !== undefined) {
    parts.push(where.line !== undefined ? `row ${where.row} (line ${where.line})` : `row ${where.row}`);
  } else if (where.line !== undefined) {
    parts.push(`line ${where.line}`);
  }
  if (where.field !== undefined) parts.push(`field "${where.field}"`);
  const place = parts.join(', ');
  if (where.file !== undefined) return place ? `${where.file}: ${place}: ` : `${where.file}: `;
  return place ? `${place}: ` : '';
}

/** Options for a `DataIssues` collector. */
export interface DataIssuesOptions {
  /** Throw the first reported problem instead of counting it (default false). */
  strict?: boolean;
  /** How many example errors to keep for the summary (default 5 per kind). */
  examplesPerKind?: number;
}

/**
 * Collects problems found while reading. Default mode: count per kind and keep
 * a few examples, so the reader can skip the record and go on. Strict mode:
 * `report` throws the error.
 *
 * @example
 * const issues = new DataIssues();
 * const { rows } = readChexpertCsv(path, { issues });
 * if (issues.total > 0) console.warn(issues.summary());
 */
export class DataIssues {
  readonly strict: boolean;
  private readonly examplesPerKind: number;
  private readonly countsByKind = new Map<DataIssueKind, number>();
  private readonly examplesByKind = new Map<DataIssueKind, DataError[]>();

  constructor(options: DataIssuesOptions = {}) {
    this.strict = options.strict ?? false;
    this.examplesPerKind = options.examplesPerKind ?? 5;
  }

  /** Record a problem; throws it in strict mode. */
  report(error: DataError): void {
    if (this.strict) throw error;
    this.countsByKind.set(error.kind, (this.countsByKind.get(error.kind) ?? 0) + 1);
    const examples = this.examplesByKind.get(error.kind) ?? [];
    if (examples.length < this.examplesPerKind) examples.push(error);
    this.examplesByKind.set(error.kind, examples);
  }

  /** Number of problems of one kind (0 when none). */
  count(kind: DataIssueKind): number {
    return this.countsByKind.get(kind) ?? 0;
  }

  /** Total number of problems recorded. */
  get total(): number {
    let sum = 0;
    for (const n of this.countsByKind.values()) sum += n;
    return sum;
  }

  /** Counts per kind, as a plain object (kinds with no problems are absent). */
  counts(): Partial<Record<DataIssueKind, number>> {
    return Object.fromEntries(this.countsByKind) as Partial<Record<DataIssueKind, number>>;
  }

  /** The first few errors kept for each kind, in report order. */
  examples(kind: DataIssueKind): readonly DataError[] {
    return this.examplesByKind.get(kind) ?? [];
  }

  /** A printable multi-line summary: one line per kind with its count and examples. */
  summary(): string {
    if (this.total === 0) return 'no data issues';
    const lines = [`${this.total} data issue(s):`];
    for (const [kind, n] of [...this.countsByKind].sort((a, b) => a[0].localeCompare(b[0]))) {
      lines.push(`  ${kind}: ${n}`);
      for (const example of this.examples(kind)) lines.push(`    - ${example.message}`);
    }
    return lines.join('\n');
  }
}

/**
 * Run `body` for one record; a `DataError` it throws goes to `issues` (which
 * rethrows in strict mode) and the record yields `null`. Other errors propagate.
 */
export function catchRecordError<T>(issues: DataIssues, body: () => T): T | null {
  try {
    return body();
  } catch (error) {
    if (error instanceof DataError) {
      issues.report(error);
      return null;
    }
    throw error;
  }
}
