/**
 * Splits CSV lines into records (RFC 4180 quoting) so that a broken record
 * costs only its own line.
 *
 * Why not csv-parse: on a stray opening quote (`,"CHEST (PORTABLE AP),`) a
 * general parser reads on to the next quote in the file and swallows every row
 * in between. Here a record that spans several lines must still be a good
 * record (its quotes close, its field count matches the header); when it is
 * not, its first line is reported as malformed and splitting restarts at the
 * line after it, so the rows that follow are read as if the bad line were
 * absent. Quotes inside an unquoted field are kept as text.
 */

/** A record: its fields and the 1-based physical lines it spans. */
export interface CsvSplitRecord {
  kind: 'record';
  fields: string[];
  firstLine: number;
  lastLine: number;
}

/** A line that could not be read as a record (it is skipped, nothing else is). */
export interface CsvSplitError {
  kind: 'error';
  line: number;
  detail: string;
}

export type CsvSplitEvent = CsvSplitRecord | CsvSplitError;

export interface CsvSplitOptions {
  delimiter: string;
  /** Longest record, in physical lines, a quoted field may stretch to (default 1000). */
  maxRecordLines?: number;
}

type TokenResult = { state: 'done'; fields: string[] } | { state: 'open' } | { state: 'error'; detail: string };

/** Tokenise one record's text (its lines joined by '\n'). */
function tokenize(text: string, delimiter: string): TokenResult {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    if (text.startsWith('"', at)) {
      let value = '';
      let from = at + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote < 0) return { state: 'open' };
        value += text.slice(from, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          from = quote + 2;
          continue;
        }
        at = quote + 1;
        break;
      }
      fields.push(value);
      if (at === text.length) return { state: 'done', fields };
      if (!text.startsWith(delimiter, at)) {
        return { state: 'error', detail: `text after the closing quote of field ${fields.length}` };
      }
      at += delimiter.length;
      continue;
    }
    const end = text.indexOf(delimiter, at);
    if (end < 0) {
      fields.push(text.slice(at));
      return { state: 'done', fields };
    }
    fields.push(text.slice(at, end));
    at = end + delimiter.length;
  }
}

/**
 * Feed physical lines (without their line breaks) in order; each call returns
 * the records and errors it completed, in file order. `expectedFields` is the
 * header's width once known: a multi-line record of another width is a stray
 * quote, not a record.
 */
export class CsvRecordSplitter {
  private readonly delimiter: string;
  private readonly maxRecordLines: number;
  /** Lines of the record being assembled, and the number of the first. */
  private pending: string[] = [];
  private pendingFirst = 0;
  private nextLine = 1;
  expectedFields: number | null = null;

  constructor(options: CsvSplitOptions) {
    this.delimiter = options.delimiter;
    this.maxRecordLines = options.maxRecordLines ?? 1000;
  }

  push(line: string): CsvSplitEvent[] {
    const events: CsvSplitEvent[] = [];
    this.feed(line.endsWith('\r') ? line.slice(0, -1) : line, this.nextLine++, events);
    return events;
  }

  /** Input ended: a record still open is a broken first line; its other lines are read again. */
  end(): CsvSplitEvent[] {
    const events: CsvSplitEvent[] = [];
    while (this.pending.length > 0) this.rejectFirstLine('a quoted field is never closed', events);
    return events;
  }

  private feed(line: string, number: number, events: CsvSplitEvent[]): void {
    if (this.pending.length === 0) {
      if (line.trim() === '') return; // blank lines between records are skipped
      this.pendingFirst = number;
    }
    this.pending.push(line);
    const result = tokenize(this.pending.join('\n'), this.delimiter);
    const lines = this.pending.length;
    if (result.state === 'open') {
      if (lines >= this.maxRecordLines) this.rejectFirstLine(`a quoted field runs past ${this.maxRecordLines} lines`, events);
      return;
    }
    if (result.state === 'error') {
      this.rejectFirstLine(result.detail, events);
      return;
    }
    if (lines > 1 && this.expectedFields !== null && result.fields.length !== this.expectedFields) {
      this.rejectFirstLine(`a quote opens a field that is not closed on this line`, events);
      return;
    }
    events.push({ kind: 'record', fields: result.fields, firstLine: this.pendingFirst, lastLine: number });
    this.pending = [];
  }

  /** Report the pending record's first line and split the lines after it again. */
  private rejectFirstLine(detail: string, events: CsvSplitEvent[]): void {
    const [, ...rest] = this.pending;
    const first = this.pendingFirst;
    events.push({ kind: 'error', line: first, detail: `malformed quoting (${detail})` });
    this.pending = [];
    rest.forEach((line, index) => this.feed(line, first + 1 + index, events));
  }
}
