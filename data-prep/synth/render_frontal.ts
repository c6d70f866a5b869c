/**
 * Frontal (PA/AP) chest radiograph renderer. Works in a density layer
 * (0 = air … ~1 = bone/metal) in the anatomical frame, then `finishImage`
 * applies exposure, noise and the acquisition warp.
 *
 * Layers: body soft tissue (thicker centrally) → aerated lungs subtract →
 * mediastinum/heart and abdomen add → spine, ribs, clavicles, scapulae, humeri
 * → findings → pulmonary vessels and parenchymal texture (hidden where a
 * pneumothorax or fluid is) → support devices.
 */
import { Rng } from '../../lib/util/rng.ts';
import type { PatientAnatomy } from './anatomy.ts';
import type { RenderedView, StudyScene } from './findings.ts';
import { frontalGeometry, type FrontalGeometry } from './frontal_geometry.ts';
import { drawFrontalDevices, drawFrontalFindings, effusionField } from './frontal_findings.ts';
import { finishImage, finishMask } from './finish.ts';
import { addEllipse, blur, smoothstep, strokeMax, type Layer } from './raster.ts';
import { patientTexture, scratchLayer } from './scratch.ts';

/** Lung path-length profile across a hemithorax (0 = mediastinal edge, 1 = chest wall). */
const THICK_LUT = new Float32Array(256).map((_, i) => Math.pow(Math.sin(Math.PI * (0.1 + 0.8 * (i / 255))), 0.6));

/** Soft tissue, lungs, mediastinum, abdomen and the posterior lung recesses. */
function drawSoftTissue(g: FrontalGeometry, A: PatientAnatomy, dens: Layer, fluid: Float32Array): void {
  const { S, mid } = g;
  const e = Math.max(1, 0.008 * S);
  const d = dens.data;
  const rho = 0.46 * A.softTissue;
  for (let y = 0; y < S; y++) {
    const bh = g.bodyHalf[y]!, lh = g.latHalf[y]!, mr = g.medR[y]!, ml = g.medL[y]!;
    const v = y / S;
    // Heart is denser than the upper mediastinum; both are denser than the chest wall.
    const vert = 0.7 + 0.3 * smoothstep(g.apexY, g.domeR, y);
    const medAmp = 0.16 + 0.05 * smoothstep(0.1, 0.35, v) + 0.015 * smoothstep(g.heartTop - 0.03 * S, g.heartTop + 0.06 * S, y);
    let o = y * S;
    for (let x = 0; x < S; x++, o++) {
      const dx = Math.abs(x - mid);
      const inBody = 1 - smoothstep(bh - e, bh + e, dx);
      if (inBody <= 0) continue;
      const q = Math.min(1, dx / bh);
      let val = rho * inBody * (0.72 + 0.28 * Math.sqrt(1 - q * q));
      const fl = fluid[o]!;
      const lung = g.lung.data[o]! * (1 - fl);
      if (lung > 0) {
        const medEdge = x < mid ? mid - mr : ml - mid;
        const f = Math.min(1, Math.max(0, (dx - medEdge) / Math.max(1, lh - medEdge)));
        // Path length through lung: thin at the borders, thickest mid-lateral and towards the bases.
        val -= 0.34 * lung * THICK_LUT[(f * 255) | 0]! * vert;
      }
      const dia = g.diaY[x]!;
      let below = 0;
      // Liver, spleen and stomach fill the body below the diaphragm out to the abdominal wall.
      if (y > dia - e) {
        below = smoothstep(dia - e, dia + e, y);
        val += 0.2 * below * inBody;
        // Posterior recesses: aerated lung behind the domes still darkens the upper abdomen.
        if (dx < lh && dx > (x < mid ? mid - mr : ml - mid)) val -= 0.1 * (1 - fl) * below * Math.exp(-(y - dia) / (0.05 * S));
      }
      // Pleural fluid is water density, like the liver below it: the two merge (the hemidiaphragm
      // and costophrenic angle are lost), leaving the meniscus as the visible edge.
      val += 0.17 * fl * (1 - below);
      // The heart and mediastinum end at the diaphragm; being rounded, they are thickest centrally.
      const across = (2 * x - mr - ml) / Math.max(1, ml - mr);
      const round = 0.72 + 0.28 * Math.sqrt(Math.max(0, 1 - across * across));
      val += medAmp * round * g.med.data[o]! * inBody * (1 - below);
      d[o] = val;
    }
  }
  // Gastric air bubble under the left dome; breast shadows over the lower zones.
  addEllipse(dens, mid + 0.5 * g.T, g.domeL + 0.045 * S, 0.05 * S, 0.025 * S, 0, -0.12, 0.01 * S, 0.5);
  if (A.breast > 0) {
    for (const dir of [-1, 1]) addEllipse(dens, mid + dir * 0.62 * g.T, g.domeR + 0.04 * S, 0.22 * S, 0.13 * S * A.breast, 0, 0.07 * A.breast, 0.006 * S, 0.7);
  }
}

/**
 * Thoracic spine: vertebral bodies with slightly brighter end plates, pedicles, spinous
 * processes — faint behind the heart and mediastinum, as on a well-penetrated PA film.
 */
function drawSpine(g: FrontalGeometry, dens: Layer): void {
  const { S, mid } = g;
  const spine = scratchLayer('fr.spine', S, S);
  const d = spine.data;
  const bodyH = 0.032 * S, disc = 0.009 * S, halfW = 0.036 * S;
  for (let yc = -0.01 * S; yc < S; yc += bodyH + disc) {
    const y0 = Math.max(0, Math.round(yc)), y1 = Math.min(S - 1, Math.round(yc + bodyH));
    const x0 = Math.round(mid - halfW), x1 = Math.round(mid + halfW);
    for (let y = y0; y <= y1; y++) {
      const plate = y - y0 < 1.2 || y1 - y < 1.2 ? 0.02 : 0;
      for (let x = x0; x <= x1; x++) {
        const edge = Math.abs(x - mid) > halfW - 1.2 ? 0.02 : 0;
        d[y * S + x] += 0.035 + plate + edge;
      }
    }
    for (const dir of [-1, 1]) addEllipse(spine, mid + dir * 0.026 * S, yc + 0.3 * bodyH, 0.008 * S, 0.011 * S, 0, 0.05, 1, 0);
    addEllipse(spine, mid, yc + 0.8 * bodyH, 0.005 * S, 0.012 * S, 0, 0.04, 1, 0);
  }
  // Soften the edges (a real spine is not drawn with a ruler), then fade it over the mediastinum.
  blur(spine, Math.max(1, Math.round(S / 256)), 1, scratchLayer('fr.tmp', S, S).data);
  const out = dens.data, med = g.med.data;
  for (let i = 0; i < d.length; i++) out[i] += d[i]! * (1 - 0.45 * med[i]!);
}

/** Ribs, clavicles, scapulae and humeral heads, max-composited into `bone`. */
function drawBones(g: FrontalGeometry, A: PatientAnatomy, ap: boolean, bone: Layer, dens: Layer): void {
  const { S, mid } = g;
  for (const dir of [-1, 1]) {
    for (let k = 0; k < 11; k++) {
      const y0 = g.apexY + ((k - 0.7) * A.ribGap + A.ribPhase) * S;
      const yl = Math.min(S - 1, Math.max(0, Math.round(y0 + 0.04 * S)));
      const reach = g.latHalf[yl]! + 0.012 * S;
      const post: number[] = [];
      for (let i = 0; i <= 14; i++) {
        const t = i / 14;
        post.push(mid + dir * (0.03 * S + t * (reach - 0.03 * S)), y0 - 0.028 * S * Math.sin(Math.PI * t * 0.8) + (0.045 + 0.01 * k) * S * t * t);
      }
      strokeMax(bone, post, 0.0105 * S, 0.15, 0.6, 0.0095 * S);
      const lx = post[28]!, ly = post[29]!;
      const ant: number[] = [];
      for (let i = 0; i <= 10; i++) {
        const s = i / 10;
        ant.push(mid + dir * (Math.abs(lx - mid) - s * (Math.abs(lx - mid) - 0.12 * S)), ly - 0.01 * S + 0.1 * S * Math.pow(s, 0.8));
      }
      if (k < 8) strokeMax(bone, ant, 0.011 * S, 0.07, 0.35, 0.009 * S);
    }
    // Clavicle: S-shaped, from the sternal notch up and out to the acromion.
    const lift = ap ? -0.03 : 0;
    const cl = [0.03, 0.175, 0.12, 0.158, 0.21, 0.145, 0.29, 0.12, 0.37, 0.112];
    const clPts: number[] = [];
    for (let i = 0; i < cl.length; i += 2) clPts.push(mid + dir * cl[i]! * S, (cl[i + 1]! + lift + (ap ? (0.175 - cl[i + 1]!) * 0.4 : 0)) * S);
    strokeMax(bone, clPts, 0.016 * S, 0.2, 0.5, 0.014 * S);
    // Scapula: lateral border at the chest wall (PA); on AP films it overlies the lung.
    const inset = ap ? 0.07 * S : -0.005 * S;
    strokeMax(bone, [mid + dir * (g.T + 0.02 * S), 0.15 * S, mid + dir * (g.T - inset), 0.45 * S], 0.006 * S, 0.1, 0.3);
    if (ap) strokeMax(bone, [mid + dir * (g.T - 0.13 * S), 0.2 * S, mid + dir * (g.T - 0.09 * S), 0.44 * S], 0.004 * S, 0.07, 0.2);
    // Humeral head in the shoulder soft tissue at the upper corner.
    addEllipse(dens, mid + dir * (g.T + 0.09 * S), 0.17 * S, 0.065 * S, 0.07 * S, 0, 0.14, 0.006 * S, 0.35);
  }
}

/** Trachea and main bronchi (air columns), subtracted from density. */
function drawAirways(g: FrontalGeometry, air: Layer, dens: Layer): void {
  const { S, mid } = g;
  const carinaY = g.heartTop - 0.045 * S;
  strokeMax(air, [mid + 0.004 * S, 0, mid, carinaY], 0.02 * S, 1, 0, 0.018 * S);
  strokeMax(air, [mid, carinaY, g.hilumR[0] + 0.02 * S, g.hilumR[1]], 0.012 * S, 0.8);
  strokeMax(air, [mid, carinaY, g.hilumL[0] - 0.02 * S, g.hilumL[1] + 0.01 * S], 0.011 * S, 0.8);
  const a = air.data, d = dens.data;
  for (let i = 0; i < a.length; i++) d[i] -= 0.13 * a[i]!;
}

/** Render one frontal image of the scene. */
export function renderFrontal(scene: StudyScene): RenderedView {
  const S = scene.size;
  const A = scene.anatomy;
  const rng = new Rng(scene.imageSeed);
  const sev = scene.severity;
  // Atelectasis with volume loss elevates the hemidiaphragm on its side.
  const atel = sev.atelectasis;
  const site = scene.sites.atelectasisSite;
  const lift = 0.025 * atel;
  const g = frontalGeometry(scene, site !== 'left' ? lift : 0, site !== 'right' ? lift : 0);

  const fluid = scratchLayer('fr.fluid', S, S).data;
  if (sev.effusionRight > 0) effusionField(g, fluid, 'right', sev.effusionRight, scene.findingGain);
  if (sev.effusionLeft > 0) effusionField(g, fluid, 'left', sev.effusionLeft, scene.findingGain);
  const dens = scratchLayer('fr.dens', S, S);
  drawSoftTissue(g, A, dens, fluid);
  drawSpine(g, dens);
  drawAirways(g, scratchLayer('fr.air', S, S), dens);
  const bone = scratchLayer('fr.bone', S, S);
  drawBones(g, A, scene.acq.ap, bone, dens);
  // Bones fade where they overlie the dense mediastinum.
  for (let i = 0; i < bone.data.length; i++) dens.data[i] += bone.data[i]! * (1 - 0.6 * g.med.data[i]!);

  // Hila: vessels and nodes at the lung roots.
  addEllipse(dens, g.hilumR[0], g.hilumR[1], 0.03 * S, 0.05 * S, 0.2, 0.1, 0.015 * S, 0.6);
  addEllipse(dens, g.hilumL[0], g.hilumL[1], 0.028 * S, 0.045 * S, -0.2, 0.09, 0.015 * S, 0.6);

  const found = drawFrontalFindings(scene, g, dens, fluid, rng);

  // Vessels: tapering branches from the hila, hidden where there is no aerated lung.
  const ves = scratchLayer('fr.vessels', S, S);
  for (const tree of [A.vesselsRight, A.vesselsLeft]) {
    for (const b of tree) {
      const pts = b.pts.map((p, i) => (i % 2 === 0 ? (p - 0.5) * (g.T / (0.385 * S)) * S + g.mid : p * S));
      strokeMax(ves, pts, Math.max(0.6, b.hw0 * S * 1.1), 0.15, 0, Math.max(0.5, b.hw1 * S * 1.1));
    }
  }
  const tmp = scratchLayer('fr.tmp', S, S).data;
  // Edema blurs vessel margins (vascular indistinctness).
  // Soften vessel edges (more with edema: vascular indistinctness).
  blur(ves, Math.max(1, Math.round(S / 256)), 1 + (sev.edema > 0.3 ? 1 : 0) + (sev.edema > 0.6 ? 1 : 0), tmp);
  const td = patientTexture(A.textureSeed, S);
  const d = dens.data, vd = ves.data, lung = g.lung.data, ptx = found.ptx;
  for (let i = 0; i < d.length; i++) {
    const l = lung[i]!;
    if (l <= 0) continue;
    const aerated = l * (1 - (ptx ? ptx[i]! : 0)) * (1 - fluid[i]!);
    d[i] += aerated * (vd[i]! + 0.03 * td[i]!);
  }
  drawFrontalDevices(scene, g, dens);

  const { pixels, affine } = finishImage(dens, scene.acq, rng);
  return {
    pixels,
    pneumothoraxMask: ptx ? finishMask(ptx, S, S, 0.5, affine) : null,
    opacityMasks: found.opacity
      .map((o) => ({ finding: o.finding, mask: finishMask(o.field, S, S, 0.35, affine) }))
      .filter((o): o is { finding: 'consolidation' | 'pneumonia'; mask: Uint8Array } => o.mask !== null),
  };
}
