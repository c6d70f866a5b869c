/**
 * Training-time jitter of a crop beyond the random crop itself (MGCA-style
 * augmentation): a random rotation and scale about the crop centre (bilinear,
 * outside filled with black = −1), then random brightness and contrast. Works
 * on one C×C float crop in [−1, 1] in place; every draw comes from the batch's
 * seeded generator, so a (seed, epoch, batch) gives the same pixels anywhere.
 */
import type { Rng } from '../util/rng.ts';

/** How much to jitter; zeros switch a part off. Typed data in the trainer config. */
export interface JitterConfig {
  /** Rotation uniform in [−degrees, degrees]. */
  degrees: number;
  /** Scale uniform in [lo, hi] (1 = none). */
  scale: [number, number];
  /** Added offset uniform in [−brightness, brightness] (units of the [−1, 1] range). */
  brightness: number;
  /** Contrast factor uniform in [1 − contrast, 1 + contrast], about the crop's mean. */
  contrast: number;
}

/** Checks a jitter config; throws naming the field. */
export function validateJitter(config: JitterConfig): void {
  const { degrees, scale, brightness, contrast } = config;
  if (!(degrees >= 0 && degrees <= 180)) throw new Error(`jitter: degrees must be in [0, 180], got ${degrees}`);
  if (!Array.isArray(scale) || scale.length !== 2 || !(scale[0] > 0 && scale[1] >= scale[0])) throw new Error(`jitter: scale must be [lo, hi] with 0 < lo ≤ hi, got ${JSON.stringify(scale)}`);
  if (!(brightness >= 0)) throw new Error(`jitter: brightness must be ≥ 0, got ${brightness}`);
  if (!(contrast >= 0 && contrast < 1)) throw new Error(`jitter: contrast must be in [0, 1), got ${contrast}`);
}

/**
 * Jitters `pixels[offset .. offset + C·C)` in place.
 * @param scratch a Float32Array of at least C·C values (reused across calls)
 */
export function jitterCrop(pixels: Float32Array, offset: number, crop: number, config: JitterConfig, rng: Rng, scratch: Float32Array): void {
  const angle = ((rng.uniform() * 2 - 1) * config.degrees * Math.PI) / 180;
  const scale = config.scale[0] + rng.uniform() * (config.scale[1] - config.scale[0]);
  const brightness = (rng.uniform() * 2 - 1) * config.brightness;
  const contrast = 1 + (rng.uniform() * 2 - 1) * config.contrast;
  const n = crop * crop;
  if (angle !== 0 || scale !== 1) {
    scratch.set(pixels.subarray(offset, offset + n));
    // Output pixel → source pixel: the inverse rotation and scale about the centre.
    const centre = (crop - 1) / 2;
    const cos = Math.cos(angle) / scale;
    const sin = Math.sin(angle) / scale;
    for (let y = 0; y < crop; y++) {
      for (let x = 0; x < crop; x++) {
        const dx = x - centre;
        const dy = y - centre;
        const sx = cos * dx + sin * dy + centre;
        const sy = -sin * dx + cos * dy + centre;
        pixels[offset + y * crop + x] = bilinear(scratch, crop, sx, sy);
      }
    }
  }
  if (brightness !== 0 || contrast !== 1) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += pixels[offset + i]!;
    mean /= n;
    for (let i = 0; i < n; i++) {
      const v = (pixels[offset + i]! - mean) * contrast + mean + brightness;
      pixels[offset + i] = v < -1 ? -1 : v > 1 ? 1 : v;
    }
  }
}

/** Bilinear sample of a C×C image at (x, y); −1 (black) outside. */
function bilinear(image: Float32Array, c: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xi: number, yi: number) => (xi < 0 || yi < 0 || xi >= c || yi >= c ? -1 : image[yi * c + xi]!);
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}
