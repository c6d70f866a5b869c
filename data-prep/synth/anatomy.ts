/**
 * Per-patient anatomy and per-study acquisition parameters, in normalised
 * image coordinates (x right, y down, both 0…1 across the square image; on the
 * frontal view the patient's right is on the image left, as in a PA film).
 * A patient's anatomy is fixed across their studies; acquisition varies per study.
 */
import type { Rng } from '../../lib/util/rng.ts';

/** A vessel (or bronchus) branch: a polyline with start/end half-widths. */
export interface Branch {
  pts: number[];
  hw0: number;
  hw1: number;
}

export interface PatientAnatomy {
  /** −1 slender … +1 broad/obese. */
  habitus: number;
  /** Half width of the thoracic cage at its widest (normalised). */
  thoraxHalf: number;
  /** Lung apex height. */
  apexY: number;
  /** Right hemidiaphragm dome top at full inspiration. */
  domeRightY: number;
  /** Left dome sits lower than the right by this much. */
  domeLeftDrop: number;
  /** Vertical distance from dome top to the lateral costophrenic angle. */
  cpDepth: number;
  /** Shape of the lateral lung border (lower = boxier). */
  lungCurve: number;
  /** Cardiothoracic ratio when the heart is normal. */
  normalCtr: number;
  /** Fraction of the heart lying left of the midline. */
  heartLeftFrac: number;
  /** Extra soft-tissue density (habitus, breasts). */
  softTissue: number;
  /** Breast shadow size (0 for most men). */
  breast: number;
  /** Posterior rib spacing (normalised) and phase. */
  ribGap: number;
  ribPhase: number;
  /** Pulmonary vessel trees, right and left (frontal, normalised). */
  vesselsRight: Branch[];
  vesselsLeft: Branch[];
  /** Lateral view: anteroposterior chest depth scale and kyphosis. */
  chestDepth: number;
  kyphosis: number;
  /** Fixed seed for the patient's parenchymal texture. */
  textureSeed: number;
}

export interface Acquisition {
  /** Rotation (radians), scale and shift (pixels) applied after rendering. */
  angle: number;
  scale: number;
  shiftX: number;
  shiftY: number;
  /** Density gain (exposure) and output gamma (contrast). */
  exposure: number;
  gamma: number;
  /** Noise standard deviation on the 0…1 output scale. */
  noiseStd: number;
  /** Inspiration: positive lowers the diaphragm (deeper breath). */
  inspiration: number;
  /** AP projection magnifies the heart. */
  heartMagnification: number;
  /** AP films show the scapulae over the lungs and more horizontal clavicles. */
  ap: boolean;
}

function growTree(rng: Rng, out: Branch[], x: number, y: number, angle: number, len: number, hw: number, depth: number): void {
  const pts: number[] = [x, y];
  const segs = 4;
  let a = angle, px = x, py = y;
  for (let i = 0; i < segs; i++) {
    a += rng.normal(0, 0.12);
    px += (Math.cos(a) * len) / segs;
    py += (Math.sin(a) * len) / segs;
    pts.push(px, py);
  }
  const hwEnd = hw * 0.72;
  out.push({ pts, hw0: hw, hw1: hwEnd });
  if (depth <= 0 || hw < 0.0012) return;
  const kids = rng.bernoulli(0.35) ? 3 : 2;
  for (let k = 0; k < kids; k++) {
    const spread = (k - (kids - 1) / 2) * rng.range(0.35, 0.6);
    growTree(rng, out, px, py, a + spread, len * rng.range(0.62, 0.8), hwEnd * rng.range(0.75, 0.95), depth - 1);
  }
}

/** Vessel fan from a hilum: upper, lateral and lower branches. `dir` = −1 (image left) or +1. */
function vesselTree(rng: Rng, hx: number, hy: number, dir: number): Branch[] {
  const out: Branch[] = [];
  const base = dir < 0 ? Math.PI : 0;
  // Angles measured from horizontal-outward; negative = upward.
  const fan = [-1.25, -0.75, -0.25, 0.25, 0.7, 1.15];
  for (const f of fan) {
    const ang = dir < 0 ? base - f : base + f;
    growTree(rng, out, hx + rng.normal(0, 0.006), hy + f * 0.02, ang + rng.normal(0, 0.1), rng.range(0.07, 0.1), rng.range(0.0045, 0.006), 4);
  }
  return out;
}

/** Draw a patient's fixed anatomy. */
export function samplePatientAnatomy(rng: Rng, sex: 'M' | 'F', age: number): PatientAnatomy {
  const habitus = Math.max(-1, Math.min(1, rng.normal(0, 0.45)));
  const thoraxHalf = 0.385 + 0.03 * habitus + rng.normal(0, 0.008) - (sex === 'F' ? 0.01 : 0);
  const apexY = rng.range(0.1, 0.14);
  const domeRightY = rng.range(0.6, 0.67) - 0.015 * habitus;
  return {
    habitus,
    thoraxHalf,
    apexY,
    domeRightY,
    domeLeftDrop: rng.range(0.01, 0.04),
    cpDepth: rng.range(0.09, 0.125),
    lungCurve: rng.range(0.35, 0.6),
    normalCtr: rng.range(0.38, 0.47),
    heartLeftFrac: rng.range(0.6, 0.7),
    softTissue: 0.9 + 0.25 * Math.max(0, habitus) + rng.range(0, 0.1),
    breast: sex === 'F' ? rng.range(0.4, 1) : 0,
    ribGap: rng.range(0.052, 0.06),
    ribPhase: rng.range(-0.008, 0.008),
    vesselsRight: vesselTree(rng, 0.5 - 0.085, 0.41 + rng.normal(0, 0.01), -1),
    vesselsLeft: vesselTree(rng, 0.5 + 0.09, 0.39 + rng.normal(0, 0.01), 1),
    chestDepth: rng.range(0.92, 1.06) + 0.05 * habitus + (age > 70 ? 0.03 : 0),
    kyphosis: rng.range(0, 0.04) + (age > 70 ? 0.02 : 0),
    textureSeed: rng.nextUint32(),
  };
}

/** Draw one study's acquisition. `noise` is the config knob (0…1). */
export function sampleAcquisition(rng: Rng, ap: boolean, noise: number, sizePx: number): Acquisition {
  return {
    angle: rng.normal(0, 0.025),
    scale: rng.range(0.96, 1.04),
    shiftX: rng.normal(0, 0.012) * sizePx,
    shiftY: rng.normal(0, 0.012) * sizePx,
    exposure: rng.range(0.88, 1.12),
    gamma: rng.range(0.85, 1.15),
    noiseStd: (0.008 + 0.06 * noise) * rng.range(0.8, 1.2) * (ap ? 1.25 : 1),
    inspiration: ap ? rng.range(-0.05, 0) : rng.range(-0.015, 0.02),
    heartMagnification: ap ? rng.range(1.1, 1.18) : 1,
    ap,
  };
}
