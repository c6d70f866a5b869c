/**
 * The latent disease course of one patient: dated studies, each with a
 * severity in [0, 1] per finding (0 = absent), plus support devices.
 *
 * ── The stochastic process (also described in data-prep/README.md) ──────────
 * 1. Patient. Acuity ∈ {icu 25%, inpatient 35%, outpatient 40%}; sex, age,
 *    and one fixed site per localised finding (consolidation lobe, pneumonia
 *    lobe, pneumothorax side, atelectasis site, opacity zone), so a recurring
 *    finding recurs where it was.
 * 2. Studies. n = min(maxStudies, 1 + ⌊Exp(mean m)⌋), m = 3.5 / 2.5 / 1.5
 *    for icu / inpatient / outpatient. Gaps between studies are log-uniform:
 *    icu 4–48 hours, inpatient 1–10 days, outpatient 2 weeks–8 months.
 * 3. Baseline. Finding f is present at the first study with probability
 *    P0[f][acuity]; its severity is drawn uniformly in [0.12, 0.85].
 * 4. Transition, one step per interval, independently per finding except for
 *    the couplings in 5. An absent finding appears ("new") with probability
 *    PON[f][acuity], at severity U(0.12, 0.45). A present finding of age a
 *    (intervals since onset) moves
 *        worsening with p_w = 0.1 + 0.45·e^(−a/2)·(1 − 0.8·chronic),
 *        improving with p_i = 0.15 + 0.4·(1 − e^(−a/2))·(1 − 0.8·chronic),
 *        stable otherwise.
 *    A worsening or improving step changes severity by ±U(0.14, 0.35); a stable
 *    step by U(−0.03, 0.03). Worsening above 0.85 is replaced by stable;
 *    improving below 0.08 resolves the finding (severity 0).
 *    Change steps are ≥ 0.14 and stable steps ≤ 0.03, so the change class read
 *    back from severities (`classifyChange`, threshold 0.08) is unambiguous.
 * 5. Couplings. Edema ≥ 0.3 triples the onset probability of both effusions;
 *    an ICU patient with a new pneumothorax or pneumonia gets devices more often.
 *    Support devices: ICU patients start with endotracheal tube, nasogastric
 *    tube and central line with probability 0.6 / 0.5 / 0.6; each device is
 *    removed with probability 0.25 and placed with probability 0.1 per interval.
 *    A pacemaker is a fixed patient trait (4%).
 * 6. View. AP for icu patients and for inpatients whose acute severity sum
 *    exceeds 0.8 (with probability 0.7), otherwise PA. A lateral image is taken
 *    with probability `lateralRate`; 10% of laterals are labelled LL.
 */
import { Rng } from '../../lib/util/rng.ts';

export type Side = 'left' | 'right';
export type Lobe = 'RUL' | 'RML' | 'RLL' | 'LUL' | 'lingula' | 'LLL';
export type Acuity = 'icu' | 'inpatient' | 'outpatient';
export type AtelectasisSite = 'left' | 'right' | 'bilateral';
export type Zone = 'upper' | 'mid' | 'lower';

/** The latent findings, each a severity in [0, 1] (0 = absent). */
export const FINDING_KEYS = [
  'effusionLeft',
  'effusionRight',
  'consolidation',
  'pneumonia',
  'pneumothorax',
  'edema',
  'cardiomegaly',
  'atelectasis',
  'lungOpacity',
] as const;
export type FindingKey = (typeof FINDING_KEYS)[number];
export type Severities = Record<FindingKey, number>;

export interface Devices {
  ett: boolean;
  ngt: boolean;
  cvc: boolean;
  pacemaker: boolean;
}

export type Change = 'absent' | 'new' | 'worsening' | 'stable' | 'improving' | 'resolved';

/** Where each localised finding sits for this patient. */
export interface FindingSites {
  consolidationLobe: Lobe;
  pneumoniaLobe: Lobe;
  pneumothoraxSide: Side;
  atelectasisSite: AtelectasisSite;
  opacitySide: Side;
  opacityZone: Zone;
}

export interface CourseStudy {
  /** 0-based position in the patient's timeline. */
  index: number;
  /** Hours since the patient's first study. */
  hoursFromFirst: number;
  severity: Severities;
  /** Intervals since onset per finding (0 at onset; −1 when absent). */
  age: Record<FindingKey, number>;
  devices: Devices;
  frontalView: 'PA' | 'AP';
  lateralView: 'LATERAL' | 'LL' | null;
}

export interface PatientCourse {
  acuity: Acuity;
  sex: 'M' | 'F';
  age: number;
  sites: FindingSites;
  studies: CourseStudy[];
}

const ACUITY_INDEX: Record<Acuity, number> = { icu: 0, inpatient: 1, outpatient: 2 };

/** Baseline prevalence per finding, [icu, inpatient, outpatient]. */
const P0: Record<FindingKey, readonly [number, number, number]> = {
  effusionLeft: [0.35, 0.2, 0.06],
  effusionRight: [0.4, 0.22, 0.07],
  consolidation: [0.25, 0.15, 0.04],
  pneumonia: [0.25, 0.2, 0.05],
  pneumothorax: [0.08, 0.04, 0.01],
  edema: [0.35, 0.18, 0.04],
  cardiomegaly: [0.35, 0.3, 0.15],
  atelectasis: [0.4, 0.2, 0.06],
  lungOpacity: [0.15, 0.12, 0.08],
};

/** Onset probability per interval, [icu, inpatient, outpatient]. */
const PON: Record<FindingKey, readonly [number, number, number]> = {
  effusionLeft: [0.15, 0.1, 0.04],
  effusionRight: [0.17, 0.1, 0.04],
  consolidation: [0.1, 0.08, 0.03],
  pneumonia: [0.1, 0.08, 0.03],
  pneumothorax: [0.07, 0.03, 0.01],
  edema: [0.14, 0.08, 0.03],
  cardiomegaly: [0.02, 0.02, 0.02],
  atelectasis: [0.18, 0.1, 0.03],
  lungOpacity: [0.06, 0.05, 0.04],
};

/** Chronic findings change rarely (damps both worsening and improving). */
const CHRONIC: Record<FindingKey, number> = {
  effusionLeft: 0, effusionRight: 0, consolidation: 0, pneumonia: 0, pneumothorax: 0,
  edema: 0, cardiomegaly: 1, atelectasis: 0, lungOpacity: 0.5,
};

/** Severity below which a finding counts as absent. */
export const ABSENT_BELOW = 0.08;
/** |Δseverity| at or above which a present→present change is worsening/improving. */
export const CHANGE_THRESHOLD = 0.08;

/** The change class between two severities, read back from the latent state. */
export function classifyChange(prev: number, cur: number): Change {
  const was = prev >= ABSENT_BELOW;
  const is = cur >= ABSENT_BELOW;
  if (!was && !is) return 'absent';
  if (!was) return 'new';
  if (!is) return 'resolved';
  const d = cur - prev;
  if (d >= CHANGE_THRESHOLD) return 'worsening';
  if (d <= -CHANGE_THRESHOLD) return 'improving';
  return 'stable';
}

function logUniform(rng: Rng, lo: number, hi: number): number {
  return Math.exp(rng.range(Math.log(lo), Math.log(hi)));
}

function pickLobe(rng: Rng): Lobe {
  // Lower lobes dominate, as aspiration and most pneumonias do.
  const r = rng.uniform();
  if (r < 0.28) return 'RLL';
  if (r < 0.52) return 'LLL';
  if (r < 0.64) return 'RML';
  if (r < 0.74) return 'lingula';
  if (r < 0.88) return 'RUL';
  return 'LUL';
}

function emptySeverities(): Severities {
  const s = {} as Severities;
  for (const k of FINDING_KEYS) s[k] = 0;
  return s;
}

function acuteSum(s: Severities): number {
  return s.effusionLeft + s.effusionRight + s.consolidation + s.pneumonia + s.pneumothorax + s.edema + s.atelectasis;
}

/** Gap in hours before the next study. */
function gapHours(rng: Rng, acuity: Acuity): number {
  if (acuity === 'icu') return logUniform(rng, 4, 48);
  if (acuity === 'inpatient') return logUniform(rng, 24, 240);
  return logUniform(rng, 14 * 24, 240 * 24);
}

/** One transition step for one finding; returns the new [severity, age]. */
function stepFinding(rng: Rng, key: FindingKey, sev: number, age: number, acuity: Acuity, onsetBoost: number): [number, number] {
  const ai = ACUITY_INDEX[acuity];
  if (sev < ABSENT_BELOW) {
    const pOn = Math.min(0.9, PON[key][ai] * onsetBoost);
    return rng.bernoulli(pOn) ? [rng.range(0.12, 0.45), 0] : [0, -1];
  }
  const chronic = CHRONIC[key];
  const decay = Math.exp(-age / 2);
  const pW = 0.1 + 0.45 * decay * (1 - 0.8 * chronic);
  const pI = 0.15 + 0.4 * (1 - decay) * (1 - 0.8 * chronic);
  const r = rng.uniform();
  const step = rng.range(0.14, 0.35);
  const jitter = rng.range(-0.03, 0.03);
  if (r < pW && sev + step <= 1) return [sev + step, age + 1];
  if (r >= pW && r < pW + pI) {
    const next = sev - step;
    return next < ABSENT_BELOW ? [0, -1] : [next, age + 1];
  }
  // Stable: keep well inside [ABSENT_BELOW, 1] so the jitter cannot cross a class boundary.
  return [Math.min(1, Math.max(ABSENT_BELOW + 0.04, sev + jitter)), age + 1];
}

/** The full course of one patient, from its own generator. */
export function simulateCourse(rng: Rng, maxStudies: number, lateralRate: number): PatientCourse {
  const ar = rng.uniform();
  const acuity: Acuity = ar < 0.25 ? 'icu' : ar < 0.6 ? 'inpatient' : 'outpatient';
  const ai = ACUITY_INDEX[acuity];
  const sex = rng.bernoulli(0.5) ? 'M' : 'F';
  const age = rng.int(acuity === 'outpatient' ? 25 : 40, 91);
  const sites: FindingSites = {
    consolidationLobe: pickLobe(rng),
    pneumoniaLobe: pickLobe(rng),
    pneumothoraxSide: rng.bernoulli(0.55) ? 'right' : 'left',
    atelectasisSite: rng.pick(['left', 'right', 'bilateral'] as const),
    opacitySide: rng.bernoulli(0.5) ? 'right' : 'left',
    opacityZone: rng.pick(['upper', 'mid', 'lower'] as const),
  };
  const meanExtra = [3.5, 2.5, 1.5][ai]!;
  const n = Math.min(maxStudies, 1 + Math.floor(-Math.log(1 - rng.uniform()) * meanExtra));
  const pacemaker = rng.bernoulli(0.04);

  const severity = emptySeverities();
  const ageOf = {} as Record<FindingKey, number>;
  for (const k of FINDING_KEYS) {
    const present = rng.bernoulli(P0[k][ai]);
    severity[k] = present ? rng.range(0.12, 0.85) : 0;
    ageOf[k] = present ? rng.int(0, 3) : -1;
  }
  const icu = acuity === 'icu';
  let devices: Devices = {
    ett: icu && rng.bernoulli(0.6),
    ngt: icu && rng.bernoulli(0.5),
    cvc: (icu && rng.bernoulli(0.6)) || (acuity === 'inpatient' && rng.bernoulli(0.15)),
    pacemaker,
  };

  const studies: CourseStudy[] = [];
  let hours = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      hours += gapHours(rng, acuity);
      const prev = studies[i - 1]!;
      const effBoost = prev.severity.edema >= 0.3 ? 3 : 1;
      for (const k of FINDING_KEYS) {
        const boost = k === 'effusionLeft' || k === 'effusionRight' ? effBoost : 1;
        const [s, a] = stepFinding(rng, k, prev.severity[k], prev.age[k], acuity, boost);
        severity[k] = s;
        ageOf[k] = a;
      }
      const pPlace = icu ? (severity.pneumothorax > 0 || severity.pneumonia > 0 ? 0.3 : 0.1) : 0.02;
      const toggle = (on: boolean): boolean => (on ? !rng.bernoulli(0.25) : rng.bernoulli(pPlace));
      devices = { ett: toggle(prev.devices.ett), ngt: toggle(prev.devices.ngt), cvc: toggle(prev.devices.cvc), pacemaker };
    }
    const sick = acuteSum(severity);
    const apDraw = rng.uniform();
    const frontalView: 'PA' | 'AP' = icu || (acuity === 'inpatient' && sick > 0.8 && apDraw < 0.7) ? 'AP' : 'PA';
    const hasLateral = rng.bernoulli(lateralRate);
    const llDraw = rng.bernoulli(0.1);
    studies.push({
      index: i,
      hoursFromFirst: hours,
      severity: { ...severity },
      age: { ...ageOf },
      devices: { ...devices },
      frontalView,
      lateralView: hasLateral ? (llDraw ? 'LL' : 'LATERAL') : null,
    });
  }
  return { acuity, sex, age, sites, studies };
}

/** Descriptive grade of a severity, as radiologists word it. */
export function gradeOf(sev: number): 'small' | 'moderate' | 'large' {
  return sev < 0.35 ? 'small' : sev < 0.65 ? 'moderate' : 'large';
}

/** Cardiothoracic ratio implied by the cardiomegaly severity (normal hearts vary per patient). */
export function cardiothoracicRatio(cardiomegaly: number, normalCtr: number): number {
  return cardiomegaly >= ABSENT_BELOW ? 0.5 + 0.17 * cardiomegaly : normalCtr;
}
