/**
 * What a renderer needs to draw one study, and how visible each finding is on
 * each view. Visibility is a contrast multiplier (0 invisible … 1 full) that the
 * renderers apply and the ground truth records, so analyses can ask which
 * findings only the lateral view shows.
 *
 * View asymmetries (as in practice):
 * - A small pleural effusion first blunts the posterior costophrenic sulcus on
 *   the lateral; on the frontal it only shows once fluid reaches ~0.2 severity.
 * - Middle-lobe and lingular opacities silhouette the heart border on the
 *   frontal (faint, ill-defined) but are a sharp wedge over the heart on the lateral.
 * - Lower-lobe opacities partly hide behind the heart/diaphragm on the frontal;
 *   on the lateral they overlie the lower spine ("spine sign").
 * - Pneumothorax is a frontal finding; the lateral shows it only faintly.
 */
import type { Devices, FindingKey, FindingSites, Lobe, Severities } from './course.ts';
import { smoothstep } from './raster.ts';
import type { Acquisition, PatientAnatomy } from './anatomy.ts';

/** Everything needed to render one view of one study. */
export interface StudyScene {
  anatomy: PatientAnatomy;
  acq: Acquisition;
  severity: Severities;
  sites: FindingSites;
  devices: Devices;
  /** Cardiothoracic ratio (true, before AP magnification). */
  ctr: number;
  /** Contrast multiplier from the subtlety knob (1 = obvious). */
  findingGain: number;
  /** Seed for per-image randomness (noise, texture placement). */
  imageSeed: number;
  size: number;
}

/** A rendered view: 8-bit pixels plus label masks in the written pixel frame. */
export interface RenderedView {
  pixels: Uint8Array;
  /** Pneumothorax region (frontal only; null when absent). */
  pneumothoraxMask: Uint8Array | null;
  /** Lobar opacity regions for detection boxes (frontal only). */
  opacityMasks: { finding: 'consolidation' | 'pneumonia'; mask: Uint8Array }[];
}

const LOBE_FRONTAL: Record<Lobe, number> = { RUL: 1, LUL: 1, RLL: 0.85, LLL: 0.7, RML: 0.4, lingula: 0.4 };
const LOBE_LATERAL: Record<Lobe, number> = { RUL: 0.7, LUL: 0.7, RLL: 0.9, LLL: 0.9, RML: 1, lingula: 1 };

/** Frontal visibility of an effusion of severity s (small ones hide in the lateral sulcus only). */
export function effusionFrontalVisibility(s: number): number {
  return 0.1 + 0.9 * smoothstep(0.1, 0.3, s);
}

export function lobeFrontalVisibility(lobe: Lobe): number {
  return LOBE_FRONTAL[lobe];
}

export function lobeLateralVisibility(lobe: Lobe): number {
  return LOBE_LATERAL[lobe];
}

/** Per-finding visibility on {frontal, lateral} for the ground-truth file. */
export function visibilityOf(key: FindingKey, sev: number, sites: FindingSites): { frontal: number; lateral: number } {
  switch (key) {
    case 'effusionLeft':
    case 'effusionRight':
      return { frontal: effusionFrontalVisibility(sev), lateral: 1 };
    case 'consolidation':
      return { frontal: LOBE_FRONTAL[sites.consolidationLobe], lateral: LOBE_LATERAL[sites.consolidationLobe] };
    case 'pneumonia':
      return { frontal: LOBE_FRONTAL[sites.pneumoniaLobe], lateral: LOBE_LATERAL[sites.pneumoniaLobe] };
    case 'pneumothorax':
      return { frontal: 1, lateral: 0.25 };
    case 'edema':
      return { frontal: 1, lateral: 0.8 };
    case 'cardiomegaly':
      return { frontal: 1, lateral: 0.8 };
    case 'atelectasis':
      return { frontal: 1, lateral: 0.7 };
    case 'lungOpacity':
      return { frontal: 1, lateral: 0.6 };
  }
}

/** Human-readable anatomical name of a lobe. */
export function lobeName(lobe: Lobe): string {
  switch (lobe) {
    case 'RUL': return 'right upper lobe';
    case 'RML': return 'right middle lobe';
    case 'RLL': return 'right lower lobe';
    case 'LUL': return 'left upper lobe';
    case 'lingula': return 'lingula';
    case 'LLL': return 'left lower lobe';
  }
}

/** Which side a lobe is on. */
export function lobeSide(lobe: Lobe): 'left' | 'right' {
  return lobe.startsWith('R') ? 'right' : 'left';
}
