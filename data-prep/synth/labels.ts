/**
 * Label vocabularies: the 14 CheXpert labels (merged from the report's
 * sentences, as the CheXpert labeler does for MIMIC-CXR) and the MS-CXR-T
 * progression classes (from the TRUE latent change, as the benchmark's
 * radiologist annotations are).
 */
import { classifyChange, type Change, type FindingKey, type Severities } from './course.ts';

export const CHEXPERT_LABELS = [
  'Atelectasis',
  'Cardiomegaly',
  'Consolidation',
  'Edema',
  'Enlarged Cardiomediastinum',
  'Fracture',
  'Lung Lesion',
  'Lung Opacity',
  'No Finding',
  'Pleural Effusion',
  'Pleural Other',
  'Pneumonia',
  'Pneumothorax',
  'Support Devices',
] as const;
export type ChexpertLabel = (typeof CHEXPERT_LABELS)[number];
/** 1 positive, 0 negative, −1 uncertain; a missing key means "not mentioned" (blank). */
export type LabelValue = 1 | 0 | -1;
export type LabelSet = Partial<Record<ChexpertLabel, LabelValue>>;

/** The CheXpert label a latent finding is reported under. */
export const FINDING_LABEL: Record<FindingKey, ChexpertLabel> = {
  effusionLeft: 'Pleural Effusion',
  effusionRight: 'Pleural Effusion',
  consolidation: 'Consolidation',
  pneumonia: 'Pneumonia',
  pneumothorax: 'Pneumothorax',
  edema: 'Edema',
  cardiomegaly: 'Cardiomegaly',
  atelectasis: 'Atelectasis',
  lungOpacity: 'Lung Opacity',
};

/** Merge a sentence's labels into the report's: positive beats uncertain beats negative. */
export function mergeLabels(into: LabelSet, add: LabelSet): void {
  const rank = (v: LabelValue | undefined): number => (v === undefined ? -1 : v === 1 ? 3 : v === -1 ? 2 : 1);
  for (const [k, v] of Object.entries(add) as [ChexpertLabel, LabelValue][]) {
    if (rank(v) > rank(into[k])) into[k] = v;
  }
}

/** Adds "No Finding" = 1 when no pathology is positive or uncertain (support devices allowed). */
export function finaliseLabels(labels: LabelSet): LabelSet {
  const out: LabelSet = { ...labels };
  const pathology = CHEXPERT_LABELS.filter((l) => l !== 'No Finding' && l !== 'Support Devices');
  if (!pathology.some((l) => out[l] === 1 || out[l] === -1)) out['No Finding'] = 1;
  else delete out['No Finding'];
  return out;
}

/** The MS-CXR-T findings and their progression columns. */
export const PROGRESSION_FINDINGS = ['consolidation', 'edema', 'pleural_effusion', 'pneumonia', 'pneumothorax'] as const;
export type ProgressionFinding = (typeof PROGRESSION_FINDINGS)[number];
export type Progression = 'improving' | 'stable' | 'worsening' | '';

function progressionOf(c: Change): Progression {
  if (c === 'new' || c === 'worsening') return 'worsening';
  if (c === 'resolved' || c === 'improving') return 'improving';
  if (c === 'stable') return 'stable';
  return '';
}

/**
 * Progression between two studies from the true severities. Blank when the
 * finding is absent in both. Pleural effusion combines the two sides: blank
 * when one side worsens while the other improves (the benchmark drops such pairs).
 */
export function trueProgression(prev: Severities, cur: Severities): Record<ProgressionFinding, Progression> {
  const single = (k: FindingKey): Progression => progressionOf(classifyChange(prev[k], cur[k]));
  const l = single('effusionLeft'), r = single('effusionRight');
  let eff: Progression;
  if (l === '' || r === '') eff = l === '' ? r : l;
  else if (l === r) eff = l;
  else if (l === 'stable') eff = r;
  else if (r === 'stable') eff = l;
  else eff = '';
  return {
    consolidation: single('consolidation'),
    edema: single('edema'),
    pleural_effusion: eff,
    pneumonia: single('pneumonia'),
    pneumothorax: single('pneumothorax'),
  };
}
