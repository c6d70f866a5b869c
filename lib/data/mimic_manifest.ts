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
import {
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
}

/**
 * Reads the tree at `root` into manifest records, one per frontal image with a
 * usable report, in metadata order. Skipped and counted (or thrown in strict
 * mode): a frontal image whose file is missing, a study whose report is missing,
 * empty or shorter than 3 tokens, an image without a split row. A lateral whose
 * file is missing is dropped from its pair (the frontal stays).
 */
export function buildMimicManifest(root: string, options: BuildMimicManifestOptions = {}): ManifestRecord[] {
  const issues = options.issues ?? new DataIssues();
  const metadataFile = path.join(root, MIMIC_METADATA_FILE);
  const splitFile = path.join(root, MIMIC_SPLIT_FILE);
  for (const file of [metadataFile, splitFile]) {
    if (!fs.existsSync(file)) throw new DataError('bad-file', 'required file is missing', { file });
  }
  const images = readMimicMetadata(metadataFile, { issues }).rows;
  const splitById = new Map(readMimicSplit(splitFile, { issues }).rows.map((r) => [r.dicomId, r.split] as const));
  const labelsByStudy = readStudyLabels(root, issues);

  const exists = (relative: string) => fs.existsSync(path.join(root, relative));
  const reportByStudy = new Map<number, ManifestReport | null>();
  const records: ManifestRecord[] = [];
  for (const { frontal, lateral } of pairFrontalLateral(images)) {
    const imagePath = mimicImagePath(frontal.subjectId, frontal.studyId, frontal.dicomId);
    if (!exists(imagePath)) {
      issues.report(new DataError('bad-file', `image listed in ${MIMIC_METADATA_FILE} (dicom_id ${frontal.dicomId}) is missing`, { file: path.join(root, imagePath) }));
      continue;
    }
    const split = splitById.get(frontal.dicomId);
    if (split === undefined) {
      issues.report(new DataError('bad-value', `dicom_id ${frontal.dicomId} has no row in ${MIMIC_SPLIT_FILE}`, { file: splitFile, field: 'dicom_id' }));
      continue;
    }
    const report = studyReport(root, frontal, reportByStudy, issues);
    if (report === null) continue;
    records.push({
      id: frontal.dicomId,
      subjectId: frontal.subjectId,
      studyId: frontal.studyId,
      timestamp: frontal.timestamp,
      studyDate: frontal.studyDate,
      studyTime: frontal.studyTime,
      viewPosition: frontal.viewPosition ?? '',
      imagePath,
      lateral: usableLateral(root, lateral, issues),
      report,
      split: split as MimicSplit,
      labels: labelsByStudy.get(frontal.studyId) ?? null,
    });
  }
  return records;
}

function usableLateral(root: string, lateral: MimicImageRecord | null, issues: DataIssues): ManifestRecord['lateral'] {
  if (lateral === null) return null;
  const imagePath = mimicImagePath(lateral.subjectId, lateral.studyId, lateral.dicomId);
  if (!fs.existsSync(path.join(root, imagePath))) {
    issues.report(new DataError('bad-file', `lateral image listed in ${MIMIC_METADATA_FILE} (dicom_id ${lateral.dicomId}) is missing; frontal kept without it`, { file: path.join(root, imagePath) }));
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
