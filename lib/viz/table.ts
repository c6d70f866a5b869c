/**
 * Tables in notebooks: danfo DataFrames (or plain row objects) as HTML tables.
 */
import { displayBundle, type MimeBundle } from './notebook_display.ts';
import { escapeHtml } from './plotly.ts';

/** The parts of a danfo DataFrame the renderer reads. */
export interface FrameLike {
  columns: string[];
  index: Array<string | number>;
  values: unknown[][] | unknown[];
}

/** Options of `tableHtml`. */
export interface TableOptions {
  /** Rows shown before eliding the middle; default 50. */
  maxRows?: number;
  /** Significant digits for non-integer numbers; default 4. */
  digits?: number;
  caption?: string;
}

function formatCell(value: unknown, digits: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    return Number.isInteger(value) ? String(value) : Number(value.toPrecision(digits)).toString();
  }
  return String(value);
}

/** Converts an array of row objects into the frame shape (columns in first-seen order). */
export function rowsToFrame(rows: Array<Record<string, unknown>>): FrameLike {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  return { columns, index: rows.map((_, i) => i), values: rows.map((row) => columns.map((c) => row[c])) };
}

/** An HTML `<table>` for a DataFrame-like object. */
export function tableHtml(frame: FrameLike, options: TableOptions = {}): string {
  const maxRows = options.maxRows ?? 50;
  const digits = options.digits ?? 4;
  const rows = (frame.values as unknown[]).map((row) => (Array.isArray(row) ? row : [row]));
  const shown: Array<number | null> = [];
  if (rows.length <= maxRows) rows.forEach((_, i) => shown.push(i));
  else {
    const head = Math.ceil(maxRows / 2);
    for (let i = 0; i < head; i++) shown.push(i);
    shown.push(null); // elision marker
    for (let i = rows.length - (maxRows - head); i < rows.length; i++) shown.push(i);
  }
  const header = `<tr><th></th>${frame.columns.map((c) => `<th>${escapeHtml(String(c))}</th>`).join('')}</tr>`;
  const body = shown
    .map((i) =>
      i === null
        ? `<tr><th>…</th>${frame.columns.map(() => '<td>…</td>').join('')}</tr>`
        : `<tr><th>${escapeHtml(String(frame.index[i]))}</th>${rows[i]!.map((v) => `<td>${escapeHtml(formatCell(v, digits))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : '';
  return `<table class="medst-table" border="1">${caption}\n<thead>${header}</thead>\n<tbody>\n${body}\n</tbody></table>\n<p>${rows.length} rows × ${frame.columns.length} columns</p>`;
}

/** A plain-text rendering (fixed-width columns) for consoles and text/plain. */
export function tableText(frame: FrameLike, options: TableOptions = {}): string {
  const digits = options.digits ?? 4;
  const rows = (frame.values as unknown[]).map((row) => (Array.isArray(row) ? row : [row]));
  const cells = [['', ...frame.columns.map(String)], ...rows.slice(0, options.maxRows ?? 50).map((r, i) => [String(frame.index[i]), ...r.map((v) => formatCell(v, digits))])];
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => (row[c] ?? '').length)));
  return cells.map((row) => row.map((cell, c) => cell.padStart(widths[c]!)).join('  ')).join('\n');
}

/** The mime bundle for a table. */
export function tableBundle(frame: FrameLike, options: TableOptions = {}): MimeBundle {
  return { 'text/html': tableHtml(frame, options), 'text/plain': tableText(frame, options) };
}

/** Shows a DataFrame (or rows) as an HTML table in the notebook; outside a notebook it does nothing. */
export function showTable(frame: FrameLike | Array<Record<string, unknown>>, options: TableOptions = {}): void {
  displayBundle(tableBundle(Array.isArray(frame) ? rowsToFrame(frame) : frame, options));
}
