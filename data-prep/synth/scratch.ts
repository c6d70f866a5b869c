/**
 * Reusable scratch buffers per image size, so rendering thousands of images
 * does not churn the garbage collector. Each renderer takes named buffers and
 * gets them zeroed. Module-level state is fine: each worker thread has its own.
 */
import { Rng } from '../../lib/util/rng.ts';
import { smoothNoise, type Layer } from './raster.ts';

const pools = new Map<number, Map<string, Float32Array>>();

/** A zeroed w×h layer named `name` (the same memory on every call with that name and size). */
export function scratchLayer(name: string, w: number, h: number): Layer {
  const n = w * h;
  let pool = pools.get(n);
  if (!pool) {
    pool = new Map();
    pools.set(n, pool);
  }
  let buf = pool.get(name);
  if (!buf) {
    buf = new Float32Array(n);
    pool.set(name, buf);
  } else {
    buf.fill(0);
  }
  return { w, h, data: buf };
}

let textureCache: { seed: number; size: number; data: Float32Array } | null = null;

/**
 * A patient's parenchymal texture (unit-variance smooth noise), fixed across
 * their studies and views; cached because a patient's images render back to back.
 */
export function patientTexture(seed: number, S: number): Float32Array {
  if (textureCache && textureCache.seed === seed && textureCache.size === S) return textureCache.data;
  const tex = { w: S, h: S, data: new Float32Array(S * S) };
  smoothNoise(tex, new Rng(seed), Math.max(1, Math.round(S / 160)), scratchLayer('texture.tmp', S, S).data);
  textureCache = { seed, size: S, data: tex.data };
  return tex.data;
}
