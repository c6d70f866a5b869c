/**
 * Minimal SIIM-ACR style RLE encoder for the synthetic pneumothorax masks
 * (kept inside data-prep so the generator does not depend on lib/; the
 * library's reader lives in lib/data/rle.ts).
 *
 * Format: pixels in column-major order (index = x·H + y); runs as pairs
 * "start length", where each start is relative to the end of the previous run
 * (the first one is the absolute 0-based offset). An empty mask is "-1".
 */
export function encodeSiimRelativeRle(mask: Uint8Array, width: number, height: number): string {
  if (mask.length !== width * height) throw new Error(`encodeSiimRelativeRle: mask has ${mask.length} pixels, expected ${width}×${height}`);
  const out: number[] = [];
  let prevEnd = 0;
  let runStart = -1;
  const n = width * height;
  for (let i = 0; i <= n; i++) {
    let on = false;
    if (i < n) {
      const x = Math.floor(i / height), y = i - x * height;
      on = mask[y * width + x] !== 0;
    }
    if (on && runStart < 0) runStart = i;
    else if (!on && runStart >= 0) {
      out.push(runStart - prevEnd, i - runStart);
      prevEnd = i;
      runStart = -1;
    }
  }
  return out.length ? out.join(' ') : '-1';
}
