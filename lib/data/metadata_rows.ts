/**
 * What became of every row of the image metadata table: used (a frontal record
 * or its lateral), or dropped for one named reason. `prepare` prints it and
 * stores it in manifest.json, so no row disappears without being counted.
 * Dropping a row by design (an oblique view, a second lateral) is not a data
 * problem: it is counted here, not reported to `DataIssues`.
 */

/** Why a metadata row did not become part of a record. */
export type RowDropReason =
  /** The CSV row could not be read (quoting, field count, a bad id, date or time). */
  | 'unreadable-row'
  /** ViewPosition outside the known vocabulary. */
  | 'unknown-view'
  /** A known view that is neither frontal nor lateral (e.g. XTABLE LATERAL, LAO, blank). */
  | 'unused-view'
  /** A lateral after the study's first one (only the first rides along, methods §1.6). */
  | 'extra-lateral'
  /** A lateral whose study kept no frontal record. */
  | 'no-frontal'
  /** The image file is missing. */
  | 'missing-image'
  /** The image has no row in the split table. */
  | 'no-split'
  /** The study's report is missing, empty or too short. */
  | 'no-report'
  /** The image file exists but does not decode. */
  | 'undecodable-image'
  /** Another shard of a sharded preparation holds the row (`--shard i/n`). */
  | 'other-shard';

/** One dropped row, located in its file. */
export interface DroppedRow {
  row: number;
  line: number;
  reason: RowDropReason;
  detail: string;
}

/** Counts over the metadata table, as stored in manifest.json. */
export interface RowAccount {
  file: string;
  /** Data rows in the file (header excluded). */
  read: number;
  /** Rows that are a record's frontal or lateral image. */
  used: number;
  dropped: Partial<Record<RowDropReason, number>>;
  /** The first few dropped rows per reason, as `row R (line L): detail`. */
  examples: Partial<Record<RowDropReason, string[]>>;
}

/** Tallies the fate of each metadata row; each row is used or dropped once. */
export class RowLedger {
  private readonly dropped = new Map<number, DroppedRow>();

  constructor(
    readonly file: string,
    readonly read: number,
    private readonly examplesPerReason = 5,
  ) {}

  /** Drop a row for a reason; the first reason given for a row stands. */
  drop(row: number, line: number, reason: RowDropReason, detail: string): void {
    if (!this.dropped.has(row)) this.dropped.set(row, { row, line, reason, detail });
  }

  isDropped(row: number): boolean {
    return this.dropped.has(row);
  }

  /** Rows dropped so far, in file order. */
  droppedRows(): DroppedRow[] {
    return [...this.dropped.values()].sort((a, b) => a.row - b.row);
  }

  account(): RowAccount {
    const dropped: Partial<Record<RowDropReason, number>> = {};
    const examples: Partial<Record<RowDropReason, string[]>> = {};
    for (const row of this.droppedRows()) {
      dropped[row.reason] = (dropped[row.reason] ?? 0) + 1;
      const list = (examples[row.reason] ??= []);
      if (list.length < this.examplesPerReason) list.push(`row ${row.row} (line ${row.line}): ${row.detail}`);
    }
    return { file: this.file, read: this.read, used: this.read - this.dropped.size, dropped, examples };
  }
}

/** A printable summary: rows read, used, and dropped per reason with examples. */
export function formatRowAccount(account: RowAccount): string {
  const total = Object.values(account.dropped).reduce((sum, n) => sum + (n ?? 0), 0);
  const lines = [`${account.file}: ${account.read} rows read, ${account.used} used, ${total} dropped`];
  for (const [reason, n] of Object.entries(account.dropped).sort((a, b) => a[0].localeCompare(b[0]))) {
    lines.push(`  ${reason}: ${n}`);
    for (const example of account.examples[reason as RowDropReason] ?? []) lines.push(`    - ${example}`);
  }
  return lines.join('\n');
}
