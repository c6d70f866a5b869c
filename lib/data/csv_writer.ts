/**
 * CSV writing with correct quoting, atomically (temp file + rename), so a
 * crashed run never leaves a half-written table for the readers in csv.ts.
 */
import { writeFileAtomicSync } from '../util/atomic_file.ts';

/** A value a CSV cell can hold; null/undefined are written as an empty field. */
export type CsvCell = string | number | boolean | null | undefined;

/**
 * Quote one field when needed (delimiter, quote, CR/LF, or edge spaces); quotes are doubled.
 * Non-finite numbers are refused, since they would not read back as numbers.
 */
export function formatCsvField(value: CsvCell, delimiter = ','): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RangeError(`formatCsvField: cannot write non-finite number ${value}`);
  }
  const text = String(value);
  const needsQuotes =
    text.includes(delimiter) || text.includes('"') || text.includes('\n') || text.includes('\r') || text.trim() !== text;
  return needsQuotes ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Format a header and rows (arrays in column order, or objects keyed by column) as CSV text. */
export function formatCsv(columns: readonly string[], rows: Iterable<readonly CsvCell[] | Record<string, CsvCell>>, delimiter = ','): string {
  const lines = [columns.map((name) => formatCsvField(name, delimiter)).join(delimiter)];
  for (const row of rows) {
    const cells = Array.isArray(row) ? row : columns.map((name) => (row as Record<string, CsvCell>)[name]);
    if (cells.length !== columns.length) {
      throw new RangeError(`formatCsv: row ${lines.length} has ${cells.length} cells for ${columns.length} columns`);
    }
    lines.push(cells.map((cell) => formatCsvField(cell, delimiter)).join(delimiter));
  }
  return lines.join('\n') + '\n';
}

/**
 * Write a CSV file atomically (a temporary sibling renamed over `path`), so readers never see a half-written file. Parent folders are created.
 *
 * @param path Destination file.
 * @param columns Header names.
 * @param rows Arrays in column order, or objects keyed by column name.
 */
export function writeCsvAtomic(
  path: string,
  columns: readonly string[],
  rows: Iterable<readonly CsvCell[] | Record<string, CsvCell>>,
  delimiter = ',',
): void {
  writeFileAtomicSync(path, formatCsv(columns, rows, delimiter));
}
