/**
 * Findings and devices on the lateral view. Effusions fill the posterior
 * costophrenic sulcus first (visible here before the frontal shows them);
 * middle-lobe and lingular opacities are a sharp wedge over the heart; lower
 * lobe opacities overlie the lower spine.
 */
import { Rng } from '../../lib/util/rng.ts';
import type { Lobe } from './course.ts';
import { lobeLateralVisibility, visibilityOf, type StudyScene } from './findings.ts';
import type { LateralGeometry } from './lateral_geometry.ts';
import { addEllipse, smoothNoise, smoothstep, strokeMax, type Layer } from './raster.ts';
import { scratchLayer } from './scratch.ts';

/** Pleural fluid in the posterior sulci (max over both sides), into `fluid`. */
export function lateralFluid(scene: StudyScene, g: LateralGeometry, fluid: Float32Array): void {
  const { S } = g;
  const gain = scene.findingGain;
  const lung = g.lung.data;
  for (const side of ['right', 'left'] as const) {
    const s = side === 'right' ? scene.severity.effusionRight : scene.severity.effusionLeft;
    if (s <= 0) continue;
    const dia = side === 'right' ? g.diaR : g.diaL;
    const sulcus = side === 'right' ? g.sulcusR : g.sulcusL;
    const h = (0.025 + 0.34 * s) * S;
    const vis = Math.min(1, gain * visibilityOf('effusionRight', s, scene.sites).lateral);
    for (let y = Math.max(0, Math.floor(sulcus - h - 0.06 * S)); y < S; y++) {
      const la = g.lungA[y]!, lp = g.lungP[y]!;
      let o = y * S;
      for (let x = 0; x < S; x++, o++) {
        const l = lung[o]!;
        if (l <= 0 || y > dia[x]! + 1) continue;
        const q = Math.min(1, Math.max(0, (x - la) / Math.max(1, lp - la)));
        // Meniscus: concave upwards, climbing the posterior chest wall (and a little anteriorly).
        const q2 = q * q;
        const a2 = (1 - q) * (1 - q);
        const level = sulcus - h - 0.08 * S * q2 * q2 * (0.5 + s) - 0.025 * S * a2 * a2 * s;
        const f = smoothstep(level - 0.01 * S, level + 0.025 * S, y) * l;
        if (f > 0) fluid[o] = Math.max(fluid[o]!, vis * f);
      }
    }
  }
}

/** Lobar opacity ellipse on the lateral (px); `sharp` edges follow fissures. */
function lobeEllipse(g: LateralGeometry, lobe: Lobe, k: number): { cx: number; cy: number; rx: number; ry: number; angle: number } {
  const { S } = g;
  const midRow = Math.min(S - 1, Math.round(g.domeY));
  const ant = g.lungA[midRow]!, post = g.lungP[midRow]!;
  switch (lobe) {
    case 'RML':
    case 'lingula':
      return { cx: ant + 0.26 * (post - ant), cy: g.domeY - 0.09 * S, rx: 0.14 * S * k, ry: 0.045 * S * k, angle: -0.5 };
    case 'RLL':
    case 'LLL':
      return { cx: ant + 0.75 * (post - ant), cy: g.domeY + 0.02 * S, rx: 0.1 * S * k, ry: 0.13 * S * k, angle: 0.35 };
    case 'RUL':
    case 'LUL':
      return { cx: ant + 0.45 * (post - ant), cy: 0.24 * S, rx: 0.15 * S * k, ry: 0.1 * S * k, angle: -0.3 };
  }
}

function lobarOpacity(g: LateralGeometry, dens: Layer, lobe: Lobe, s: number, gain: number, tex: Float32Array, name: string): void {
  const { S } = g;
  const field = scratchLayer(name, S, S);
  const el = lobeEllipse(g, lobe, 0.7 + 0.4 * s);
  // Middle lobe / lingula: crisp fissure-bounded wedge; others fluffier.
  const edge = lobe === 'RML' || lobe === 'lingula' ? 0.006 * S : 0.025 * S;
  addEllipse(field, el.cx, el.cy, el.rx, el.ry, el.angle, 1, edge, lobe === 'RML' || lobe === 'lingula' ? 0 : 0.5);
  const amp = 0.38 * (0.45 + 0.55 * s) * lobeLateralVisibility(lobe) * gain;
  const f = field.data, d = dens.data, lung = g.lung.data, heart = g.heartMask.data;
  for (let i = 0; i < f.length; i++) {
    if (f[i]! <= 0) continue;
    // Opacities overlying the heart still add density (the lungs flank it).
    const m = Math.max(lung[i]!, 0.8 * heart[i]!);
    d[i] += amp * f[i]! * m * Math.min(1.2, Math.max(0.4, 0.85 + 0.35 * tex[i]!));
  }
}

export function drawLateralFindings(scene: StudyScene, g: LateralGeometry, dens: Layer, rng: Rng): void {
  const { S } = g;
  const { severity: sev, sites, findingGain: gain } = scene;
  const lung = g.lung.data, d = dens.data;
  if (sev.consolidation > 0 || sev.pneumonia > 0) {
    const tex = scratchLayer('lat.optex', S, S);
    smoothNoise(tex, rng, Math.max(1, Math.round(S / 90)), scratchLayer('lat.tmp2', S, S).data);
    if (sev.consolidation > 0) lobarOpacity(g, dens, sites.consolidationLobe, sev.consolidation, gain, tex.data, 'lat.op.c');
    if (sev.pneumonia > 0) lobarOpacity(g, dens, sites.pneumoniaLobe, sev.pneumonia, gain, tex.data, 'lat.op.p');
  }
  if (sev.edema > 0) {
    const haze = scratchLayer('lat.edema', S, S);
    addEllipse(haze, g.hilum[0], g.hilum[1] + 0.03 * S, (0.17 + 0.08 * sev.edema) * S, (0.15 + 0.06 * sev.edema) * S, 0, 1, 0.04 * S, 1);
    const h = haze.data;
    const amp = 0.24 * sev.edema * gain * visibilityOf('edema', sev.edema, sites).lateral;
    for (let i = 0; i < d.length; i++) if (lung[i]! > 0) d[i] += lung[i]! * (amp * Math.min(1, h[i]!) + 0.05 * sev.edema * gain);
  }
  if (sev.atelectasis > 0) {
    const band = scratchLayer('lat.atel', S, S);
    const midRow = Math.min(S - 1, Math.round(g.domeY));
    const ant = g.lungA[midRow]!, post = g.lungP[midRow]!;
    const y = g.domeY - (0.04 + 0.02 * sev.atelectasis) * S;
    strokeMax(band, [ant + 0.25 * (post - ant), y - 0.02 * S, ant + 0.7 * (post - ant), y + 0.03 * S], (0.003 + 0.008 * sev.atelectasis) * S, 1);
    const b = band.data;
    const amp = 0.28 * gain * visibilityOf('atelectasis', sev.atelectasis, sites).lateral;
    for (let i = 0; i < d.length; i++) if (b[i]! > 0) d[i] += amp * b[i]! * lung[i]!;
  }
  if (sev.lungOpacity > 0) {
    const prng = new Rng(scene.anatomy.textureSeed ^ 0x51de);
    const blobs = scratchLayer('lat.opac', S, S);
    const zy = sites.opacityZone === 'upper' ? 0.25 : sites.opacityZone === 'mid' ? 0.42 : 0.56;
    const n = 3 + Math.floor(4 * sev.lungOpacity);
    for (let k = 0; k < n; k++) {
      const row = Math.min(S - 1, Math.round(zy * S));
      const x = g.lungA[row]! + prng.range(0.25, 0.8) * (g.lungP[row]! - g.lungA[row]!);
      addEllipse(blobs, x, (zy + prng.normal(0, 0.04)) * S, (0.012 + 0.02 * sev.lungOpacity) * S, (0.012 + 0.018 * sev.lungOpacity) * S, 0, 1, 0.012 * S, 0.6);
    }
    const b = blobs.data;
    const amp = 0.22 * (0.5 + 0.5 * sev.lungOpacity) * gain * visibilityOf('lungOpacity', sev.lungOpacity, sites).lateral;
    for (let i = 0; i < d.length; i++) if (b[i]! > 0) d[i] += amp * Math.min(1, b[i]!) * lung[i]!;
  }
  if (sev.pneumothorax > 0) {
    // Barely seen on the lateral: a faint anterior-superior lucency.
    const midRow = Math.round(0.3 * S);
    addEllipse(dens, g.lungA[midRow]! + 0.08 * S, 0.3 * S, 0.06 * S, 0.15 * S, 0.2, -0.06 * sev.pneumothorax * gain * visibilityOf('pneumothorax', 1, sites).lateral * 4, 0.03 * S, 1);
  }
}

export function drawLateralDevices(scene: StudyScene, g: LateralGeometry, dens: Layer): void {
  const { S } = g;
  const dv = scene.devices;
  if (!dv.ett && !dv.ngt && !dv.cvc && !dv.pacemaker) return;
  const dev = scratchLayer('lat.dev', S, S);
  const [hx, hy] = g.hilum;
  const tx = g.skinA[0]! + 0.14 * S;
  if (dv.ett) strokeMax(dev, [tx, 0, tx + 0.04 * S, 0.2 * S, hx - 0.015 * S, hy - 0.07 * S], 0.009 * S, 0.45, 0.85);
  if (dv.ngt) {
    const sx = g.spineX[Math.round(0.5 * S)]! - 0.07 * S;
    strokeMax(dev, [tx + 0.03 * S, 0, sx, 0.35 * S, sx - 0.01 * S, g.domeY, sx - 0.08 * S, g.domeY + 0.1 * S], Math.max(0.7, 0.0035 * S), 0.5, 0.5);
  }
  if (dv.cvc) strokeMax(dev, [tx - 0.02 * S, 0, tx + 0.01 * S, 0.2 * S, hx - 0.06 * S, hy - 0.03 * S], Math.max(0.7, 0.003 * S), 0.45);
  if (dv.pacemaker) {
    const px = g.skinA[Math.round(0.2 * S)]! + 0.02 * S;
    addEllipse(dev, px, 0.2 * S, 0.012 * S, 0.035 * S, 0, 0.7, 1, 0);
    strokeMax(dev, [px, 0.2 * S, hx - 0.04 * S, 0.3 * S, g.heart.cx, g.heart.cy + 0.02 * S], Math.max(0.7, 0.003 * S), 0.6);
  }
  const v = dev.data, d = dens.data;
  for (let i = 0; i < v.length; i++) if (v[i]! > 0) d[i] += v[i]!;
}
