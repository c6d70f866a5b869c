/**
 * Frontal (PA/AP) geometry in pixels: per-row lateral lung borders and
 * mediastinal borders, per-column apex and diaphragm heights, and the soft
 * lung / hemithorax masks derived from them. Image left = patient's right.
 */
import type { StudyScene } from './findings.ts';
import type { Layer } from './raster.ts';
import { smoothstep } from './raster.ts';
import { scratchLayer } from './scratch.ts';

export interface FrontalGeometry {
  S: number;
  mid: number;
  /** Thoracic half width (px). */
  T: number;
  apexY: number;
  domeR: number;
  domeL: number;
  cpR: number;
  cpL: number;
  /** Per row: half width of the lung fields from the midline. */
  latHalf: Float32Array;
  /** Per row: mediastinal border on the image left (patient right) and image right. */
  medR: Float32Array;
  medL: Float32Array;
  /** Per row: half width of the body. */
  bodyHalf: Float32Array;
  /** Per column: lung apex top and diaphragm height. */
  apexTop: Float32Array;
  diaY: Float32Array;
  /** Hilum centres (px). */
  hilumR: [number, number];
  hilumL: [number, number];
  heartTop: number;
  /** Soft masks (0…1): aerated lung; hemithorax (lung space ignoring the diaphragm, for fluid); mediastinum. */
  lung: Layer;
  hemi: Layer;
  med: Layer;
}

/**
 * Heart border profile on q ∈ [0,1] (top of the heart → diaphragm): leaves the upper
 * mediastinum with a gentle slope (no shoulder), peaks at qPeak, then falls by `drop` at
 * q = 1. `round` < 1 makes the rise rounder (right atrium), 1 a plain sine (left ventricle).
 */
function bulge(q: number, qPeak: number, drop: number, round: number): number {
  if (q < qPeak) return Math.pow(Math.sin((Math.PI / 2) * (q / qPeak)), round);
  const z = (q - qPeak) / (1 - qPeak);
  return 1 - drop * z * z;
}

/** Build the geometry; `liftR`/`liftL` raise a hemidiaphragm (volume loss) in normalised units. */
export function frontalGeometry(scene: StudyScene, liftR: number, liftL: number): FrontalGeometry {
  const { anatomy: A, acq: Q, size: S } = scene;
  const mid = 0.5 * S;
  const T = A.thoraxHalf * S;
  const apexY = A.apexY * S;
  const domeR = (A.domeRightY - Q.inspiration - liftR + (Q.ap ? 0.02 : 0)) * S;
  const domeL = domeR + (A.domeLeftDrop - liftL + liftR) * S;
  const cpD = A.cpDepth * S;
  const cpR = domeR + cpD, cpL = domeL + cpD;
  const cpMax = Math.max(cpR, cpL);

  const latHalf = new Float32Array(S), medR = new Float32Array(S), medL = new Float32Array(S), bodyHalf = new Float32Array(S);
  const apexTop = new Float32Array(S), diaY = new Float32Array(S);

  // Heart: width from the cardiothoracic ratio (AP films magnify it).
  const heartW = scene.ctr * 2 * T * Q.heartMagnification;
  const heartLeft = heartW * A.heartLeftFrac;
  const heartRight = heartW - heartLeft;
  const heartTop = domeR - 0.21 * S;
  const heartBottom = domeL + 0.01 * S;

  for (let y = 0; y < S; y++) {
    const v = y / S;
    const t = Math.min(1, Math.max(0, (y - apexY) / (cpMax - apexY)));
    latHalf[y] = T * (0.6 + 0.4 * Math.pow(t, A.lungCurve));
    // Upper mediastinum: trachea/SVC on the right, aortic knob and pulmonary trunk on the left.
    const upR = (0.042 + 0.018 * smoothstep(0.12, 0.36, v)) * S;
    const knob = 0.028 * S * Math.exp(-(((v - 0.3) / 0.035) ** 2));
    const trunk = 0.016 * S * Math.exp(-(((v - 0.38) / 0.025) ** 2));
    const upL = (0.038 + 0.014 * smoothstep(0.12, 0.3, v)) * S + knob + trunk;
    let r = upR, l = upL;
    if (y > heartTop) {
      // Right border bulges gently low down (right atrium); the left border sweeps out to the apex near the diaphragm.
      const q = Math.min(1, (y - heartTop) / (heartBottom - heartTop));
      r = Math.max(r, upR + (heartRight - upR) * bulge(q, 0.62, 0.25, 0.75));
      l = Math.max(l, upL + (heartLeft - upL) * bulge(q, 0.8, 0.35, 1));
    }
    medR[y] = mid - r;
    medL[y] = mid + l;
    // Body: neck, sloping shoulders and arms past the image edge, then chest wall and waist.
    const chest = T + (0.055 + 0.03 * A.habitus) * S;
    const neck = (0.1 + 0.015 * A.habitus) * S;
    // Shoulders and upper arms reach the image edge (the arms hang beside the chest).
    const shoulder = (0.52 + 0.02 * A.habitus) * S;
    const up = smoothstep(0.0, 0.11, v);
    const down = smoothstep(0.2, 0.42, v);
    bodyHalf[y] = neck + (shoulder - neck) * up * (1 - down) + (chest - neck) * down + 0.012 * S * Math.sin(Math.PI * smoothstep(0.35, 0.95, v)) - 0.02 * S * smoothstep(0.8, 1, v);
  }
  for (let x = 0; x < S; x++) {
    const right = x < mid;
    const dx = Math.abs(x - mid);
    const dome = right ? domeR : domeL;
    const off = (dx - 0.5 * T) / (0.5 * T);
    diaY[x] = dome + cpD * (off > 0 ? off * off : 0.6 * off * off);
    const a = (dx - 0.42 * T) / (0.5 * T);
    apexTop[x] = apexY + 0.1 * S * a * a;
  }

  const lung = scratchLayer('geo.lung', S, S), hemi = scratchLayer('geo.hemi', S, S), med = scratchLayer('geo.med', S, S);
  const e = Math.max(1, 0.005 * S);
  for (let y = 0; y < S; y++) {
    const lh = latHalf[y]!, mr = medR[y]!, ml = medL[y]!;
    let o = y * S;
    for (let x = 0; x < S; x++, o++) {
      const dx = Math.abs(x - mid);
      const m = smoothstep(mr - e, mr + e, x) * (1 - smoothstep(ml - e, ml + e, x));
      med.data[o] = m;
      const sLat = 1 - smoothstep(lh - e, lh + e, dx);
      if (sLat <= 0) continue;
      const sTop = smoothstep(apexTop[x]! - e, apexTop[x]! + e, y);
      const h = sLat * sTop * (1 - m);
      const cp = x < mid ? cpR : cpL;
      hemi.data[o] = h * (1 - smoothstep(cp, cp + 2 * e, y));
      lung.data[o] = h * (1 - smoothstep(diaY[x]! - e, diaY[x]! + e, y));
    }
  }
  return {
    S, mid, T, apexY, domeR, domeL, cpR, cpL, latHalf, medR, medL, bodyHalf, apexTop, diaY,
    hilumR: [mid - 0.085 * S, heartTop - 0.01 * S],
    hilumL: [mid + 0.09 * S, heartTop - 0.03 * S],
    heartTop, lung, hemi, med,
  };
}
