/**
 * CheXpert `train.csv` / `valid.csv`: typed rows, uncertainty policies that turn
 * the tri-state labels into binary targets, and the CheXpert 5×200 selector.
 */
import { Rng } from '../util/rng.ts';
import { readCsvFile, type CsvReadOptions, type CsvReadResult } from './csv.ts';
import {
  CHEXPERT_COMPETITION_LABELS,
  CHEXPERT_LABELS,
  readChexpertLabelValues,
  type ChexpertCompetitionLabel,
  type ChexpertLabel,
  type ChexpertLabelValues,
} from './labels.ts';

/** One image row of CheXpert `train.csv` / `valid.csv`. */
export interface ChexpertImageRecord {
  /** `Path` as written, e.g. `CheXpert-v1.0-small/train/patient00001/study1/view1_frontal.jpg`. */
  path: string;
  /** `patient00001` taken from the path (null if the path has another shape). */
  patientId: string | null;
  /** `patient00001/study1` taken from the path (null if the path has another shape). */
  studyKey: string | null;
  sex: string;
  age: number | null;
  view: 'frontal' | 'lateral';
  /** `AP/PA` column: AP, PA, LL, RL, ...; null when blank (lateral images). */
  apPa: string | null;
  /** The 14 labels as written: 1, 0, -1 (uncertain), null (blank). */
  labels: ChexpertLabelValues;
}

const CHEXPERT_COLUMNS = ['Path', 'Sex', 'Age', 'Frontal/Lateral', 'AP/PA', ...CHEXPERT_LABELS];

/**
 * Read CheXpert `train.csv` / `valid.csv` (labels may be `1.0` or `1`).
 * A bad label, age or Frontal/Lateral value skips the row and is counted.
 */
export function readChexpertCsv(path: string, options: CsvReadOptions = {}): CsvReadResult<ChexpertImageRecord> {
  return readCsvFile(
    path,
    (record) => {
      const imagePath = record.text('Path');
      if (imagePath === '') throw record.error('bad-value', 'blank Path', 'Path');
      const frontalLateral = record.oneOf('Frontal/Lateral', ['Frontal', 'Lateral'] as const);
      if (frontalLateral === null) throw record.error('bad-value', 'blank Frontal/Lateral', 'Frontal/Lateral');
      const ids = /(patient\d+)\/(study\d+)\//.exec(imagePath);
      return {
        path: imagePath,
        patientId: ids ? ids[1]! : null,
        studyKey: ids ? `${ids[1]}/${ids[2]}` : null,
        sex: record.text('Sex'),
        age: record.optionalInt('Age'),
        view: frontalLateral === 'Frontal' ? 'frontal' : 'lateral',
        apPa: record.optionalText('AP/PA'),
        labels: readChexpertLabelValues(record),
      };
    },
    { ...options, requiredColumns: CHEXPERT_COLUMNS },
  );
}

/** What an uncertain (-1) label becomes: 1 (`ones`), 0 (`zeros`) or masked null (`ignore`). */
export type UncertaintyPolicy = 'ones' | 'zeros' | 'ignore';

/**
 * The common policy: U-Ones for Atelectasis, Edema, Pleural Effusion; U-Zeros
 * for Cardiomegaly, Consolidation; U-Zeros for the other nine labels too (our choice,
 * the simplest baseline; pass a policy to change it).
 */
export const DEFAULT_UNCERTAINTY_POLICY: Readonly<Record<ChexpertLabel, UncertaintyPolicy>> = Object.freeze({
  ...(Object.fromEntries(CHEXPERT_LABELS.map((label) => [label, 'zeros'])) as Record<ChexpertLabel, UncertaintyPolicy>),
  Atelectasis: 'ones',
  Edema: 'ones',
  'Pleural Effusion': 'ones',
  Cardiomegaly: 'zeros',
  Consolidation: 'zeros',
});

/** A training target: 1, 0, or null = masked out of the loss. */
export type BinaryTarget = 1 | 0 | null;

/** Options for `binarizeChexpertLabels`. */
export interface BinarizeOptions {
  /** Per-label overrides of `DEFAULT_UNCERTAINTY_POLICY`. */
  policy?: Partial<Record<ChexpertLabel, UncertaintyPolicy>>;
  /**
   * What a blank (not mentioned) label becomes: 0 (`zeros`, default — CheXpert's
   * labeler leaves unmentioned findings blank, so blank means "not reported
   * present") or masked (`ignore`).
   */
  blank?: 'zeros' | 'ignore';
}

/**
 * Turn tri-state labels into binary targets by the uncertainty policy.
 *
 * @param labels The 14 labels as read (1, 0, -1, null).
 * @returns Record of the 14 labels → 1 | 0 | null (null = masked).
 * @example binarizeChexpertLabels(row.labels).Edema // -1 → 1 under U-Ones
 */
export function binarizeChexpertLabels(labels: ChexpertLabelValues, options: BinarizeOptions = {}): Record<ChexpertLabel, BinaryTarget> {
  const policy = { ...DEFAULT_UNCERTAINTY_POLICY, ...options.policy };
  const blank = options.blank ?? 'zeros';
  const targets = {} as Record<ChexpertLabel, BinaryTarget>;
  for (const label of CHEXPERT_LABELS) {
    const value = labels[label];
    if (value === null) targets[label] = blank === 'zeros' ? 0 : null;
    else if (value === -1) targets[label] = policy[label] === 'ones' ? 1 : policy[label] === 'zeros' ? 0 : null;
    else targets[label] = value;
  }
  return targets;
}

/** Options for `selectChexpert5x200`. */
export interface Chexpert5x200Options {
  /** Images per class (default 200). */
  perClass?: number;
  /** Seed of the random choice among eligible images. */
  seed: number;
  /**
   * Which other labels must be 0 (blank counts as 0, -1 does not):
   * `all` (default) — the 12 other labels except No Finding, as in data-formats.md
   * and the GLoRIA protocol; `competition` — only the 4 other competition labels.
   */
  constrain?: 'all' | 'competition';
}

/** The 5×200 selection: chosen images per class and how many were eligible. */
export interface Chexpert5x200Selection<R> {
  byLabel: Record<ChexpertCompetitionLabel, R[]>;
  eligibleCounts: Record<ChexpertCompetitionLabel, number>;
}

/** Whether a frontal image is a clean example of `label` under the 5×200 rule. */
export function isChexpert5x200Eligible(
  record: Pick<ChexpertImageRecord, 'view' | 'labels'>,
  label: ChexpertCompetitionLabel,
  constrain: 'all' | 'competition' = 'all',
): boolean {
  if (record.view !== 'frontal' || record.labels[label] !== 1) return false;
  const others: readonly ChexpertLabel[] = constrain === 'all' ? CHEXPERT_LABELS : CHEXPERT_COMPETITION_LABELS;
  return others.every((other) => other === label || other === 'No Finding' || (record.labels[other] ?? 0) === 0);
}

/**
 * CheXpert 5×200-style selector: for each competition label, up to `perClass`
 * frontal images where that label is 1 and the constrained others are 0,
 * chosen by a seeded shuffle. The classes cannot overlap (an image is positive
 * for exactly one competition label).
 */
export function selectChexpert5x200<R extends Pick<ChexpertImageRecord, 'view' | 'labels'>>(
  records: readonly R[],
  options: Chexpert5x200Options,
): Chexpert5x200Selection<R> {
  const perClass = options.perClass ?? 200;
  const rng = new Rng(options.seed);
  const byLabel = {} as Record<ChexpertCompetitionLabel, R[]>;
  const eligibleCounts = {} as Record<ChexpertCompetitionLabel, number>;
  for (const label of CHEXPERT_COMPETITION_LABELS) {
    const eligible = records.filter((record) => isChexpert5x200Eligible(record, label, options.constrain ?? 'all'));
    eligibleCounts[label] = eligible.length;
    byLabel[label] = rng.shuffle([...eligible]).slice(0, perClass);
  }
  return { byLabel, eligibleCounts };
}
