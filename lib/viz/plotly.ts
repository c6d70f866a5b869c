/**
 * Plotly figures in notebooks: interactive in JupyterLab, still drawn in exported HTML.
 *
 * `figureBundle` makes one display bundle with
 *   - `application/vnd.plotly.v1+json`: JupyterLab's plotly renderer (installed with
 *     the `plotly` Python package) draws it interactively;
 *   - `text/html`: a div plus a script calling `Plotly.newPlot`, which nbconvert's
 *     HTML export keeps. The first figure of a notebook (a kernel process) also
 *     carries plotly.js itself, read from `plotly.js-dist-min` (4.8 MB; the
 *     unminified build doubled every exported page); later figures wait for
 *     `window.Plotly` instead of loading it again;
 *   - `text/plain`: a one-line summary for consoles.
 *
 * Live figures (`liveFigure`) are HTML only: JupyterLab's plotly renderer draws
 * a figure once and ignores later updates of the same output, while its HTML
 * renderer redraws on every update. So a live figure first puts plotly.js into
 * the page (an output of its own, once per kernel process) and then each update
 * replaces its HTML, whose script redraws the graph.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { displayBundle, type MimeBundle } from './notebook_display.ts';

/** A Plotly figure as plotly.js takes it. */
export interface PlotlyFigure {
  data: Array<Record<string, unknown>>;
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

const require = createRequire(import.meta.url);
let loaderSent = false;
let figureCounter = 0;

/** The plotly.js version the HTML fallback embeds. */
export function plotlyJsVersion(): string {
  return (require('plotly.js-dist-min/package.json') as { version: string }).version;
}

/**
 * A `<script>` that defines `window.Plotly` from the bundled plotly.js-dist-min
 * (`source` replaces the library text, for tests).
 */
export function plotlyLoaderHtml(source: string = fs.readFileSync(require.resolve('plotly.js-dist-min'), 'utf8')): string {
  // Shadow AMD/CommonJS globals so the UMD wrapper always sets window.Plotly,
  // also on pages that load require.js.
  return (
    `<script type="text/javascript">/* plotly.js-dist-min ${plotlyJsVersion()} */\n` +
    '(function(){var define=undefined,module=undefined,exports=undefined;\n' +
    source.replace(/<\/script/gi, '<\\/script') +
    '\n})();</script>'
  );
}

/** JSON safe to place inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The HTML that draws `figure` into a fresh div once `window.Plotly` exists. */
export function figureHtml(figure: PlotlyFigure, divId: string): string {
  const height = typeof figure.layout?.height === 'number' ? `${figure.layout.height}px` : '450px';
  return (
    `<div id="${divId}" class="medst-plotly" style="width:100%;height:${height};"></div>\n` +
    '<script type="text/javascript">(function(){' +
    `var fig=${scriptJson({ data: figure.data, layout: figure.layout ?? {}, config: { responsive: true, ...figure.config } })};` +
    'var tries=0;function draw(){if(window.Plotly){window.Plotly.newPlot(' +
    `${JSON.stringify(divId)},fig.data,fig.layout,fig.config);}` +
    'else if(tries++<200){setTimeout(draw,50);}}draw();})();</script>'
  );
}

/** Options of `figureBundle`. */
export interface FigureBundleOptions {
  /** Embed plotly.js in the HTML (the first figure of a notebook does). */
  includeLoader: boolean;
  /** The div id; unique per figure by default. */
  divId?: string;
}

/** The mime bundle for one figure (pure; `showFigure` decides about the loader). */
export function figureBundle(figure: PlotlyFigure, options: FigureBundleOptions): MimeBundle {
  if (!Array.isArray(figure.data)) throw new Error('figureBundle: figure.data must be an array of traces');
  const divId = options.divId ?? `medst-plot-${process.pid}-${++figureCounter}`;
  const html = (options.includeLoader ? plotlyLoaderHtml() + '\n' : '') + figureHtml(figure, divId);
  const title = figure.layout?.title;
  const titleText = typeof title === 'string' ? title : (title as { text?: string } | undefined)?.text;
  return {
    [PLOTLY_MIME]: { data: figure.data, layout: figure.layout ?? {}, config: figure.config ?? {} },
    'text/html': html,
    'text/plain': `<Plotly figure${titleText ? ` "${titleText}"` : ''}: ${figure.data.length} trace(s)>`,
  };
}

/**
 * Shows a figure in the notebook; outside a notebook it does nothing. Returns
 * nothing, so a notebook cell ending with it prints no echo of the bundle.
 */
export function showFigure(figure: PlotlyFigure): void {
  const bundle = figureBundle(figure, { includeLoader: !loaderSent });
  if (displayBundle(bundle)) loaderSent = true;
}

/** A figure shown once and redrawn in place, e.g. a loss curve during training. */
export interface LiveFigure {
  /** Replaces the figure (in JupyterLab and in the saved notebook). */
  update(figure: PlotlyFigure): void;
}

let pageLoaderSent = false;

/** The mime bundle of one state of a live figure: HTML (redrawn on every update in JupyterLab) and plain text. */
export function liveFigureBundle(figure: PlotlyFigure, divId: string): MimeBundle {
  const { [PLOTLY_MIME]: _json, ...rest } = figureBundle(figure, { includeLoader: false, divId });
  return rest;
}

/**
 * Shows a figure that `update` redraws in place (Jupyter's display ids), in
 * JupyterLab while the cell runs and in the saved notebook and its HTML export
 * after it. The first live figure of a kernel process puts plotly.js into the
 * page as an output of its own (JupyterLab's plotly renderer does not define
 * `window.Plotly` for the figures it draws).
 */
export function liveFigure(figure: PlotlyFigure): LiveFigure {
  const displayId = `medst-live-${process.pid}-${++figureCounter}`;
  const divId = `${displayId}-div`;
  if (!pageLoaderSent && displayBundle({ 'text/html': plotlyLoaderHtml(), 'text/plain': '<plotly.js>' })) {
    pageLoaderSent = true;
    loaderSent = true;
  }
  displayBundle(liveFigureBundle(figure, divId), { displayId });
  return {
    update(next: PlotlyFigure) {
      displayBundle(liveFigureBundle(next, divId), { displayId, update: true });
    },
  };
}

/** A standalone HTML page with the figures (for reports written to disk). */
export function figuresPageHtml(title: string, figures: Array<{ heading?: string; figure: PlotlyFigure }>): string {
  const body = figures
    .map((f, i) => `${f.heading ? `<h2>${escapeHtml(f.heading)}</h2>\n` : ''}${figureHtml(f.figure, `figure-${i}`)}`)
    .join('\n');
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>\n${plotlyLoaderHtml()}\n</head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>\n`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
