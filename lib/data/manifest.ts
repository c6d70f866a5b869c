/**
 * The dataset manifest: one record per frontal image with its study, time, paired
 * lateral, cleaned report, split and labels (methods §1.6). Training, evaluation
 * and notebooks read this instead of the raw layout.
 *
 * On disk: `manifest.jsonl` (one record per line) and `manifest.json` (what made
 * it, counts and data issues), both written atomically.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../util/atomic_file.ts';
import { DataError, type DataIssueKind } from './errors.ts';
import type { RowAccount } from './metadata_rows.ts';
import type { ChexpertLabelValues } from './labels.ts';
import type { MimicSplit } from './mimic.ts';

/** The lateral image that rides along with a frontal one. */
export interface ManifestLateral {
  id: string;
  /** Relative to the dataset root. */
  imagePath: string;
  viewPosition: string;
}

/** The report of a study after sectioning and §1.6 cleaning. */
export interface ManifestReport {
  /** Cleaned sentences (lower-case, space-separated tokens), impression first. */
  sentences: string[];
  /** The sentences joined as `s1. s2.`: what the text encoder reads. */
  text: string;
  tokenCount: number;
  /** Raw section texts (null when absent), for display and error analysis. */
  findings: string | null;
  impression: string | null;
  comparison: string | null;
  indication: string | null;
}

/** One frontal image of a study with everything training needs. */
export interface ManifestRecord {
  /** The frontal image's dicom_id: the record's key and its image-store id. */
  id: string;
  subjectId: number;
  studyId: number;
  /** Milliseconds since 1970 UTC from StudyDate + StudyTime (sorts a patient's studies). */
  timestamp: number;
  studyDate: string;
  studyTime: string;
  /** PA or AP. */
  viewPosition: string;
  /** Relative to the dataset root. */
  imagePath: string;
  lateral: ManifestLateral | null;
  report: ManifestReport;
  split: MimicSplit;
  /** CheXpert labels of the study (null when no label file covers it). */
  labels: ChexpertLabelValues | null;
}

/** `manifest.json`: provenance and counts. */
export interface ManifestInfo {
  format: 'medst-manifest';
  version: 1;
  /** The dataset root the manifest was made from (absolute). */
  source: string;
  records: number;
  withLateral: number;
  splits: Record<MimicSplit, number>;
  patients: number;
  studies: number;
  /** Image store made alongside (null when none), and how its JPEGs were decoded (absent before this was kept). */
  imageStore: { file: string; size: number; jpeg?: 'dct-scaled' | 'full' } | null;
  /** Data issues met while preparing: counts per kind. */
  issues: Record<string, number>;
  /** What became of every metadata row (absent in manifests from before it was kept). */
  metadataRows?: RowAccount;
  /** Set on the output of `prepare --shard i/n`: which shard, and the images that did not decode. */
  shard?: { index: number; count: number; undecodable: ShardImageFailure[] };
}

/** An image a shard could not decode, kept so that the merge reports it as an unsharded run would. */
export interface ShardImageFailure {
  id: string;
  kind: DataIssueKind;
  detail: string;
}

export const MANIFEST_RECORDS_FILE = 'manifest.jsonl';
export const MANIFEST_INFO_FILE = 'manifest.json';

/** Writes the records (JSONL) and then the info file, each atomically. */
export function writeManifest(dir: string, records: readonly ManifestRecord[], info: ManifestInfo): void {
  writeFileAtomicSync(path.join(dir, MANIFEST_RECORDS_FILE), records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
  writeFileAtomicSync(path.join(dir, MANIFEST_INFO_FILE), JSON.stringify(info, null, 2) + '\n');
}

const REQUIRED_FIELDS: Array<keyof ManifestRecord> = ['id', 'subjectId', 'studyId', 'timestamp', 'imagePath', 'report', 'split'];

/**
 * Reads a manifest folder. A malformed line is an error naming the file and line
 * (a manifest is written by medst, so damage means the file is not what it claims).
 */
export function readManifest(dir: string): { records: ManifestRecord[]; info: ManifestInfo } {
  const recordsFile = path.join(dir, MANIFEST_RECORDS_FILE);
  const infoFile = path.join(dir, MANIFEST_INFO_FILE);
  if (!fs.existsSync(recordsFile)) throw new DataError('bad-file', 'no manifest here (run `npm run prepare` first)', { file: recordsFile });
  let info: ManifestInfo;
  try {
    info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as ManifestInfo;
  } catch (error) {
    throw new DataError('bad-file', `cannot read manifest info: ${(error as Error).message}`, { file: infoFile });
  }
  if (info.format !== 'medst-manifest') throw new DataError('bad-file', `not a medst manifest (format ${JSON.stringify(info.format)})`, { file: infoFile });
  const records: ManifestRecord[] = [];
  const lines = fs.readFileSync(recordsFile, 'utf8').split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let record: ManifestRecord;
    try {
      record = JSON.parse(line) as ManifestRecord;
    } catch (error) {
      throw new DataError('malformed-row', `not JSON: ${(error as Error).message}`, { file: recordsFile, line: index + 1 });
    }
    for (const field of REQUIRED_FIELDS) {
      if (record[field] === undefined) throw new DataError('malformed-row', 'missing field', { file: recordsFile, line: index + 1, field });
    }
    records.push(record);
  });
  return { records, info };
}

/** Records of one split, in manifest order. */
export function recordsOfSplit(records: readonly ManifestRecord[], split: MimicSplit): ManifestRecord[] {
  return records.filter((r) => r.split === split);
}
