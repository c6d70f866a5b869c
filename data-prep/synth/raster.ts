/**
 * Rasterisation primitives on Float32Array layers (row-major, w×h). All loops
 * touch only a shape's bounding box; no per-pixel closures. Coordinates are in
 * pixels; callers scale normalised anatomy by the image size.
 */
import { Rng } from '../../lib/util/rng.ts';

export interface Layer {
  w: number;
  h: number;
  data: Float32Array;
}

export function newLayer(w: number, h: number): Layer {
  return { w, h, data: new Float32Array(w * h) };
}

export function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

/**
 * Add `amp` inside a rotated ellipse with a soft edge. `power` shapes the
 * interior: 0 = flat plateau, >0 = domed (thicker in the middle, like tissue).
 */
export function addEllipse(
  L: Layer, cx: number, cy: number, rx: number, ry: number, angle: number, amp: number, edge = 1.5, power = 0,
): void {
  const r = Math.max(rx, ry) + edge;
  const x0 = Math.max(0, Math.floor(cx - r)), x1 = Math.min(L.w - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r)), y1 = Math.min(L.h - 1, Math.ceil(cy + r));
  const c = Math.cos(angle), s = Math.sin(angle);
  const rm = Math.min(rx, ry);
  const d = L.data;
  for (let y = y0; y <= y1; y++) {
    const dy = y - cy;
    let o = y * L.w + x0;
    for (let x = x0; x <= x1; x++, o++) {
      const dx = x - cx;
      const u = (dx * c + dy * s) / rx;
      const v = (-dx * s + dy * c) / ry;
      const q = Math.sqrt(u * u + v * v);
      // Distance to the rim in pixels (approximate, scaled by the minor radius).
      const inside = (1 - q) * rm;
      if (inside <= -edge) continue;
      let a = inside >= edge ? 1 : smoothstep(-edge, edge, inside);
      if (power > 0) a *= Math.pow(Math.max(0, 1 - q * q), power);
      d[o] += amp * a;
    }
  }
}

/**
 * Max-composite a polyline stroke into `L`: value = amp·profile(dist/halfWidth).
 * `hollow` > 0 brightens the rim (cortical bone, tube walls).
 */
export function strokeMax(
  L: Layer, pts: ArrayLike<number>, halfWidth: number, amp: number, hollow = 0, halfWidthEnd = halfWidth,
): void {
  const n = pts.length / 2;
  const d = L.data;
  for (let i = 0; i + 1 < n; i++) {
    const ax = pts[2 * i]!, ay = pts[2 * i + 1]!, bx = pts[2 * i + 2]!, by = pts[2 * i + 3]!;
    const hwA = halfWidth + (halfWidthEnd - halfWidth) * (i / Math.max(1, n - 1));
    const hwB = halfWidth + (halfWidthEnd - halfWidth) * ((i + 1) / Math.max(1, n - 1));
    const hw = Math.max(hwA, hwB);
    const pad = hw + 1;
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - pad)), x1 = Math.min(L.w - 1, Math.ceil(Math.max(ax, bx) + pad));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - pad)), y1 = Math.min(L.h - 1, Math.ceil(Math.max(ay, by) + pad));
    const vx = bx - ax, vy = by - ay;
    const len2 = vx * vx + vy * vy || 1e-9;
    for (let y = y0; y <= y1; y++) {
      let o = y * L.w + x0;
      for (let x = x0; x <= x1; x++, o++) {
        const px = x - ax, py = y - ay;
        let t = (px * vx + py * vy) / len2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = px - t * vx, ey = py - t * vy;
        const dist = Math.sqrt(ex * ex + ey * ey);
        const hwt = hwA + (hwB - hwA) * t;
        if (dist >= hwt + 0.7) continue;
        // Anti-aliased edge over ~1.4 px; interior follows the profile.
        const edgeA = Math.min(1, (hwt + 0.7 - dist) / 1.4);
        const rr = Math.min(1, dist / Math.max(hwt, 0.5));
        const prof = hollow > 0 ? 1 - hollow + hollow * rr * rr * rr : 1 - 0.25 * rr * rr;
        const v = amp * prof * edgeA;
        if (v > d[o]!) d[o] = v;
      }
    }
  }
}

/** One horizontal then vertical box-blur pass of radius r (in place, uses `tmp`); edges clamp. */
export function boxBlur(L: Layer, r: number, tmp: Float32Array): void {
  if (r < 1) return;
  const { w, h, data } = L;
  const inv = 1 / (2 * r + 1);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const first = data[row]!, last = data[row + w - 1]!;
    let acc = 0;
    for (let k = -r; k <= r; k++) acc += data[row + Math.min(w - 1, Math.max(0, k))]!;
    for (let x = 0; x < w; x++) {
      tmp[row + x] = acc * inv;
      const add = x + r + 1 < w ? data[row + x + r + 1]! : last;
      const sub = x - r >= 0 ? data[row + x - r]! : first;
      acc += add - sub;
    }
  }
  // Vertical pass row by row (cache friendly): running sums per column.
  const acc = new Float64Array(w);
  for (let k = -r; k <= r; k++) {
    const row = Math.min(h - 1, Math.max(0, k)) * w;
    for (let x = 0; x < w; x++) acc[x] += tmp[row + x]!;
  }
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const addRow = Math.min(h - 1, y + r + 1) * w;
    const subRow = Math.max(0, y - r) * w;
    for (let x = 0; x < w; x++) {
      data[row + x] = acc[x]! * inv;
      acc[x] += tmp[addRow + x]! - tmp[subRow + x]!;
    }
  }
}

/** Approximate Gaussian blur: `passes` box blurs of radius r. */
export function blur(L: Layer, r: number, passes: number, tmp: Float32Array): void {
  for (let i = 0; i < passes; i++) boxBlur(L, r, tmp);
}

let noiseCache: Float32Array | null = null;

/**
 * 2^20 unit-variance triangular noise samples from a fixed seed, identical on
 * every run and thread. Images read it through a random (offset, odd stride)
 * window, which is far cheaper than a generator call per pixel.
 */
export function noiseTable(): Float32Array {
  if (noiseCache) return noiseCache;
  const r = new Rng(0x5eedcafe);
  const n = 1 << 20;
  const t = new Float32Array(n);
  const k = Math.sqrt(6) / 4294967296;
  for (let i = 0; i < n; i++) t[i] = (r.nextUint32() + r.nextUint32() - 4294967296) * k;
  noiseCache = t;
  return t;
}

/** Fill with unit-variance white noise times `amp`, through a random window of the noise table. */
export function fillNoise(L: Layer, rng: Rng, amp: number): void {
  const d = L.data;
  const t = noiseTable();
  const mask = t.length - 1;
  let idx = rng.nextUint32() & mask;
  const stride = (rng.nextUint32() & mask) | 1;
  for (let i = 0; i < d.length; i++) {
    d[i] = amp * t[idx]!;
    idx = (idx + stride) & mask;
  }
}

/** Smooth random texture: white noise blurred at radius r and renormalised to ~unit std. */
export function smoothNoise(L: Layer, rng: Rng, r: number, tmp: Float32Array): void {
  fillNoise(L, rng, 1);
  blur(L, r, 2, tmp);
  // Two box blurs of radius r shrink the std by about (2r+1)·0.8; undo that.
  const gain = (2 * r + 1) * 0.8;
  const d = L.data;
  for (let i = 0; i < d.length; i++) d[i] *= gain;
}

/** A 2×3 affine map (x' = a·x + b·y + c, y' = d·x + e·y + f). */
export type Affine = readonly [number, number, number, number, number, number];

/** Rotation by `angle` about the image centre, scaling by `scale`, then shift by (tx, ty) pixels. */
export function acquisitionAffine(w: number, h: number, angle: number, scale: number, tx: number, ty: number): Affine {
  const cx = w / 2, cy = h / 2;
  const c = Math.cos(angle) * scale, s = Math.sin(angle) * scale;
  return [c, -s, cx - c * cx + s * cy + tx, s, c, cy - s * cx - c * cy + ty];
}

function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  return [e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det];
}

/** Resample `src` through the forward map `m` (bilinear; outside → `fill`). */
export function warpBilinear(src: Layer, m: Affine, fill: number, dst: Float32Array): void {
  const [a, b, c, d, e, f] = invertAffine(m);
  const { w, h, data } = src;
  for (let y = 0; y < h; y++) {
    let sx = b * y + c, sy = e * y + f;
    let o = y * w;
    for (let x = 0; x < w; x++, o++, sx += a, sy += d) {
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 >= w - 1 || y0 >= h - 1) {
        dst[o] = fill;
        continue;
      }
      const fx = sx - x0, fy = sy - y0;
      const i = y0 * w + x0;
      const top = data[i]! + (data[i + 1]! - data[i]!) * fx;
      const bot = data[i + w]! + (data[i + w + 1]! - data[i + w]!) * fx;
      dst[o] = top + (bot - top) * fy;
    }
  }
}

/** Resample a binary mask through `m` (nearest neighbour), so labels follow the written pixels. */
export function warpMaskNearest(src: Uint8Array, w: number, h: number, m: Affine): Uint8Array {
  const [a, b, c, d, e, f] = invertAffine(m);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = Math.round(a * x + b * y + c), sy = Math.round(d * x + e * y + f);
      if (sx >= 0 && sy >= 0 && sx < w && sy < h) out[y * w + x] = src[sy * w + sx]!;
    }
  }
  return out;
}

/** Bounding box {x, y, width, height} of the non-zero pixels, or null. */
export function maskBox(mask: Uint8Array, w: number, h: number): { x: number; y: number; width: number; height: number } | null {
  let xa = w, ya = h, xb = -1, yb = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (mask[y * w + x]) {
        if (x < xa) xa = x;
        if (x > xb) xb = x;
        if (y < ya) ya = y;
        if (y > yb) yb = y;
      }
    }
  }
  return xb < 0 ? null : { x: xa, y: ya, width: xb - xa + 1, height: yb - ya + 1 };
}
