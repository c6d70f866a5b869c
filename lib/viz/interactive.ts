/**
 * Figures a user explores without editing code: the choices live in the
 * figure (Plotly sliders and menus, all client-side), so they work in
 * JupyterLab and in the exported HTML alike.
 */
import type { PlotlyFigure } from './plotly.ts';

/** One item of a pair browser: two images (PNG data or URIs) and their captions. */
export interface PairBrowserItem {
  /** Slider label, e.g. `pleural_effusion · worsening→stable · 0.91`. */
  label: string;
  left: { png: Uint8Array | string; caption: string };
  right: { png: Uint8Array | string; caption: string };
}

const dataUri = (png: Uint8Array | string): string => (typeof png === 'string' ? png : `data:image/png;base64,${Buffer.from(png).toString('base64')}`);

/** Wraps text at about `width` characters with `<br>` (Plotly annotations do not wrap). */
export function wrapForPlotly(text: string, width = 60): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('<br>');
}

/**
 * A slider through pairs of images (two image traces per item, one item
 * visible at a time), each with its captions under the images.
 */
export function pairBrowserFigure(items: readonly PairBrowserItem[], options: { title?: string; height?: number } = {}): PlotlyFigure {
  if (items.length === 0) throw new Error('pairBrowserFigure: no items');
  const data: Array<Record<string, unknown>> = [];
  items.forEach((item, i) => {
    data.push({ type: 'image', source: dataUri(item.left.png), xaxis: 'x', yaxis: 'y', visible: i === 0, hoverinfo: 'skip', name: `${item.label} (left)` });
    data.push({ type: 'image', source: dataUri(item.right.png), xaxis: 'x2', yaxis: 'y2', visible: i === 0, hoverinfo: 'skip', name: `${item.label} (right)` });
  });
  const captions = (item: PairBrowserItem) => [
    { text: wrapForPlotly(item.left.caption), xref: 'x domain', yref: 'y domain', x: 0, y: -0.02, xanchor: 'left', yanchor: 'top', showarrow: false, align: 'left', font: { size: 11 } },
    { text: wrapForPlotly(item.right.caption), xref: 'x2 domain', yref: 'y2 domain', x: 0, y: -0.02, xanchor: 'left', yanchor: 'top', showarrow: false, align: 'left', font: { size: 11 } },
  ];
  const title = (item: PairBrowserItem) => ({ text: `${options.title ? `${options.title}: ` : ''}${item.label}` });
  const steps = items.map((item, i) => ({
    label: String(i + 1),
    method: 'update',
    args: [{ visible: data.map((_, t) => Math.floor(t / 2) === i) }, { title: title(item), annotations: captions(item) }],
  }));
  return {
    data,
    layout: {
      title: title(items[0]!),
      grid: { rows: 1, columns: 2, pattern: 'independent' },
      xaxis: { visible: false },
      yaxis: { visible: false },
      xaxis2: { visible: false },
      yaxis2: { visible: false },
      annotations: captions(items[0]!),
      margin: { t: 50, b: 170, l: 20, r: 20 },
      height: options.height ?? 560,
      sliders: [{ active: 0, steps, currentvalue: { prefix: 'item ' }, pad: { t: 110 } }],
    },
  };
}

/** One way of colouring the points of a scatter map. */
export interface ColouringChoice {
  name: string;
  values: ArrayLike<number>;
  colorscale?: string;
}

/** One projection of the points (e.g. UMAP or PCA). */
export interface ProjectionChoice {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/**
 * A scatter map of points with two menus: how to colour them and which
 * projection to show. `extra` traces (e.g. a patient's trajectory, given per
 * projection) follow the projection menu.
 */
export function scatterMenuFigure(options: {
  projections: readonly ProjectionChoice[];
  colourings: readonly ColouringChoice[];
  text?: readonly string[];
  /** Per projection, the same extra traces (drawn above the points). */
  extra?: ReadonlyArray<ReadonlyArray<Record<string, unknown>>>;
  title?: string;
  height?: number;
}): PlotlyFigure {
  const { projections, colourings } = options;
  if (projections.length === 0 || colourings.length === 0) throw new Error('scatterMenuFigure: needs a projection and a colouring');
  const first = colourings[0]!;
  const points = {
    type: 'scatter',
    mode: 'markers',
    x: Array.from(projections[0]!.x),
    y: Array.from(projections[0]!.y),
    text: options.text ? [...options.text] : undefined,
    marker: { color: Array.from(first.values), colorscale: first.colorscale ?? 'Viridis', showscale: true, size: 6, colorbar: { title: { text: first.name } } },
    name: 'studies',
  };
  const extras = options.extra ?? [];
  const extraCount = extras[0]?.length ?? 0;
  const data: Array<Record<string, unknown>> = [points, ...(extras[0] ?? []).map((trace) => ({ ...trace }))];
  const colourButtons = colourings.map((c) => ({
    label: c.name,
    method: 'restyle',
    args: [{ 'marker.color': [Array.from(c.values)], 'marker.colorscale': c.colorscale ?? 'Viridis', 'marker.colorbar.title.text': c.name }, [0]],
  }));
  const projectionButtons = projections.map((p, k) => ({
    label: p.name,
    method: 'restyle',
    args: [
      { x: [Array.from(p.x), ...(extras[k] ?? []).map((trace) => trace['x'])], y: [Array.from(p.y), ...(extras[k] ?? []).map((trace) => trace['y'])] },
      [0, ...Array.from({ length: extraCount }, (_, i) => i + 1)],
    ],
  }));
  return {
    data,
    layout: {
      title: { text: options.title ?? '' },
      height: options.height ?? 560,
      legend: { orientation: 'h', y: -0.12 },
      margin: { t: 90 },
      updatemenus: [
        { buttons: colourButtons, direction: 'down', x: 0, xanchor: 'left', y: 1.12, yanchor: 'top', showactive: true },
        { buttons: projectionButtons, direction: 'down', x: 0.45, xanchor: 'left', y: 1.12, yanchor: 'top', showactive: true },
      ],
      annotations: [
        { text: 'colour:', x: 0, xref: 'paper', xanchor: 'right', y: 1.1, yref: 'paper', showarrow: false },
        { text: 'map:', x: 0.45, xref: 'paper', xanchor: 'right', y: 1.1, yref: 'paper', showarrow: false },
      ],
    },
  };
}
