/**
 * The acquisition stage shared by both views: density → grey level (exposure,
 * gamma), detector blur, quantum noise, then the per-study rotation/shift, and
 * quantisation to 8 bits. Label masks go through the same geometric warp.
 */
import type { Rng } from '../../lib/util/rng.ts';
import type { Acquisition } from './anatomy.ts';
import { acquisitionAffine, blur, noiseTable, warpBilinear, warpMaskNearest, type Affine, type Layer } from './raster.ts';
import { scratchLayer } from './scratch.ts';

const LUT_MAX = 4095;
let lutCache: { gamma: number; lut: Float32Array } | null = null;

/** v ↦ v^gamma on a 4096-step grid (Math.pow per pixel is the renderer's hottest call otherwise). */
function gammaLut(gamma: number): Float32Array {
  if (lutCache && lutCache.gamma === gamma) return lutCache.lut;
  const lut = new Float32Array(LUT_MAX + 1);
  for (let i = 0; i <= LUT_MAX; i++) lut[i] = Math.pow(i / LUT_MAX, gamma);
  lutCache = { gamma, lut };
  return lut;
}

/** Map density to 8-bit pixels in the written frame; returns pixels and the affine used. */
export function finishImage(dens: Layer, acq: Acquisition, rng: Rng): { pixels: Uint8Array; affine: Affine } {
  const { w, h, data } = dens;
  const tmp = scratchLayer('finish.tmp', w, h).data;
  // Detector/scatter blur keeps edges from aliasing at small sizes.
  blur(dens, 1, 1, tmp);
  const ex = acq.exposure, ns = acq.noiseStd;
  const lut = gammaLut(acq.gamma);
  const noise = noiseTable();
  const mask = noise.length - 1;
  // A random window into the shared noise table (odd stride: every pixel gets a distinct sample).
  let idx = rng.nextUint32() & mask;
  const stride = (rng.nextUint32() & mask) | 1;
  for (let i = 0; i < data.length; i++) {
    let v = data[i]! * ex;
    v = v <= 0 ? 0 : v >= 1 ? 1 : lut[(v * LUT_MAX) | 0]!;
    // Quantum noise, a little stronger in bright (dense) regions as displayed.
    data[i] = v + ns * noise[idx]! * (0.6 + 0.4 * v);
    idx = (idx + stride) & mask;
  }
  const affine = acquisitionAffine(w, h, acq.angle, acq.scale, acq.shiftX, acq.shiftY);
  warpBilinear(dens, affine, 0, tmp);
  const pixels = new Uint8Array(w * h);
  for (let i = 0; i < pixels.length; i++) {
    const v = tmp[i]! * 255 + 0.5;
    pixels[i] = v <= 0 ? 0 : v >= 255 ? 255 : v;
  }
  return { pixels, affine };
}

/** Threshold a float field into a mask and warp it into the written frame. */
export function finishMask(field: Float32Array, w: number, h: number, threshold: number, affine: Affine): Uint8Array | null {
  const m = new Uint8Array(w * h);
  let any = false;
  for (let i = 0; i < m.length; i++) {
    if (field[i]! > threshold) {
      m[i] = 1;
      any = true;
    }
  }
  if (!any) return null;
  const warped = warpMaskNearest(m, w, h, affine);
  for (let i = 0; i < warped.length; i++) if (warped[i]) return warped;
  return null;
}
