/**
 * Findings and support devices on the frontal view, drawn into the density
 * layer in the anatomical frame. Returns the fields the renderer needs to hide
 * vessels (pneumothorax, fluid) and the opacity fields for detection boxes.
 */
import { Rng } from '../../lib/util/rng.ts';
import type { Lobe, Side } from './course.ts';
import { effusionFrontalVisibility, lobeFrontalVisibility, type StudyScene } from './findings.ts';
import type { FrontalGeometry } from './frontal_geometry.ts';
import { addEllipse, smoothNoise, smoothstep, strokeMax, type Layer } from './raster.ts';
import { scratchLayer } from './scratch.ts';

export interface FrontalFindingFields {
  /** Pneumothorax region (0…1) or null. */
  ptx: Float32Array | null;
  /** Pleural fluid fraction (0…1) per pixel. */
  fluid: Float32Array;
  opacity: { finding: 'consolidation' | 'pneumonia'; field: Float32Array }[];
}

/** Ellipse of a lobe's opacity on the frontal view (px), scaled by extent k. */
function lobeEllipse(g: FrontalGeometry, lobe: Lobe, k: number): { cx: number; cy: number; rx: number; ry: number; clipBelow: number } {
  const { S, mid, T } = g;
  switch (lobe) {
    case 'RUL': return { cx: mid - 0.55 * T, cy: g.apexY + 0.13 * S, rx: 0.42 * T * k, ry: 0.12 * S * k, clipBelow: g.hilumR[1] };
    case 'LUL': return { cx: mid + 0.55 * T, cy: g.apexY + 0.14 * S, rx: 0.4 * T * k, ry: 0.13 * S * k, clipBelow: Infinity };
    case 'RML': return { cx: mid - 0.32 * T, cy: g.hilumR[1] + 0.1 * S, rx: 0.3 * T * k, ry: 0.08 * S * k, clipBelow: Infinity };
    case 'lingula': return { cx: mid + 0.5 * T, cy: g.hilumL[1] + 0.14 * S, rx: 0.3 * T * k, ry: 0.09 * S * k, clipBelow: Infinity };
    case 'RLL': return { cx: mid - 0.56 * T, cy: g.domeR - 0.06 * S, rx: 0.4 * T * k, ry: 0.11 * S * k, clipBelow: Infinity };
    case 'LLL': return { cx: mid + 0.45 * T, cy: g.domeL - 0.05 * S, rx: 0.4 * T * k, ry: 0.11 * S * k, clipBelow: Infinity };
  }
}

function drawLobarOpacity(g: FrontalGeometry, dens: Layer, lobe: Lobe, s: number, gain: number, name: string, tex: Float32Array): Float32Array {
  const { S } = g;
  const field = scratchLayer(name, S, S);
  const el = lobeEllipse(g, lobe, 0.65 + 0.45 * s);
  addEllipse(field, el.cx, el.cy, el.rx, el.ry, 0, 1, 0.03 * S, 0.5);
  const amp = 0.4 * (0.45 + 0.55 * s) * lobeFrontalVisibility(lobe) * gain;
  const f = field.data, d = dens.data, lung = g.lung.data, med = g.med.data;
  const retro = lobe === 'LLL' ? 0.5 : 0;
  const clipY = el.clipBelow;
  for (let i = 0; i < f.length; i++) {
    if (f[i]! <= 0) continue;
    const y = Math.floor(i / S);
    // Sharp inferior border at the horizontal fissure for the right upper lobe.
    const clip = y > clipY ? Math.max(0, 1 - (y - clipY) / 1.5) : 1;
    const v = f[i]! * clip * Math.max(lung[i]!, retro * med[i]!) * Math.min(1.2, Math.max(0.3, 0.8 + 0.45 * tex[i]!));
    f[i] = v;
    d[i] += amp * v;
  }
  return f;
}

/**
 * Pleural fluid fraction (0…1) of one hemithorax, written into `fluid` (max).
 * Fluid replaces aerated lung, so the renderer hides lung air where it is: the
 * costophrenic angle blunts, the dome and heart border are silhouetted.
 */
export function effusionField(g: FrontalGeometry, fluid: Float32Array, side: Side, s: number, gain: number): void {
  const { S, mid } = g;
  const vis = Math.min(1, effusionFrontalVisibility(s) * gain);
  const cp = side === 'right' ? g.cpR : g.cpL;
  const h = (0.03 + 0.36 * s) * S;
  const top = cp - h;
  const hemi = g.hemi.data;
  const x0 = side === 'right' ? 0 : Math.ceil(mid), x1 = side === 'right' ? Math.floor(mid) : S;
  for (let y = Math.max(0, Math.floor(top - 0.03 * S)); y < S; y++) {
    const lh = g.latHalf[y]!;
    const medEdge = side === 'right' ? mid - g.medR[y]! : g.medL[y]! - mid;
    for (let x = x0; x < x1; x++) {
      const o = y * S + x;
      const hm = hemi[o]!;
      if (hm <= 0) continue;
      const frac = Math.min(1, Math.max(0, (Math.abs(x - mid) - medEdge) / Math.max(1, lh - medEdge)));
      // Meniscus: flat medially, climbing along the lateral chest wall.
      const f2 = frac * frac;
      const level = top + 0.45 * h * (1 - f2 * f2);
      const f = smoothstep(level - 0.012 * S, level + 0.05 * S, y) * hm;
      if (f > 0) fluid[o] = Math.max(fluid[o]!, vis * f);
    }
  }
}

function drawPneumothorax(g: FrontalGeometry, dens: Layer, side: Side, s: number, gain: number): Float32Array {
  const { S, mid } = g;
  const ptx = scratchLayer('fr.ptx', S, S).data;
  const gmax = (0.05 + 0.38 * s) * g.T;
  const extent = (0.12 + 0.5 * s) * S;
  const d = dens.data, hemi = g.hemi.data;
  const x0 = side === 'right' ? 0 : Math.ceil(mid), x1 = side === 'right' ? Math.floor(mid) : S;
  for (let y = 0; y < S; y++) {
    const gy = gmax * (1 - smoothstep(g.apexY + 0.3 * extent, g.apexY + extent, y));
    if (gy < 0.5) continue;
    const border = g.latHalf[y]! - gy;
    for (let x = x0; x < x1; x++) {
      const o = y * S + x;
      const hm = hemi[o]!;
      if (hm <= 0.02) continue;
      const dx = Math.abs(x - mid);
      const dLat = border - dx;
      const dTop = y - (g.apexTop[x]! + 0.8 * gy);
      const inside = Math.min(dLat, dTop);
      if (inside < 0) {
        ptx[o] = hm;
        // Pure air: darker than lung, no markings.
        d[o] -= 0.07 * hm * gain;
      } else if (inside < 2.5) {
        // Visceral pleural line: a thin white line at the collapsed lung edge.
        d[o] += 0.2 * gain * Math.exp(-(inside * inside) / 0.9) * hm;
      }
    }
  }
  return ptx;
}

function drawEdema(g: FrontalGeometry, dens: Layer, s: number, gain: number, rng: Rng): void {
  const { S, mid } = g;
  const haze = scratchLayer('fr.edema', S, S);
  addEllipse(haze, g.hilumR[0] - 0.02 * S, g.hilumR[1] + 0.02 * S, (0.14 + 0.1 * s) * S, (0.13 + 0.07 * s) * S, 0.3, 1, 0.04 * S, 1);
  addEllipse(haze, g.hilumL[0] + 0.02 * S, g.hilumL[1] + 0.02 * S, (0.13 + 0.1 * s) * S, (0.13 + 0.07 * s) * S, -0.3, 1, 0.04 * S, 1);
  if (s > 0.35) {
    // Kerley B lines: short horizontal septal lines at the lateral lung bases.
    for (const dir of [-1, 1]) {
      const dome = dir < 0 ? g.domeR : g.domeL;
      const n = 3 + Math.floor(5 * s);
      for (let k = 0; k < n; k++) {
        const y = dome - (0.01 + 0.012 * k) * S + rng.normal(0, 0.003 * S);
        const yl = Math.max(0, Math.min(S - 1, Math.round(y)));
        const xe = mid + dir * (g.latHalf[yl]! - 0.004 * S);
        strokeMax(haze, [xe, y, xe - dir * rng.range(0.02, 0.035) * S, y], Math.max(0.5, 0.0025 * S), 0.9);
      }
    }
  }
  const h = haze.data, d = dens.data, lung = g.lung.data;
  const amp = 0.3 * s * gain;
  for (let i = 0; i < h.length; i++) {
    const l = lung[i]!;
    if (l > 0) d[i] += l * (amp * Math.min(1, h[i]!) + 0.07 * s * gain);
  }
}

function drawAtelectasis(g: FrontalGeometry, dens: Layer, site: 'left' | 'right' | 'bilateral', s: number, gain: number): void {
  const { S, mid, T } = g;
  const band = scratchLayer('fr.atel', S, S);
  const sides = site === 'bilateral' ? [-1, 1] : site === 'right' ? [-1] : [1];
  for (const dir of sides) {
    const dome = dir < 0 ? g.domeR : g.domeL;
    const y = dome - (0.05 + 0.03 * s) * S;
    strokeMax(band, [mid + dir * 0.3 * T, y + 0.01 * S, mid + dir * 0.55 * T, y - 0.005 * S, mid + dir * 0.85 * T, y - 0.03 * S], (0.003 + 0.009 * s) * S, 1);
    if (s > 0.5) strokeMax(band, [mid + dir * 0.4 * T, y + 0.04 * S, mid + dir * 0.8 * T, y + 0.02 * S], (0.003 + 0.005 * s) * S, 0.8);
  }
  const b = band.data, d = dens.data, lung = g.lung.data;
  const amp = 0.3 * gain;
  for (let i = 0; i < b.length; i++) if (b[i]! > 0) d[i] += amp * b[i]! * lung[i]!;
}

function drawLungOpacity(g: FrontalGeometry, scene: StudyScene, dens: Layer, s: number): void {
  const { S, mid, T } = g;
  // Blob positions persist across the patient's studies.
  const prng = new Rng(scene.anatomy.textureSeed ^ 0x9e3779b9);
  const blobs = scratchLayer('fr.opac', S, S);
  const dir = scene.sites.opacitySide === 'right' ? -1 : 1;
  const zy = scene.sites.opacityZone === 'upper' ? 0.25 : scene.sites.opacityZone === 'mid' ? 0.42 : 0.56;
  const n = 4 + Math.floor(5 * s);
  for (let k = 0; k < n; k++) {
    const cx = mid + dir * prng.range(0.35, 0.8) * T, cy = (zy + prng.normal(0, 0.045)) * S;
    addEllipse(blobs, cx, cy, (0.012 + 0.022 * s) * S * prng.range(0.7, 1.3), (0.012 + 0.02 * s) * S, 0, 1, 0.012 * S, 0.6);
  }
  const b = blobs.data, d = dens.data, lung = g.lung.data;
  const amp = 0.22 * (0.5 + 0.5 * s) * scene.findingGain;
  for (let i = 0; i < b.length; i++) if (b[i]! > 0) d[i] += amp * Math.min(1, b[i]!) * lung[i]!;
}

/** All parenchymal and pleural findings of the scene. */
export function drawFrontalFindings(scene: StudyScene, g: FrontalGeometry, dens: Layer, fluid: Float32Array, rng: Rng): FrontalFindingFields {
  const { severity: sev, sites, findingGain: gain, size: S } = scene;
  const opacity: FrontalFindingFields['opacity'] = [];
  if (sev.edema > 0) drawEdema(g, dens, sev.edema, gain, rng);
  if (sev.atelectasis > 0) drawAtelectasis(g, dens, sites.atelectasisSite, sev.atelectasis, gain);
  if (sev.lungOpacity > 0) drawLungOpacity(g, scene, dens, sev.lungOpacity);
  if (sev.consolidation > 0 || sev.pneumonia > 0) {
    const tex = scratchLayer('fr.optex', S, S);
    smoothNoise(tex, rng, Math.max(1, Math.round(S / 90)), scratchLayer('fr.tmp2', S, S).data);
    if (sev.consolidation > 0) opacity.push({ finding: 'consolidation', field: drawLobarOpacity(g, dens, sites.consolidationLobe, sev.consolidation, gain, 'fr.op.c', tex.data) });
    if (sev.pneumonia > 0) opacity.push({ finding: 'pneumonia', field: drawLobarOpacity(g, dens, sites.pneumoniaLobe, sev.pneumonia, gain, 'fr.op.p', tex.data) });
  }
  const ptx = sev.pneumothorax > 0 ? drawPneumothorax(g, dens, sites.pneumothoraxSide, sev.pneumothorax, gain) : null;
  return { ptx, fluid, opacity };
}

/** Tubes and lines: radio-opaque, drawn on top of everything. */
export function drawFrontalDevices(scene: StudyScene, g: FrontalGeometry, dens: Layer): void {
  const { S, mid } = g;
  const dv = scene.devices;
  if (!dv.ett && !dv.ngt && !dv.cvc && !dv.pacemaker) return;
  const dev = scratchLayer('fr.dev', S, S);
  const carinaY = g.heartTop - 0.045 * S;
  if (dv.ett) strokeMax(dev, [mid + 0.003 * S, 0, mid + 0.002 * S, carinaY - 0.05 * S], 0.009 * S, 0.45, 0.85);
  if (dv.ngt) {
    strokeMax(dev, [mid + 0.012 * S, 0, mid + 0.016 * S, 0.3 * S, mid + 0.02 * S, g.domeL - 0.02 * S, mid + 0.06 * S, g.domeL + 0.05 * S, mid + 0.14 * S, g.domeL + 0.08 * S], Math.max(0.7, 0.0035 * S), 0.5, 0.5);
  }
  if (dv.cvc) strokeMax(dev, [mid - 0.13 * S, 0, mid - 0.07 * S, 0.12 * S, mid - 0.035 * S, 0.22 * S, mid - 0.03 * S, carinaY + 0.02 * S], Math.max(0.7, 0.003 * S), 0.5);
  if (dv.pacemaker) {
    const px = mid + 0.24 * S, py = 0.19 * S;
    addEllipse(dev, px, py, 0.035 * S, 0.025 * S, 0.15, 0.7, 1, 0);
    strokeMax(dev, [px - 0.02 * S, py, mid + 0.06 * S, 0.24 * S, mid + 0.02 * S, g.heartTop, mid + 0.06 * S, g.domeL - 0.03 * S], Math.max(0.7, 0.003 * S), 0.6);
  }
  if (dv.ett || dv.cvc) {
    // ECG electrodes of a monitored patient.
    for (const [ex, ey] of [[-0.3, 0.2], [0.3, 0.2], [0.25, 0.8]] as const) addEllipse(dev, mid + ex * S, ey * S, 0.012 * S, 0.012 * S, 0, 0.35, 1, 0);
  }
  const v = dev.data, d = dens.data;
  for (let i = 0; i < v.length; i++) if (v[i]! > 0) d[i] += v[i]!;
}
