/**
 * Lateral view geometry in pixels. Convention: the patient faces the image
 * left (anterior = left, posterior/spine = right), as lateral films are hung.
 * Per row: anterior and posterior lung borders; per column: apex and the two
 * hemidiaphragms (the right one higher), which slope down to the posterior
 * costophrenic sulci; the heart as a tilted ellipse on the anterior diaphragm.
 */
import type { StudyScene } from './findings.ts';
import { addEllipse, smoothstep, type Layer } from './raster.ts';
import { scratchLayer } from './scratch.ts';

export interface LateralGeometry {
  S: number;
  /** Per row: anterior skin, posterior skin, anterior and posterior lung borders (px). */
  skinA: Float32Array;
  skinP: Float32Array;
  lungA: Float32Array;
  lungP: Float32Array;
  /** Per row: centre of the vertebral bodies (kyphotic curve). */
  spineX: Float32Array;
  /** Per column: apex top and the two hemidiaphragms. */
  apexTop: Float32Array;
  diaR: Float32Array;
  diaL: Float32Array;
  domeY: number;
  /** Lowest points (posterior sulci) of each hemidiaphragm. */
  sulcusR: number;
  sulcusL: number;
  hilum: [number, number];
  heart: { cx: number; cy: number; rx: number; ry: number; angle: number };
  /** Soft masks: aerated lung (below apex, above the higher diaphragm at each column), heart. */
  lung: Layer;
  heartMask: Layer;
}

/** Diaphragm height at x: gentle anterior slope, steep fall to the posterior sulcus. */
function diaphragm(x: number, peakX: number, top: number, antX: number, postX: number, S: number): number {
  if (x < peakX) {
    const q = (peakX - x) / Math.max(1, peakX - antX);
    return top + 0.05 * S * q * q;
  }
  const q = Math.min(1.2, (x - peakX) / Math.max(1, postX - peakX));
  return top + 0.19 * S * Math.pow(q, 2.2);
}

export function lateralGeometry(scene: StudyScene, liftR: number, liftL: number): LateralGeometry {
  const { anatomy: A, acq: Q, size: S } = scene;
  const D = 0.35 * A.chestDepth * S;
  const c = 0.53 * S;
  const skinA = new Float32Array(S), skinP = new Float32Array(S), lungA = new Float32Array(S), lungP = new Float32Array(S), spineX = new Float32Array(S);
  for (let y = 0; y < S; y++) {
    const v = y / S;
    // Neck recedes anteriorly above the manubrium; the upper back bulges with kyphosis.
    const neck = 0.13 * S * (1 - smoothstep(0.02, 0.2, v));
    const belly = 0.02 * S * smoothstep(0.7, 1, v) * (1 + A.habitus);
    skinA[y] = c - D + neck - belly + 0.015 * S * Math.sin(Math.PI * v);
    const kyph = A.kyphosis * S * Math.sin(Math.PI * Math.min(1, v * 1.3));
    skinP[y] = c + D + kyph - 0.06 * S * (1 - smoothstep(0.0, 0.25, v));
    lungA[y] = skinA[y]! + (0.05 + 0.01 * A.habitus) * S;
    lungP[y] = skinP[y]! - 0.055 * S;
    spineX[y] = c + D - 0.13 * S + kyph * 0.9;
  }
  const apexY = A.apexY * S;
  const domeY = (A.domeRightY - 0.015 - Q.inspiration + (Q.ap ? 0.02 : 0)) * S;
  const midRow = Math.min(S - 1, Math.round(domeY));
  const antX = lungA[midRow]!, postX = lungP[midRow]!;
  const peakX = antX + 0.36 * (postX - antX);
  const topR = domeY - liftR * S, topL = domeY + (A.domeLeftDrop - liftL) * S;
  const apexTop = new Float32Array(S), diaR = new Float32Array(S), diaL = new Float32Array(S);
  for (let x = 0; x < S; x++) {
    const a = (x - (antX + 0.55 * (postX - antX))) / (0.5 * (postX - antX));
    apexTop[x] = apexY + 0.12 * S * a * a;
    diaR[x] = diaphragm(x, peakX, topR, antX, postX, S);
    // The left dome is a little lower and ends slightly more posteriorly.
    diaL[x] = diaphragm(x, peakX + 0.02 * S, topL, antX, postX + 0.01 * S, S);
  }
  const sulcusR = diaR[Math.min(S - 1, Math.round(postX))]!;
  const sulcusL = diaL[Math.min(S - 1, Math.round(postX))]!;

  const ctrScale = (scene.ctr * Q.heartMagnification) / 0.45;
  const heart = {
    cx: antX + 0.19 * S * (0.8 + 0.2 * ctrScale),
    cy: topR - 0.04 * S,
    rx: 0.2 * S * ctrScale,
    ry: 0.14 * S * (0.8 + 0.2 * ctrScale),
    angle: -0.65,
  };
  const heartMask = scratchLayer('lat.heart', S, S);
  addEllipse(heartMask, heart.cx, heart.cy, heart.rx, heart.ry, heart.angle, 1, 0.02 * S, 0);

  const lung = scratchLayer('lat.lung', S, S);
  // Two lungs superimposed never share one sharp outline: soft borders.
  const e = Math.max(1, 0.012 * S);
  for (let y = 0; y < S; y++) {
    const la = lungA[y]!, lp = lungP[y]!;
    let o = y * S;
    for (let x = 0; x < S; x++, o++) {
      if (x < la - e || x > lp + e) continue;
      const side = smoothstep(la - e, la + e, x) * (1 - smoothstep(lp - e, lp + e, x));
      const top = smoothstep(apexTop[x]! - e, apexTop[x]! + e, y);
      // Aerated lung extends down to the lower of the two domes (both lungs overlap here).
      const dia = Math.max(diaR[x]!, diaL[x]!);
      const bot = 1 - smoothstep(dia - e, dia + e, y);
      lung.data[o] = side * top * bot;
    }
  }
  return {
    S, skinA, skinP, lungA, lungP, spineX, apexTop, diaR, diaL, domeY: topR, sulcusR, sulcusL,
    hilum: [antX + 0.5 * (postX - antX), topR - 0.2 * S], heart, lung, heartMask,
  };
}
