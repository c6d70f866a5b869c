/**
 * Results of a comparison across variants and seeds: aggregation (mean ± std over
 * seeds), the Markdown table, and the HTML report with bar charts and error bars.
 * `npm run reproduce` writes these; notebook 05 reads them back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../util/atomic_file.ts';
import { figuresPageHtml, type PlotlyFigure } from '../viz/plotly.ts';
import type { Headline } from './suite.ts';
import { formatMeanStd, meanStd, type MeanStd } from './summary.ts';

/** One evaluated run. */
export interface RunResult {
  variant: string;
  label: string;
  seed: number;
  /** Seconds spent pre-training and evaluating. */
  trainSeconds: number;
  evalSeconds: number;
  headline: Headline;
}

/** results.json. */
export interface ComparisonResults {
  format: 'medst-comparison';
  version: 1;
  /** How the runs were made (cohort, budget, seeds, quick). */
  setup: Record<string, unknown>;
  /** Metric keys and labels, in table order. */
  metrics: ReadonlyArray<{ key: string; label: string }>;
  runs: RunResult[];
}

export const RESULTS_JSON = 'results.json';
export const RESULTS_MARKDOWN = 'results.md';
export const RESULTS_HTML = 'report.html';

/** Mean ± std over seeds for each (variant, metric). */
export function aggregate(results: ComparisonResults): Array<{ variant: string; label: string; seeds: number; metrics: Record<string, MeanStd> }> {
  const variants = [...new Set(results.runs.map((r) => r.variant))];
  return variants.map((variant) => {
    const runs = results.runs.filter((r) => r.variant === variant);
    const metrics: Record<string, MeanStd> = {};
    for (const { key } of results.metrics) {
      const values = runs.map((r) => r.headline[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (values.length) metrics[key] = meanStd(values);
    }
    return { variant, label: runs[0]!.label, seeds: runs.length, metrics };
  });
}

/** The Markdown table: variants as rows, metrics as columns, mean ± std over seeds. */
export function markdownTable(results: ComparisonResults): string {
  const rows = aggregate(results);
  const metrics = results.metrics.filter(({ key }) => rows.some((r) => r.metrics[key]));
  const header = `| Method | ${metrics.map((m) => m.label).join(' | ')} |`;
  const rule = `| --- | ${metrics.map(() => '---:').join(' | ')} |`;
  const lines = rows.map((r) => `| ${r.label} | ${metrics.map(({ key }) => (r.metrics[key] ? formatMeanStd(r.metrics[key]!) : '–')).join(' | ')} |`);
  const seeds = [...new Set(results.runs.map((r) => r.seed))];
  return [
    `# Med-ST comparison on the synthetic cohort`,
    '',
    `Mean ± std over ${seeds.length} seed(s) (${seeds.join(', ')}). Setup: ${JSON.stringify(results.setup)}`,
    '',
    header,
    rule,
    ...lines,
    '',
  ].join('\n');
}

/** Bar charts (one per metric) with error bars, as a standalone HTML page. */
export function comparisonReportHtml(results: ComparisonResults): string {
  const rows = aggregate(results);
  const figures = results.metrics
    .filter(({ key }) => rows.some((r) => r.metrics[key]))
    .map(({ key, label }): { heading: string; figure: PlotlyFigure } => ({
      heading: label,
      figure: {
        data: [
          {
            type: 'bar',
            x: rows.map((r) => r.label),
            y: rows.map((r) => r.metrics[key]?.mean ?? null),
            error_y: { type: 'data', array: rows.map((r) => r.metrics[key]?.std ?? 0), visible: true },
          },
        ],
        layout: { height: 320, margin: { t: 20 }, yaxis: { title: { text: label } } },
      },
    }));
  const table = `<pre>${markdownTable(results).replace(/&/g, '&amp;').replace(/</g, '&lt;')}</pre>`;
  return figuresPageHtml('Med-ST comparison on the synthetic cohort', figures).replace('</h1>', `</h1>\n${table}`);
}

/** Writes results.json, results.md and report.html into `dir` (each atomically). */
export function writeComparison(dir: string, results: ComparisonResults): void {
  writeFileAtomicSync(path.join(dir, RESULTS_JSON), JSON.stringify(results, null, 2) + '\n');
  writeFileAtomicSync(path.join(dir, RESULTS_MARKDOWN), markdownTable(results));
  writeFileAtomicSync(path.join(dir, RESULTS_HTML), comparisonReportHtml(results));
}

/** Reads results.json back. */
export function readComparison(dir: string): ComparisonResults {
  const file = path.join(dir, RESULTS_JSON);
  if (!fs.existsSync(file)) throw new Error(`${file}: no results yet (run \`npm run reproduce\`)`);
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as ComparisonResults;
  if (results.format !== 'medst-comparison') throw new Error(`${file}: not a medst comparison`);
  return results;
}
