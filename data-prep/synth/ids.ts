/**
 * Identifiers and timestamps in the MIMIC-CXR style: 8-digit subject ids
 * (10000000–19999999, folder `pNN` = first two digits), 8-digit study ids
 * (50000000–59999999), dicom ids of five dash-separated 8-hex groups, StudyDate
 * `YYYYMMDD` in shifted years (2110–2190) and StudyTime `HHMMSS.fff`.
 *
 * Ids are allocated in disjoint strides per patient / per study slot, so they are
 * unique without any global bookkeeping and do not depend on iteration order.
 */
import type { Rng } from '../../lib/util/rng.ts';

const SUBJECT_BASE = 10_000_000;
const SUBJECT_SPAN = 9_990_000;
const STUDY_BASE = 50_000_000;
const STUDY_SPAN = 9_990_000;

/** Unique 8-digit subject id for patient `index` of `nPatients`. */
export function subjectIdFor(index: number, nPatients: number, rng: Rng): number {
  const stride = Math.max(1, Math.floor(SUBJECT_SPAN / nPatients));
  return SUBJECT_BASE + index * stride + rng.int(0, stride - 1);
}

/** Unique 8-digit study id for study slot `k` of patient `index`. */
export function studyIdFor(index: number, k: number, nPatients: number, maxStudies: number, rng: Rng): number {
  const slots = nPatients * maxStudies;
  const stride = Math.max(1, Math.floor(STUDY_SPAN / slots));
  // Interleave slots so a patient's study ids are not consecutive (as in MIMIC).
  const slot = k * nPatients + index;
  return STUDY_BASE + slot * stride + rng.int(0, stride - 1);
}

function hex8(rng: Rng): string {
  return rng.nextUint32().toString(16).padStart(8, '0');
}

/** A dicom id like MIMIC's: `02aa804e-bde0afdd-112c0b34-7bc16630-4e384014`. */
export function dicomIdFor(rng: Rng): string {
  return [hex8(rng), hex8(rng), hex8(rng), hex8(rng), hex8(rng)].join('-');
}

/** The `pNN` folder of a subject. */
export function subjectFolder(subjectId: number): string {
  return `p${String(subjectId).slice(0, 2)}`;
}

/** Relative path of an image, e.g. `files/p10/p10000032/s50414267/<dicom>.jpg`. */
export function imagePath(subjectId: number, studyId: number, dicomId: string): string {
  return `files/${subjectFolder(subjectId)}/p${subjectId}/s${studyId}/${dicomId}.jpg`;
}

/** Relative path of a report, e.g. `files/p10/p10000032/s50414267.txt`. */
export function reportPath(subjectId: number, studyId: number): string {
  return `files/${subjectFolder(subjectId)}/p${subjectId}/s${studyId}.txt`;
}

/** Milliseconds since the Unix epoch of the patient's first study (years 2110–2190). */
export function firstStudyEpochMs(rng: Rng, outpatient: boolean): number {
  const year = rng.int(2110, 2190);
  const dayOfYear = rng.int(0, 364);
  // Outpatient clinics work in the day; wards and ICUs image around the clock.
  const hour = outpatient ? rng.range(8, 17) : rng.range(0, 24);
  return Date.UTC(year, 0, 1) + dayOfYear * 86_400_000 + Math.floor(hour * 3_600_000) + rng.int(0, 999);
}

/** `YYYYMMDD` and `HHMMSS.fff` of an epoch time (UTC, so it is machine independent). */
export function formatStudyDateTime(epochMs: number): { date: string; time: string } {
  const d = new Date(epochMs);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const date = `${d.getUTCFullYear()}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}`;
  const time = `${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
  return { date, time };
}
