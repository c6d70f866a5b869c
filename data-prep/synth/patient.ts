/**
 * One patient end to end: course → per study scene → frontal (+ lateral)
 * images written as JPEG, report written as text, and every CSV row and
 * ground-truth record that patient contributes. Depends only on (config,
 * patient index), so patients can be generated in any order or thread.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { deriveSeed, Rng } from '../../lib/util/rng.ts';
import { sampleAcquisition, samplePatientAnatomy } from './anatomy.ts';
import type { SynthConfig } from './config.ts';
import { cardiothoracicRatio, classifyChange, FINDING_KEYS, simulateCourse, type Change, type FindingKey, type FindingSites } from './course.ts';
import { visibilityOf, type StudyScene } from './findings.ts';
import { dicomIdFor, firstStudyEpochMs, formatStudyDateTime, imagePath, reportPath, studyIdFor, subjectIdFor } from './ids.ts';
import { trueProgression } from './labels.ts';
import { maskBox } from './raster.ts';
import { renderFrontal } from './render_frontal.ts';
import { renderLateral } from './render_lateral.ts';
import { writeReport, type ReportChange } from './report.ts';
import { encodeSiimRle } from '../../lib/data/rle.ts';
import { chexpertRow, viewDescriptions, type Row } from './writers.ts';

/** A change statement with what is needed to re-word it (for the sentence-similarity set). */
export interface ChangeRecord extends ReportChange {
  prev: number;
  cur: number;
  sites: FindingSites;
}

/** Everything one patient contributes to the cohort files (plain data: crosses worker boundaries). */
export interface PatientResult {
  index: number;
  subjectId: number;
  metadata: Row[];
  split: Row[];
  chexpert: Row[];
  temporal: Row[];
  rsna: Row[];
  siim: Row[];
  groundTruth: string[];
  changes: ChangeRecord[];
  images: number;
  studies: number;
}

export function patientSeed(cfg: SynthConfig, index: number): number {
  return deriveSeed(cfg.seed, 1, index);
}

export function splitOf(cfg: SynthConfig, index: number): 'train' | 'validate' | 'test' {
  const u = new Rng(deriveSeed(cfg.seed, 2, index)).uniform();
  const [tr, va] = cfg.splitFractions;
  return u < tr ? 'train' : u < tr + va ? 'validate' : 'test';
}

async function writeJpeg(root: string, rel: string, pixels: Uint8Array, size: number, quality: number): Promise<void> {
  const buf = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width: size, height: size, channels: 1 } })
    // One grey component, as MIMIC-CXR-JPG's films (without 'b-w' sharp writes three YCbCr components).
    .toColourspace('b-w')
    .jpeg({ quality })
    .toBuffer();
  const path = join(root, rel);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buf);
}

export async function generatePatient(cfg: SynthConfig, index: number): Promise<PatientResult> {
  const pSeed = patientSeed(cfg, index);
  const course = simulateCourse(new Rng(deriveSeed(pSeed, 1)), cfg.maxStudies, cfg.lateralRate);
  const anatomy = samplePatientAnatomy(new Rng(deriveSeed(pSeed, 2)), course.sex, course.age);
  const idRng = new Rng(deriveSeed(pSeed, 3));
  const subjectId = subjectIdFor(index, cfg.patients, idRng);
  const t0 = firstStudyEpochMs(idRng, course.acuity === 'outpatient');
  const split = splitOf(cfg, index);
  const S = cfg.size;
  const findingGain = 1 - 0.65 * cfg.subtlety;
  const res: PatientResult = {
    index, subjectId, metadata: [], split: [], chexpert: [], temporal: [], rsna: [], siim: [], groundTruth: [], changes: [], images: 0, studies: course.studies.length,
  };
  const pending: Promise<void>[] = [];
  let prevFrontal: { dicomId: string; studyId: number } | null = null;

  for (const study of course.studies) {
    const sSeed = deriveSeed(pSeed, 100 + study.index);
    const studyId = studyIdFor(index, study.index, cfg.patients, cfg.maxStudies, new Rng(deriveSeed(sSeed, 5)));
    const { date, time } = formatStudyDateTime(t0 + Math.round(study.hoursFromFirst * 3_600_000));
    const ap = study.frontalView === 'AP';
    const scene: StudyScene = {
      anatomy,
      acq: sampleAcquisition(new Rng(deriveSeed(sSeed, 1)), ap, cfg.noise, S),
      severity: study.severity,
      sites: course.sites,
      devices: study.devices,
      ctr: cardiothoracicRatio(study.severity.cardiomegaly, anatomy.normalCtr),
      findingGain,
      imageSeed: deriveSeed(sSeed, 2),
      size: S,
    };
    const dicomRng = new Rng(deriveSeed(sSeed, 3));
    const frontalId = dicomIdFor(dicomRng);
    const lateralId = study.lateralView ? dicomIdFor(dicomRng) : null;
    const frontal = renderFrontal(scene);
    pending.push(writeJpeg(cfg.out, imagePath(subjectId, studyId, frontalId), frontal.pixels, S, cfg.jpegQuality));
    const views: { id: string; view: 'PA' | 'AP' | 'LATERAL' | 'LL' }[] = [{ id: frontalId, view: study.frontalView }];
    if (lateralId && study.lateralView) {
      const lat = renderLateral({ ...scene, acq: sampleAcquisition(new Rng(deriveSeed(sSeed, 4)), ap, cfg.noise, S), imageSeed: deriveSeed(sSeed, 6) });
      pending.push(writeJpeg(cfg.out, imagePath(subjectId, studyId, lateralId), lat.pixels, S, cfg.jpegQuality));
      views.push({ id: lateralId, view: study.lateralView });
    }
    res.images += views.length;
    for (const v of views) {
      const desc = viewDescriptions(v.view, lateralId !== null, ap);
      res.metadata.push([v.id, subjectId, studyId, desc.procedure, v.view, S, S, date, time, desc.procedure, desc.viewMeaning, desc.orientation]);
      res.split.push([v.id, studyId, subjectId, split]);
    }

    const previous = study.index > 0 ? course.studies[study.index - 1]! : null;
    const report = writeReport(new Rng(deriveSeed(sSeed, 7)), {
      study, previous, acuity: course.acuity, sex: course.sex, sites: course.sites, labelNoise: cfg.labelNoise, hasLateral: lateralId !== null,
    });
    pending.push((async () => {
      const path = join(cfg.out, reportPath(subjectId, studyId));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, report.text);
    })());
    res.chexpert.push(chexpertRow(subjectId, studyId, report.labels));
    for (const c of report.changes) res.changes.push({ ...c, prev: previous!.severity[c.finding], cur: study.severity[c.finding], sites: course.sites });

    // Localisation labels in the pixel frame of the written frontal image.
    const boxes = frontal.opacityMasks.map((o) => ({ finding: o.finding, box: maskBox(o.mask, S, S) })).filter((b) => b.box !== null);
    if (boxes.length === 0) res.rsna.push([frontalId, '', '', '', '', 0]);
    for (const b of boxes) res.rsna.push([frontalId, b.box!.x, b.box!.y, b.box!.width, b.box!.height, 1]);
    res.siim.push([frontalId, frontal.pneumothoraxMask ? encodeSiimRle({ data: frontal.pneumothoraxMask, width: S, height: S }) : '-1']);

    const progression = previous ? trueProgression(previous.severity, study.severity) : null;
    if (prevFrontal && progression && Object.values(progression).some((p) => p !== '')) {
      res.temporal.push([frontalId, prevFrontal.dicomId, studyId, prevFrontal.studyId, subjectId,
        progression.consolidation, progression.edema, progression.pleural_effusion, progression.pneumonia, progression.pneumothorax]);
    }
    prevFrontal = { dicomId: frontalId, studyId };

    const findings: Record<string, unknown> = {};
    for (const k of FINDING_KEYS) {
      const sev = study.severity[k];
      const change: Change = previous ? classifyChange(previous.severity[k], sev) : sev > 0 ? 'new' : 'absent';
      findings[k] = { severity: round(sev), present: sev > 0, change, visibility: visibilityOf(k as FindingKey, sev, course.sites) };
    }
    res.groundTruth.push(JSON.stringify({
      subject_id: subjectId, study_id: studyId, study_index: study.index, split, acuity: course.acuity, sex: course.sex, age: course.age,
      hours_from_first: round(study.hoursFromFirst), StudyDate: date, StudyTime: time,
      frontal: { dicom_id: frontalId, view: study.frontalView, path: imagePath(subjectId, studyId, frontalId) },
      lateral: lateralId ? { dicom_id: lateralId, view: study.lateralView, path: imagePath(subjectId, studyId, lateralId) } : null,
      report_path: reportPath(subjectId, studyId),
      ctr: round(scene.ctr), sites: course.sites, devices: study.devices, findings,
      progression, report: { labels: report.labels, changes: report.changes, hedged: report.hedged, errors: report.errors, sections: report.sections },
      boxes: boxes.map((b) => ({ finding: b.finding, ...b.box! })),
      pneumothorax_pixels: frontal.pneumothoraxMask ? frontal.pneumothoraxMask.reduce((a, v) => a + v, 0) : 0,
    }));
  }
  await Promise.all(pending);
  return res;
}

function round(v: number): number {
  return Math.round(v * 10000) / 10000;
}
