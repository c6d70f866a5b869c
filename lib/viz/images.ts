/**
 * Grayscale images in notebooks: a grid of PNG thumbnails with captions, as one
 * HTML output (embedded as data URIs, so it survives HTML export).
 */
import sharp from 'sharp';
import { displayBundle, type MimeBundle } from './notebook_display.ts';
import { escapeHtml } from './plotly.ts';

/** One tile of a grid. */
export interface ImageTile {
  /** 8-bit grayscale pixels, row-major [height × width]. */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** Caption under the image (plain text; newlines kept). */
  caption?: string;
}

/** Encodes 8-bit grayscale pixels as PNG. */
export async function grayPng(pixels: Uint8Array, width: number, height: number): Promise<Buffer> {
  if (pixels.length !== width * height) throw new Error(`grayPng: ${pixels.length} pixels for ${width}×${height}`);
  return sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.length), { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

/** Maps float pixels (e.g. a [−1, 1] crop) linearly to 8-bit, using the given or observed range. */
export function toGray8(values: Float32Array | number[], range?: [number, number]): Uint8Array {
  let [lo, hi] = range ?? [Infinity, -Infinity];
  if (!range) for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  return Uint8Array.from(values, (v) => Math.max(0, Math.min(255, Math.round((v - lo) * scale))));
}

/** Options of `imageGridHtml`. */
export interface ImageGridOptions {
  /** Tiles per row (default 4). */
  columns?: number;
  /** Displayed tile width in CSS pixels (default 220). */
  tileWidth?: number;
  title?: string;
}

/** HTML for a grid of tiles. */
export async function imageGridHtml(tiles: readonly ImageTile[], options: ImageGridOptions = {}): Promise<string> {
  const columns = options.columns ?? 4;
  const width = options.tileWidth ?? 220;
  const cells = await Promise.all(
    tiles.map(async (tile) => {
      const png = await grayPng(tile.pixels, tile.width, tile.height);
      const caption = tile.caption ? `<figcaption style="font-size:11px;white-space:pre-wrap;max-width:${width}px">${escapeHtml(tile.caption)}</figcaption>` : '';
      return `<figure style="margin:4px"><img style="width:${width}px;image-rendering:pixelated" src="data:image/png;base64,${png.toString('base64')}"/>${caption}</figure>`;
    }),
  );
  const title = options.title ? `<h4>${escapeHtml(options.title)}</h4>` : '';
  return `${title}<div class="medst-image-grid" style="display:grid;grid-template-columns:repeat(${columns}, ${width + 8}px);align-items:start">${cells.join('')}</div>`;
}

/** The mime bundle for an image grid. */
export async function imageGridBundle(tiles: readonly ImageTile[], options: ImageGridOptions = {}): Promise<MimeBundle> {
  return { 'text/html': await imageGridHtml(tiles, options), 'text/plain': `<${tiles.length} image(s)>` };
}

/** Shows a grid of grayscale images in the notebook; outside a notebook it does nothing. */
export async function showImages(tiles: readonly ImageTile[], options: ImageGridOptions = {}): Promise<void> {
  displayBundle(await imageGridBundle(tiles, options));
}

/** A grey colour scale from black (lowest value) to white: radiographs as positives. */
export const GREY_COLORSCALE: ReadonlyArray<[number, string]> = [
  [0, 'rgb(0,0,0)'],
  [1, 'rgb(255,255,255)'],
];

/**
 * A radiograph as a Plotly heatmap trace: darkest value black, image top at
 * the top of Plotly's upward y axis (rows reversed), no colour bar. Use it
 * under overlays (attention maps); Plotly's named "Greys" scale runs the
 * other way, which is how the overlays of notebooks 02 and 04 came out as
 * negatives.
 *
 * @param pixels Row-major [height × width] values (any range; Plotly scales them;
 *   loosely typed, as notebook cells often hold untyped arrays).
 */
export function radiographTrace(pixels: ArrayLike<unknown>, width: number, height: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  if (pixels.length !== width * height) throw new Error(`radiographTrace: ${pixels.length} pixels for ${width}×${height}`);
  const rows = Array.from({ length: height }, (_, r) => Array.from({ length: width }, (_, c) => Number(pixels[r * width + c]))).reverse();
  return { z: rows, type: 'heatmap', colorscale: GREY_COLORSCALE, reversescale: false, showscale: false, name: 'radiograph', hoverinfo: 'skip', ...extra };
}
