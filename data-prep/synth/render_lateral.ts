/**
 * Lateral chest radiograph renderer (patient facing the image left). Same
 * density conventions and acquisition stage as the frontal renderer.
 *
 * Anatomy: soft tissue (arms raised over the upper anterior chest), both
 * lungs superimposed, retrosternal clear space, heart on the anterior
 * diaphragm, retrocardiac space, trachea and aortic arch, hilum, sternum,
 * thoracic spine whose bodies look darker (more lucent) caudally, posterior
 * ribs, two hemidiaphragms descending to the posterior costophrenic sulci.
 */
import { Rng } from '../../lib/util/rng.ts';
import type { PatientAnatomy } from './anatomy.ts';
import type { RenderedView, StudyScene } from './findings.ts';
import { finishImage } from './finish.ts';
import { lateralGeometry, type LateralGeometry } from './lateral_geometry.ts';
import { drawLateralDevices, drawLateralFindings, lateralFluid } from './lateral_findings.ts';
import { addEllipse, blur, smoothstep, strokeMax, type Layer } from './raster.ts';
import { patientTexture, scratchLayer } from './scratch.ts';

function drawBody(g: LateralGeometry, A: PatientAnatomy, dens: Layer, fluid: Float32Array): void {
  const { S } = g;
  const d = dens.data, lung = g.lung.data, heart = g.heartMask.data;
  const e = Math.max(1, 0.008 * S);
  const rho = 0.5 * A.softTissue;
  for (let y = 0; y < S; y++) {
    const sa = g.skinA[y]!, sp = g.skinP[y]!, la = g.lungA[y]!, lp = g.lungP[y]!;
    const half = 0.5 * (sp - sa), cx = 0.5 * (sa + sp);
    let o = y * S;
    for (let x = 0; x < S; x++, o++) {
      const inBody = smoothstep(sa - e, sa + e, x) * (1 - smoothstep(sp - e, sp + e, x));
      if (inBody <= 0) continue;
      const q = Math.min(1, Math.abs(x - cx) / half);
      let val = rho * inBody * (0.7 + 0.3 * Math.sqrt(1 - q * q));
      const fl = fluid[o]!;
      const l = lung[o]! * (1 - fl) * (1 - 0.85 * heart[o]!);
      if (l > 0) {
        const f = Math.min(1, Math.max(0, (x - la) / Math.max(1, lp - la)));
        // Both lungs superimpose: thickest in the middle third, thinner anteriorly.
        val -= 0.34 * l * Math.sqrt(Math.sin(Math.PI * (0.06 + 0.88 * f)));
      }
      // Water density; the other lung's air still overlies it, so a little below the abdomen's.
      val += 0.13 * fl;
      const dia = Math.min(g.diaR[x]!, g.diaL[x]!);
      if (y > dia) {
        const below = smoothstep(dia, dia + 0.02 * S, y);
        val += 0.17 * below * inBody;
        // The second (lower) dome: aerated lung still lies between the two.
        const dia2 = Math.max(g.diaR[x]!, g.diaL[x]!);
        if (y < dia2) val -= 0.08 * (1 - fl) * inBody;
      }
      val += 0.1 * heart[o]! * (1 - smoothstep(dia - e, dia + e, y));
      d[o] = val;
    }
  }
  // Raised arms overlie the upper anterior chest; a shoulder girdle posteriorly.
  addEllipse(dens, g.skinA[Math.round(0.15 * S)]! + 0.06 * S, 0.08 * S, 0.16 * S, 0.2 * S, -0.5, 0.12, 0.04 * S, 0.5);
  addEllipse(dens, g.spineX[Math.round(0.15 * S)]! - 0.02 * S, 0.14 * S, 0.14 * S, 0.13 * S, 0.3, 0.08, 0.05 * S, 0.6);
}

function drawSkeleton(g: LateralGeometry, A: PatientAnatomy, bone: Layer, dens: Layer): void {
  const { S } = g;
  // Thoracic vertebral bodies: brighter cranially (shoulders overlap), more lucent caudally.
  const bodyH = 0.034 * S, disc = 0.01 * S, halfW = 0.045 * S;
  for (let yc = 0.02 * S; yc < S; yc += bodyH + disc) {
    const row = Math.min(S - 1, Math.max(0, Math.round(yc + bodyH / 2)));
    const cx = g.spineX[row]!;
    const amp = 0.1 - 0.05 * smoothstep(0.2, 0.7, yc / S);
    const pts = [cx - halfW, yc + bodyH / 2, cx + halfW, yc + bodyH / 2];
    strokeMax(bone, pts, bodyH / 2, amp, 0.5);
    // Pedicles and spinous processes behind the bodies.
    addEllipse(dens, cx + halfW + 0.02 * S, yc + bodyH * 0.4, 0.02 * S, 0.012 * S, 0.3, 0.05, 1, 0.3);
    addEllipse(dens, cx + halfW + 0.07 * S, yc + bodyH * 0.9, 0.025 * S, 0.008 * S, 0.5, 0.04, 1, 0.3);
  }
  // Sternum: manubrium then body, just behind the anterior skin.
  const r0 = Math.round(0.17 * S), r1 = Math.round(0.55 * S);
  const sx0 = g.skinA[r0]! + 0.028 * S, sx1 = g.skinA[r1]! + 0.024 * S;
  // Cortical bone seen edge-on, thin marrow between: a modest, soft-edged band, not a rod.
  strokeMax(bone, [sx0 + 0.01 * S, 0.16 * S, sx0, 0.24 * S], 0.018 * S, 0.11, 0.8);
  strokeMax(bone, [sx0, 0.25 * S, sx1, r1], 0.012 * S, 0.09, 0.8, 0.01 * S);
  // Posterior ribs: faint oblique arcs sweeping anteriorly and down from the spine.
  for (let k = 0; k < 10; k++) {
    const y0 = g.apexTop[Math.round(g.spineX[0]!)]! + (k + 0.3) * A.ribGap * S;
    const row = Math.min(S - 1, Math.max(0, Math.round(y0)));
    const x0 = g.spineX[row]! + 0.03 * S;
    strokeMax(bone, [x0, y0, x0 - 0.12 * S, y0 + 0.05 * S, x0 - 0.26 * S, y0 + 0.14 * S], 0.009 * S, 0.05, 0.6);
  }
  // Scapulae over the upper posterior chest.
  strokeMax(bone, [g.spineX[0]! - 0.1 * S, 0.12 * S, g.spineX[0]! - 0.03 * S, 0.42 * S], 0.008 * S, 0.06, 0.3);
}

function drawMediastinum(g: LateralGeometry, air: Layer, soft: Layer, dens: Layer): void {
  const { S } = g;
  const [hx, hy] = g.hilum;
  const carina: [number, number] = [hx - 0.01 * S, hy - 0.02 * S];
  // Trachea: an air column running down and back to the carina.
  const tx = g.skinA[0]! + 0.14 * S;
  strokeMax(air, [tx, 0, tx + 0.04 * S, 0.2 * S, carina[0], carina[1]], 0.022 * S, 1, 0, 0.018 * S);
  // Aortic arch and descending aorta; hilar vessels.
  const ha = g.heart;
  strokeMax(soft, [ha.cx - 0.02 * S, ha.cy - ha.ry * 0.9, ha.cx, 0.3 * S, hx, 0.22 * S, hx + 0.1 * S, 0.27 * S, g.spineX[Math.round(0.4 * S)]! - 0.06 * S, 0.4 * S, g.spineX[Math.round(0.7 * S)]! - 0.06 * S, 0.75 * S], 0.03 * S, 1, 0, 0.024 * S);
  const s = soft.data, a = air.data, d = dens.data;
  for (let i = 0; i < d.length; i++) d[i] += 0.05 * s[i]! - 0.1 * a[i]!;
  addEllipse(dens, hx, hy, 0.06 * S, 0.075 * S, 0.3, 0.11, 0.02 * S, 0.7);
}

/** Render one lateral image of the scene. */
export function renderLateral(scene: StudyScene): RenderedView {
  const S = scene.size;
  const A = scene.anatomy;
  const rng = new Rng(scene.imageSeed);
  const sev = scene.severity;
  const lift = 0.025 * sev.atelectasis;
  const site = scene.sites.atelectasisSite;
  const g = lateralGeometry(scene, site !== 'left' ? lift : 0, site !== 'right' ? lift : 0);

  const fluid = scratchLayer('lat.fluid', S, S).data;
  lateralFluid(scene, g, fluid);
  const dens = scratchLayer('lat.dens', S, S);
  drawBody(g, A, dens, fluid);
  drawMediastinum(g, scratchLayer('lat.air', S, S), scratchLayer('lat.soft', S, S), dens);
  const bone = scratchLayer('lat.bone', S, S);
  drawSkeleton(g, A, bone, dens);
  for (let i = 0; i < bone.data.length; i++) dens.data[i] += bone.data[i]!;

  drawLateralFindings(scene, g, dens, rng);

  // Hilar vessels radiating into the superimposed lungs (fixed per patient).
  const ves = scratchLayer('lat.vessels', S, S);
  const vr = new Rng(A.textureSeed ^ 0x1a7e);
  for (let k = 0; k < 14; k++) {
    const ang = vr.range(-Math.PI, Math.PI);
    const len = vr.range(0.08, 0.16) * S;
    const [hx, hy] = g.hilum;
    const mx = hx + Math.cos(ang) * len * 0.5 + vr.normal(0, 0.01 * S), my = hy + Math.sin(ang) * len * 0.5;
    strokeMax(ves, [hx + Math.cos(ang) * 0.03 * S, hy + Math.sin(ang) * 0.03 * S, mx, my, hx + Math.cos(ang + vr.normal(0, 0.2)) * len, hy + Math.sin(ang) * len], 0.005 * S, 0.055, 0, 0.002 * S);
  }
  blur(ves, Math.max(1, Math.round(S / 256)), 1, scratchLayer('lat.tmp', S, S).data);
  const td = patientTexture(A.textureSeed, S);
  const d = dens.data, vd = ves.data, lung = g.lung.data;
  for (let i = 0; i < d.length; i++) {
    const l = lung[i]!;
    if (l > 0) d[i] += l * (1 - fluid[i]!) * (vd[i]! + 0.025 * td[i]!);
  }
  drawLateralDevices(scene, g, dens);
  const { pixels } = finishImage(dens, scene.acq, rng);
  return { pixels, pneumothoraxMask: null, opacityMasks: [] };
}
