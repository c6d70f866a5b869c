/**
 * Results of a comparison: runs (one per row and seed) → rows (mean ± std over
 * seeds, with each metric's evaluation-set size), the Markdown table, the HTML
 * report with bar charts, error bars and learning curves. The reference rows
 * (majority, raw pixels, random init, supervised ceiling) sit in the same
 * table as the pre-trained variants. `npm run demo` and `npm run reproduce`
 * write these; notebook 05 reads them back.
 *
 * results.json (format "medst-comparison", version 2):
 *   { setup, metrics: [{key, label}], runs: [...],
 *     rows: [{ name, label, kind, seeds, metrics: { <key>: { mean, std, n, values } } }],
 *     curves: [{ row, seed, points: [{ epoch, step, metrics: { <key>: {value, n} } }] }] }
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../util/atomic_file.ts';
import { escapeHtml, figuresPageHtml, type PlotlyFigure } from '../viz/plotly.ts';
import { rowsToFrame, tableHtml } from '../viz/table.ts';
import type { MetricValue } from './image_evaluation.ts';
import { formatMeanStd, meanStd, type MeanStd } from './summary.ts';

/** What a row is: a reference that gives a number its meaning, or a pre-trained model. */
export type RowKind = 'reference' | 'pretrained';

/** The reference rows, in table order. */
export const REFERENCE_ROWS = [
  { name: 'majority', label: 'Majority class / chance' },
  { name: 'raw_pixels', label: 'Raw pixels (PCA)' },
  { name: 'random', label: 'Random init' },
  { name: 'supervised', label: 'Supervised ceiling' },
] as const;

/** One evaluated run: a row at one seed (null for deterministic references). */
export interface RunResult {
  row: string;
  label: string;
  kind: RowKind;
  seed: number | null;
  /** Seconds spent training (0 for references without training) and evaluating. */
  trainSeconds: number;
  evalSeconds: number;
  metrics: Record<string, MetricValue>;
}

/** Evaluations during training: one point per epoch. */
export interface LearningCurve {
  row: string;
  seed: number;
  points: Array<{ epoch: number; step: number; metrics: Record<string, MetricValue> }>;
}

/** A row of the table: mean ± std over its runs. */
export interface ResultRow {
  name: string;
  label: string;
  kind: RowKind;
  seeds: Array<number | null>;
  metrics: Record<string, MeanStd & { n: number }>;
}

/** results.json. */
export interface ComparisonResults {
  format: 'medst-comparison';
  version: 2;
  title: string;
  /** How the runs were made (cohort, budget, seeds, quick). */
  setup: Record<string, unknown>;
  /** Metric keys and labels, in table order. */
  metrics: ReadonlyArray<{ key: string; label: string }>;
  runs: RunResult[];
  curves: LearningCurve[];
  /** Written by `writeComparison` from `runs`. */
  rows?: ResultRow[];
}

export const RESULTS_JSON = 'results.json';
export const RESULTS_MARKDOWN = 'results.md';
export const RESULTS_HTML = 'report.html';

/** Rows (reference rows first, then pre-trained ones in run order) with mean ± std over seeds. */
export function aggregate(results: Pick<ComparisonResults, 'runs' | 'metrics'>): ResultRow[] {
  const names = [...new Set(results.runs.map((r) => r.row))];
  const order = (name: string) => {
    const reference = REFERENCE_ROWS.findIndex((r) => r.name === name);
    return reference >= 0 ? reference : REFERENCE_ROWS.length + names.indexOf(name);
  };
  return names
    .sort((a, b) => order(a) - order(b))
    .map((name) => {
      const runs = results.runs.filter((r) => r.row === name);
      const metrics: ResultRow['metrics'] = {};
      for (const { key } of results.metrics) {
        const values = runs.map((r) => r.metrics[key]).filter((v): v is MetricValue => v !== undefined && Number.isFinite(v.value));
        if (values.length) metrics[key] = { ...meanStd(values.map((v) => v.value)), n: values[0]!.n };
      }
      return { name, label: runs[0]!.label, kind: runs[0]!.kind, seeds: runs.map((r) => r.seed), metrics };
    });
}

/** "0.812 ± 0.013" over seeds, a bare value for one run. */
function cell(summary: MeanStd | undefined): string {
  return summary ? formatMeanStd(summary, 3, { omitZeroStd: true }) : '–';
}

/** The table as cells: one object per row, columns = "Row", "seeds", then "metric (n=…)", mean ± std over seeds. */
export function tableRows(results: Pick<ComparisonResults, 'runs' | 'metrics'>, markReference: (label: string) => string = (label) => `*${label}*`): Array<Record<string, string>> {
  const rows = aggregate(results);
  const metrics = results.metrics.filter(({ key }) => rows.some((r) => r.metrics[key]));
  const nOf = (key: string) => Math.max(...rows.map((r) => r.metrics[key]?.n ?? 0));
  return rows.map((r) => ({
    Row: r.kind === 'reference' ? markReference(r.label) : r.label,
    seeds: String(r.seeds.filter((s) => s !== null).length || '–'),
    ...Object.fromEntries(metrics.map(({ key, label }) => [`${label} (n=${nOf(key)})`, cell(r.metrics[key])])),
  }));
}

/** The caption line of the tables: seeds, how reference rows are marked, what n means. */
function tableCaption(results: ComparisonResults, marked: string): string {
  const seeds = [...new Set(results.runs.map((r) => r.seed).filter((s) => s !== null))];
  return `Mean ± std over ${seeds.length} seed(s) (${seeds.join(', ')}); reference rows ${marked} (majority/chance, raw pixels, random init, supervised ceiling). n = evaluation-set size (images, pairs or sentences).`;
}

/** The Markdown table: rows × metrics, mean ± std over seeds; each column header carries its n. */
export function markdownTable(results: ComparisonResults): string {
  const rows = tableRows(results);
  const columns = Object.keys(rows[0] ?? {});
  return [
    `# ${results.title}`,
    '',
    `${tableCaption(results, 'in italics')} Setup: \`${JSON.stringify(results.setup)}\``,
    '',
    `| ${columns.join(' | ')} |`,
    `| --- | ${columns.slice(1).map(() => '---:').join(' | ')} |`,
    ...rows.map((row) => `| ${columns.map((c) => row[c]).join(' | ')} |`),
    '',
  ].join('\n');
}

/** Probe AUROC and temporal macro accuracy after each epoch, one line per (row, seed). */
export function learningCurveFigures(curves: readonly LearningCurve[]): Array<{ heading: string; figure: PlotlyFigure }> {
  if (curves.length === 0) return [];
  return [
    ['probe_auroc_100', 'Linear probe AUROC (100 %) after each epoch'],
    ['temporal_macro_acc', 'Temporal macro accuracy (fixed split) after each epoch'],
  ].map(([key, heading]) => ({
    heading: heading!,
    figure: {
      data: curves.map((c) => ({
        type: 'scatter',
        mode: 'lines+markers',
        name: `${c.row} (seed ${c.seed})`,
        x: c.points.map((p) => p.epoch),
        y: c.points.map((p) => p.metrics[key!]?.value ?? null),
      })),
      layout: { height: 340, margin: { t: 20 }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: key! } } },
    },
  }));
}

/** Bar charts (one per metric) with error bars and learning curves, as a standalone HTML page. */
export function comparisonReportHtml(results: ComparisonResults, extra: Array<{ heading: string; figure: PlotlyFigure }> = []): string {
  const rows = aggregate(results);
  const bars = results.metrics
    .filter(({ key }) => rows.some((r) => r.metrics[key]))
    .map(({ key, label }): { heading: string; figure: PlotlyFigure } => ({
      heading: label,
      figure: {
        data: [
          {
            type: 'bar',
            x: rows.map((r) => r.label),
            y: rows.map((r) => r.metrics[key]?.mean ?? null),
            marker: { color: rows.map((r) => (r.kind === 'reference' ? '#aaaaaa' : '#1f77b4')) },
            error_y: { type: 'data', array: rows.map((r) => r.metrics[key]?.std ?? 0), visible: true },
          },
        ],
        layout: { height: 320, margin: { t: 20 }, yaxis: { title: { text: label } } },
      },
    }));
  const table = tableHtml(rowsToFrame(tableRows(results, (label) => `(ref) ${label}`)), { caption: tableCaption(results, 'marked (ref)') });
  const setup = `<details><summary>setup</summary><pre>${escapeHtml(JSON.stringify(results.setup, null, 2))}</pre></details>`;
  return figuresPageHtml(results.title, [...learningCurveFigures(results.curves), ...bars, ...extra]).replace('</h1>', `</h1>\n${table}\n${setup}`);
}

/** Writes results.json (with the aggregated rows), results.md and report.html into `dir`, each atomically. */
export function writeComparison(dir: string, results: ComparisonResults): void {
  const withRows = { ...results, rows: aggregate(results) };
  writeFileAtomicSync(path.join(dir, RESULTS_JSON), JSON.stringify(withRows, null, 2) + '\n');
  writeFileAtomicSync(path.join(dir, RESULTS_MARKDOWN), markdownTable(results));
  writeFileAtomicSync(path.join(dir, RESULTS_HTML), comparisonReportHtml(results));
}

/** Reads results.json back. */
export function readComparison(dir: string): ComparisonResults {
  const file = path.join(dir, RESULTS_JSON);
  if (!fs.existsSync(file)) throw new Error(`${file}: no results yet (run \`npm run reproduce\`)`);
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as ComparisonResults;
  if (results.format !== 'medst-comparison') throw new Error(`${file}: not a medst comparison`);
  if (results.version !== 2) throw new Error(`${file}: results version ${String(results.version)}, expected 2 (run \`npm run reproduce\` again)`);
  return results;
}
