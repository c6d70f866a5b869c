/**
 * NIH ChestX-ray14: `Data_Entry_2017.csv` / `Data_Entry_2017_v2020.csv` as
 * typed rows with the 14 finding labels, the official patient-wise
 * `train_val_list.txt` / `test_list.txt` split or a seeded patient-wise one,
 * and the multi-label targets a linear probe takes.
 */
import { readFileSync } from 'node:fs';
import { Rng } from '../util/rng.ts';
import { readCsvFile, type CsvReadOptions, type CsvReadResult } from './csv.ts';
import { DataError } from './errors.ts';

/** The 14 ChestX-ray14 findings, in the order of the dataset paper (Wang et al., 2017). */
export const NIH_LABELS = [
  'Atelectasis',
  'Cardiomegaly',
  'Effusion',
  'Infiltration',
  'Mass',
  'Nodule',
  'Pneumonia',
  'Pneumothorax',
  'Consolidation',
  'Edema',
  'Emphysema',
  'Fibrosis',
  'Pleural_Thickening',
  'Hernia',
] as const;

export type NihLabel = (typeof NIH_LABELS)[number];

const NO_FINDING = 'No Finding';

/** One image row of the data entry file. */
export interface NihImageRecord {
  /** `Image Index`, e.g. `00000001_000.png` (the file name in the `images_NNN/images/` folders). */
  imageIndex: string;
  /** The findings present (empty for `No Finding`). */
  findings: NihLabel[];
  /** 1 when the finding is present, else 0, for all 14 labels. */
  labels: Record<NihLabel, 0 | 1>;
  /** `Follow-up #`: the image's place in the patient's sequence (0 first). */
  followUp: number;
  patientId: number;
  age: number | null;
  sex: string;
  /** `View Position`: PA or AP. */
  viewPosition: string;
  /** Original image size in pixels, when the file gives it. */
  width: number | null;
  height: number | null;
}

const REQUIRED = ['Image Index', 'Finding Labels', 'Follow-up #', 'Patient ID', 'View Position'];

/**
 * Read the data entry CSV (2017 or v2020 layout: the 2017 file ends each line
 * with an empty column; both split `OriginalImage[Width,Height]` into two
 * header fields, which is harmless since the rows split the same way).
 * An unknown finding name, a bad id or follow-up number skips the row and is
 * counted; `No Finding` alone means all 14 labels are 0.
 */
export function readNihDataEntry(path: string, options: CsvReadOptions = {}): CsvReadResult<NihImageRecord> {
  return readCsvFile(
    path,
    (record) => {
      const imageIndex = record.text('Image Index');
      if (imageIndex === '') throw record.error('bad-value', 'blank Image Index', 'Image Index');
      const names = record.text('Finding Labels').split('|').map((name) => name.trim()).filter((name) => name !== '');
      if (names.length === 0) throw record.error('bad-value', 'blank Finding Labels', 'Finding Labels');
      const findings: NihLabel[] = [];
      for (const name of names) {
        if (name === NO_FINDING) continue;
        if (!(NIH_LABELS as readonly string[]).includes(name)) {
          throw record.error('bad-value', `unknown finding "${name}" (expected ${NIH_LABELS.join('|')} or ${NO_FINDING})`, 'Finding Labels');
        }
        findings.push(name as NihLabel);
      }
      if (findings.length > 0 && names.includes(NO_FINDING)) {
        throw record.error('bad-value', `"${NO_FINDING}" together with findings`, 'Finding Labels');
      }
      const labels = Object.fromEntries(NIH_LABELS.map((label) => [label, findings.includes(label) ? 1 : 0])) as Record<NihLabel, 0 | 1>;
      const dimension = (column: string) => (record.has(column) ? record.optionalInt(column) : null);
      return {
        imageIndex,
        findings,
        labels,
        followUp: record.int('Follow-up #'),
        patientId: record.int('Patient ID'),
        // v2020 writes ages as numbers; the 2017 file as "058Y".
        age: parseAge(record.text('Patient Age')),
        sex: record.text('Patient Gender'),
        viewPosition: record.text('View Position'),
        width: dimension('OriginalImage[Width'),
        height: dimension('Height]'),
      };
    },
    { ...options, requiredColumns: [...REQUIRED, ...(options.requiredColumns ?? [])] },
  );
}

function parseAge(text: string): number | null {
  const match = /^(\d+)(Y?)$/.exec(text.trim());
  return match ? Number(match[1]) : null;
}

/** A patient-wise split: image indices per part. */
export interface NihSplit {
  train: string[];
  validate: string[];
  test: string[];
}

/**
 * The official split: `test_list.txt` is the test set, `train_val_list.txt`
 * is divided patient-wise into train and validate (`validateFraction` of its
 * patients, seeded), as the official lists give no validation set.
 * @throws DataError naming a list file that cannot be read, or an image listed in both.
 */
export function readNihOfficialSplit(trainValListPath: string, testListPath: string, records: readonly NihImageRecord[], options: { validateFraction?: number; seed?: number } = {}): NihSplit {
  const readList = (file: string): Set<string> => {
    try {
      return new Set(readFileSync(file, 'utf8').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ''));
    } catch (error) {
      throw new DataError('bad-file', `cannot read split list: ${(error as Error).message}`, { file });
    }
  };
  const trainVal = readList(trainValListPath);
  const test = readList(testListPath);
  for (const id of test) if (trainVal.has(id)) throw new DataError('bad-value', `image ${id} is in both split lists`, { file: testListPath });
  const inTrainVal = records.filter((record) => trainVal.has(record.imageIndex));
  const held = patientSubset(inTrainVal, options.validateFraction ?? 0.1, options.seed ?? 0);
  return {
    train: inTrainVal.filter((record) => !held.has(record.patientId)).map((record) => record.imageIndex),
    validate: inTrainVal.filter((record) => held.has(record.patientId)).map((record) => record.imageIndex),
    test: records.filter((record) => test.has(record.imageIndex)).map((record) => record.imageIndex),
  };
}

/**
 * A seeded patient-wise split (default 70 / 10 / 20 % of patients), for
 * subsets such as the fixture where the official lists do not apply. No
 * patient has images in two parts.
 */
export function nihPatientSplit(records: readonly NihImageRecord[], options: { validate?: number; test?: number; seed?: number } = {}): NihSplit {
  const validate = options.validate ?? 0.1;
  const test = options.test ?? 0.2;
  if (!(validate >= 0 && test >= 0 && validate + test < 1)) throw new Error(`nihPatientSplit: validate + test must be in [0, 1), got ${validate} + ${test}`);
  const patients = [...new Set(records.map((record) => record.patientId))].sort((a, b) => a - b);
  const shuffled = new Rng(options.seed ?? 0).shuffle(patients);
  const testCount = Math.round(patients.length * test);
  const validateCount = Math.round(patients.length * validate);
  const part = new Map<number, keyof NihSplit>();
  shuffled.forEach((patient, index) => part.set(patient, index < testCount ? 'test' : index < testCount + validateCount ? 'validate' : 'train'));
  const split: NihSplit = { train: [], validate: [], test: [] };
  for (const record of records) split[part.get(record.patientId)!].push(record.imageIndex);
  return split;
}

function patientSubset(records: readonly NihImageRecord[], fraction: number, seed: number): Set<number> {
  const patients = [...new Set(records.map((record) => record.patientId))].sort((a, b) => a - b);
  return new Set(new Rng(seed).shuffle(patients).slice(0, Math.round(patients.length * fraction)));
}

/**
 * Multi-label probe targets for the given images, in their order:
 * row-major [N, 14] in `NIH_LABELS` order (for `fitLinearProbe` with the
 * 'sigmoid' loss, scored by mean AUROC over the labels with both classes).
 * @throws Error naming an image index not in `records`.
 */
export function nihProbeTargets(records: readonly NihImageRecord[], imageIndices: readonly string[]): { labels: readonly NihLabel[]; targets: Float32Array } {
  const byIndex = new Map(records.map((record) => [record.imageIndex, record]));
  const targets = new Float32Array(imageIndices.length * NIH_LABELS.length);
  imageIndices.forEach((id, row) => {
    const record = byIndex.get(id);
    if (!record) throw new Error(`nihProbeTargets: image ${id} is not in the data entry file`);
    NIH_LABELS.forEach((label, column) => (targets[row * NIH_LABELS.length + column] = record.labels[label]));
  });
  return { labels: NIH_LABELS, targets };
}
