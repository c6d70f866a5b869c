/**
 * Builds manifest records from a MIMIC-CXR-JPG tree (real or synthetic): metadata,
 * split and label CSVs plus the report files, paired frontal/lateral per study.
 * Images are not opened here (preparation decodes them once, into the image store);
 * only their presence is checked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataError, DataIssues } from './errors.ts';
import type { ChexpertLabelValues } from './labels.ts';
import type { ManifestRecord, ManifestReport } from './manifest.ts';
import { RowLedger, type RowDropReason } from './metadata_rows.ts';
import {
  classifyViewPosition,
  mimicImagePath,
  mimicReportPath,
  pairFrontalLateral,
  readMimicLabels,
  readMimicMetadata,
  readMimicSplit,
  type MimicImageRecord,
  type MimicSplit,
} from './mimic.ts';
import { readReportFile } from './report.ts';

export const MIMIC_METADATA_FILE = 'mimic-cxr-2.0.0-metadata.csv';
export const MIMIC_SPLIT_FILE = 'mimic-cxr-2.0.0-split.csv';
export const MIMIC_CHEXPERT_FILE = 'mimic-cxr-2.0.0-chexpert.csv';
export const MIMIC_NEGBIO_FILE = 'mimic-cxr-2.0.0-negbio.csv';

/** Options of `buildMimicManifest`. */
export interface BuildMimicManifestOptions {
  /** Where problems go; strict mode throws the first. */
  issues?: DataIssues;
  /** Keep only this shard's patients (`subject_id mod count = index - 1`); the other rows are dropped as 'other-shard'. */
  shard?: ShardSpec;
}

/** One of `count` shards of a preparation, 1-based: `{index: 2, count: 4}` is `--shard 2/4`. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** Whether a patient belongs to a shard: patients, not studies, are split, so a patient's history stays together. */
export function inShard(subjectId: number, shard: ShardSpec | undefined): boolean {
  return shard === undefined || subjectId % shard.count === shard.index - 1;
}

/** What `buildMimicManifest` read: the candidate records and the fate of every metadata row so far. */
export interface MimicManifestBuild {
  records: ManifestRecord[];
  /** The readable metadata rows, in file order. */
  images: MimicImageRecord[];
  /** Dropped rows so far; `settleRowLedger` assigns the rest once the records are final. */
  ledger: RowLedger;
}

/**
 * Reads the tree at `root` into manifest records, one per frontal image with a
 * usable report, in metadata order. Skipped and counted (or thrown in strict
 * mode), each naming its metadata row: a frontal image whose file is missing, an
 * image without a split row, a study whose report is missing, empty or shorter
 * than 3 tokens. A lateral whose file is missing is dropped from its pair (the
 * frontal stays).
 */
export function buildMimicManifest(root: string, options: BuildMimicManifestOptions = {}): MimicManifestBuild {
  const issues = options.issues ?? new DataIssues();
  const metadataFile = path.join(root, MIMIC_METADATA_FILE);
  const splitFile = path.join(root, MIMIC_SPLIT_FILE);
  for (const file of [metadataFile, splitFile]) {
    if (!fs.existsSync(file)) throw new DataError('bad-file', 'required file is missing', { file });
  }
  const metadata = readMimicMetadata(metadataFile, { issues });
  const ledger = new RowLedger(MIMIC_METADATA_FILE, metadata.rowCount);
  for (const error of metadata.skipped) ledger.drop(error.row!, error.line ?? 0, 'unreadable-row', error.detail);
  const images = metadata.rows;
  const splitById = new Map(readMimicSplit(splitFile, { issues }).rows.map((r) => [r.dicomId, r.split] as const));
  const labelsByStudy = readStudyLabels(root, issues);
  // Located like the CSV reader's own problems: the table's name, row and line.
  const at = (image: MimicImageRecord) => ({ file: MIMIC_METADATA_FILE, row: image.source.row, line: image.source.line });
  const drop = (image: MimicImageRecord, reason: RowDropReason, detail: string) => ledger.drop(image.source.row, image.source.line, reason, detail);

  const exists = (relative: string) => fs.existsSync(path.join(root, relative));
  const reportByStudy = new Map<number, ManifestReport | null>();
  const records: ManifestRecord[] = [];
  // Pairs are made over the whole table and go to the shard of their frontal image, as an unsharded run pairs them.
  for (const { frontal, lateral } of pairFrontalLateral(images)) {
    if (!inShard(frontal.subjectId, options.shard)) continue;
    const imagePath = mimicImagePath(frontal.subjectId, frontal.studyId, frontal.dicomId);
    if (!exists(imagePath)) {
      const detail = `image ${imagePath} (dicom_id ${frontal.dicomId}) is missing`;
      issues.report(new DataError('bad-file', detail, at(frontal)));
      drop(frontal, 'missing-image', detail);
      continue;
    }
    const split = splitById.get(frontal.dicomId);
    if (split === undefined) {
      const detail = `dicom_id ${frontal.dicomId} has no row in ${MIMIC_SPLIT_FILE}`;
      issues.report(new DataError('bad-value', detail, { ...at(frontal), field: 'dicom_id' }));
      drop(frontal, 'no-split', detail);
      continue;
    }
    const report = studyReport(root, frontal, reportByStudy, issues);
    if (report === null) {
      drop(frontal, 'no-report', `the report of study ${frontal.studyId} (${mimicReportPath(frontal.subjectId, frontal.studyId)}) is missing or unusable`);
      continue;
    }
    records.push({
      id: frontal.dicomId,
      subjectId: frontal.subjectId,
      studyId: frontal.studyId,
      timestamp: frontal.timestamp,
      studyDate: frontal.studyDate,
      studyTime: frontal.studyTime,
      viewPosition: frontal.viewPosition ?? '',
      imagePath,
      lateral: usableLateral(root, lateral, issues, ledger),
      report,
      split: split as MimicSplit,
      labels: labelsByStudy.get(frontal.studyId) ?? null,
    });
  }
  if (options.shard) {
    const lateralsUsed = new Set(records.map((record) => record.lateral?.id));
    for (const image of images) {
      if (inShard(image.subjectId, options.shard) || lateralsUsed.has(image.dicomId)) continue;
      drop(image, 'other-shard', `subject ${image.subjectId} is in shard ${(image.subjectId % options.shard.count) + 1}/${options.shard.count}`);
    }
  }
  return { records, images, ledger };
}

/**
 * Gives every metadata row not used by the final `records` and not dropped yet
 * its reason: a view that is never paired, a study's second lateral, or a
 * lateral whose study kept no frontal.
 */
export function settleRowLedger(build: MimicManifestBuild, records: readonly ManifestRecord[]): RowLedger {
  const used = new Set<string>();
  for (const record of records) {
    used.add(record.id);
    if (record.lateral) used.add(record.lateral.id);
  }
  const firstLateral = new Map<number, string>();
  for (const image of build.images) {
    if (image.view === 'lateral' && !firstLateral.has(image.studyId)) firstLateral.set(image.studyId, image.dicomId);
  }
  for (const image of build.images) {
    const { row, line } = image.source;
    if (used.has(image.dicomId) || build.ledger.isDropped(row)) continue;
    const view = `ViewPosition "${image.viewPosition ?? ''}"`;
    if (image.view === 'other') {
      const known = classifyViewPosition(image.viewPosition).known;
      build.ledger.drop(row, line, known ? 'unused-view' : 'unknown-view', `${view} is neither frontal nor lateral`);
    } else if (image.view === 'lateral' && firstLateral.get(image.studyId) !== image.dicomId) {
      build.ledger.drop(row, line, 'extra-lateral', `study ${image.studyId} already has lateral ${firstLateral.get(image.studyId)}`);
    } else {
      build.ledger.drop(row, line, 'no-frontal', `study ${image.studyId} kept no frontal record`);
    }
  }
  return build.ledger;
}

function usableLateral(root: string, lateral: MimicImageRecord | null, issues: DataIssues, ledger: RowLedger): ManifestRecord['lateral'] {
  if (lateral === null) return null;
  const imagePath = mimicImagePath(lateral.subjectId, lateral.studyId, lateral.dicomId);
  if (!fs.existsSync(path.join(root, imagePath))) {
    if (!ledger.isDropped(lateral.source.row)) {
      const detail = `lateral image ${imagePath} (dicom_id ${lateral.dicomId}) is missing; frontal kept without it`;
      issues.report(new DataError('bad-file', detail, { file: MIMIC_METADATA_FILE, row: lateral.source.row, line: lateral.source.line }));
      ledger.drop(lateral.source.row, lateral.source.line, 'missing-image', detail);
    }
    return null;
  }
  return { id: lateral.dicomId, imagePath, viewPosition: lateral.viewPosition ?? '' };
}

/** The study's cleaned report, read once per study (several frontals share it); null when unusable. */
function studyReport(root: string, image: MimicImageRecord, cache: Map<number, ManifestReport | null>, issues: DataIssues): ManifestReport | null {
  if (cache.has(image.studyId)) return cache.get(image.studyId)!;
  const file = path.join(root, mimicReportPath(image.subjectId, image.studyId));
  let report: ManifestReport | null = null;
  if (!fs.existsSync(file)) {
    issues.report(new DataError('bad-file', `report of study ${image.studyId} is missing`, { file }));
  } else {
    const { sectioned, cleaned } = readReportFile(file, { issues, where: { file } });
    if (cleaned !== null) {
      const section = (key: string) => sectioned.byKey[key] ?? null;
      report = {
        sentences: cleaned.sentenceTexts,
        text: cleaned.text,
        tokenCount: cleaned.tokenCount,
        findings: section('findings'),
        impression: section('impression'),
        comparison: section('comparison'),
        indication: section('indication'),
      };
    }
  }
  cache.set(image.studyId, report);
  return report;
}

/** CheXpert labels per study from the chexpert file, else the negbio file, else none. */
function readStudyLabels(root: string, issues: DataIssues): Map<number, ChexpertLabelValues> {
  for (const name of [MIMIC_CHEXPERT_FILE, MIMIC_NEGBIO_FILE]) {
    const file = path.join(root, name);
    if (fs.existsSync(file)) return new Map(readMimicLabels(file, { issues }).rows.map((r) => [r.studyId, r.labels] as const));
  }
  return new Map();
}
