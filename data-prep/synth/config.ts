/**
 * Typed knobs of the synthetic cohort generator. Every default lives in
 * `resolveSynthConfig()`; everything else reads a resolved `SynthConfig`.
 */

/** Options a caller may set; anything left out takes its default. */
export interface SynthOptions {
  /** Output folder (the cohort root). */
  out: string;
  /** Number of patients. */
  patients?: number;
  /** Side of the square images in pixels (128–512 supported and checked). */
  size?: number;
  /** Base seed: every random choice derives from it. */
  seed?: number;
  /** Image noise level, 0 (clean) … 1 (very grainy). */
  noise?: number;
  /** Subtlety of findings, 0 (obvious) … 1 (hard to see; contrast scaled down). */
  subtlety?: number;
  /** Probability per finding mention that the report is wrong (omits it, misses it or mentions a false one). */
  labelNoise?: number;
  /** Fraction of studies with a lateral image. */
  lateralRate?: number;
  /** Most studies per patient (1 … 20). */
  maxStudies?: number;
  /** Fractions of patients in train / validate / test (must sum to 1). */
  splitFractions?: readonly [number, number, number];
  /** JPEG quality (sharp/mozjpeg). */
  jpegQuality?: number;
  /** Worker threads for rendering (0 = render on the main thread). Output does not depend on it. */
  workers?: number;
}

/** Fully resolved configuration (no optional fields). */
export interface SynthConfig {
  out: string;
  patients: number;
  size: number;
  seed: number;
  noise: number;
  subtlety: number;
  labelNoise: number;
  lateralRate: number;
  maxStudies: number;
  splitFractions: readonly [number, number, number];
  jpegQuality: number;
  workers: number;
}

/** The defaults, in one place. */
export const SYNTH_DEFAULTS = {
  patients: 50,
  size: 256,
  seed: 1234,
  noise: 0.3,
  subtlety: 0.3,
  labelNoise: 0.03,
  lateralRate: 0.7,
  maxStudies: 8,
  splitFractions: [0.8, 0.1, 0.1] as const,
  jpegQuality: 90,
  workers: 0,
} as const;

function checkUnit(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new Error(`synth: ${name} must be in [0, 1], got ${v}`);
  return v;
}

function checkInt(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`synth: ${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
}

/** Fill in defaults and validate; throws with the offending value. */
export function resolveSynthConfig(opts: SynthOptions): SynthConfig {
  if (!opts.out) throw new Error('synth: out (output folder) is required');
  const d = SYNTH_DEFAULTS;
  const split = opts.splitFractions ?? d.splitFractions;
  const sum = split[0] + split[1] + split[2];
  if (split.some((f) => f < 0) || Math.abs(sum - 1) > 1e-6) {
    throw new Error(`synth: splitFractions must be non-negative and sum to 1, got [${split.join(', ')}]`);
  }
  return {
    out: opts.out,
    patients: checkInt('patients', opts.patients ?? d.patients, 1, 1_000_000),
    size: checkInt('size', opts.size ?? d.size, 64, 1024),
    seed: checkInt('seed', opts.seed ?? d.seed, 0, 0xffffffff),
    noise: checkUnit('noise', opts.noise ?? d.noise),
    subtlety: checkUnit('subtlety', opts.subtlety ?? d.subtlety),
    labelNoise: checkUnit('labelNoise', opts.labelNoise ?? d.labelNoise),
    lateralRate: checkUnit('lateralRate', opts.lateralRate ?? d.lateralRate),
    maxStudies: checkInt('maxStudies', opts.maxStudies ?? d.maxStudies, 1, 20),
    splitFractions: [split[0], split[1], split[2]],
    jpegQuality: checkInt('jpegQuality', opts.jpegQuality ?? d.jpegQuality, 30, 100),
    workers: checkInt('workers', opts.workers ?? d.workers, 0, 64),
  };
}
