/**
 * Free-text radiology reports in the MIMIC-CXR style, written from the latent
 * state: FINDINGS (devices, positives with change statements, negatives in
 * shuffled order), IMPRESSION (positives only, or "No acute cardiopulmonary
 * process."). Some reports drop one of the two sections; what is dropped from
 * one section is still said in the other, so labels do not depend on it.
 *
 * Labels are what the text says (merged per label: positive > uncertain >
 * negative > not mentioned), as the CheXpert labeler reads MIMIC reports.
 * Label noise makes the text wrong on purpose: a present finding is omitted
 * or hedged, or an absent one is reported; each error is returned.
 */
import type { Rng } from '../../lib/util/rng.ts';
import { ABSENT_BELOW, classifyChange, FINDING_KEYS, type Acuity, type Change, type CourseStudy, type FindingKey, type FindingSites } from './course.ts';
import { FINDING_LABEL, finaliseLabels, mergeLabels, type LabelSet } from './labels.ts';
import { describe, describeChange, deviceSentences, hedge, negatives } from './report_phrases.ts';

export interface ReportChange {
  finding: FindingKey;
  change: Exclude<Change, 'absent'>;
  sentence: string;
}

export interface ReportError {
  finding: FindingKey;
  kind: 'omitted' | 'hedged' | 'false-positive';
}

export interface Report {
  text: string;
  labels: LabelSet;
  /** Change statements written (each derived from the true change). */
  changes: ReportChange[];
  /** Findings written as uncertain on purpose (subtle findings). */
  hedged: FindingKey[];
  errors: ReportError[];
  sections: { findings: boolean; impression: boolean };
}

export interface ReportInput {
  study: CourseStudy;
  previous: CourseStudy | null;
  acuity: Acuity;
  sex: 'M' | 'F';
  sites: FindingSites;
  labelNoise: number;
  hasLateral: boolean;
}

const INDICATIONS: Record<Acuity, readonly string[]> = {
  icu: ['Intubated patient, evaluate tube position.', 'Hypoxia, evaluate for interval change.', 'Fever in ICU patient, evaluate for pneumonia.', 'Status post line placement, evaluate for pneumothorax.', 'Increasing oxygen requirement.'],
  inpatient: ['Shortness of breath.', 'Cough and fever, evaluate for pneumonia.', 'Evaluate for pleural effusion.', 'Chest pain and dyspnea.', 'Follow-up of known pneumonia.'],
  outpatient: ['Routine follow-up.', 'Chronic cough.', 'Preoperative evaluation.', 'Follow-up of prior abnormality.', 'Dyspnea on exertion.'],
};

/** Wrap to ~78 columns with a leading space, as MIMIC report files are laid out. */
function wrap(text: string): string {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line.length + w.length + 1 > 78) {
      lines.push(` ${line}`);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(` ${line}`);
  return lines.join('\n');
}

interface Sentence {
  text: string;
  labels: LabelSet;
  positive: boolean;
}

export function writeReport(rng: Rng, input: ReportInput): Report {
  const { study, previous, sites } = input;
  const sev = study.severity;
  const positives: Sentence[] = [];
  const negs: Sentence[] = [];
  const changes: ReportChange[] = [];
  const hedged: FindingKey[] = [];
  const errors: ReportError[] = [];
  const falseOnes = new Set<FindingKey>();

  for (const key of FINDING_KEYS) {
    const s = sev[key];
    const label = FINDING_LABEL[key];
    const noise = rng.uniform();
    const noisy = noise < input.labelNoise;
    if (s < ABSENT_BELOW) {
      const c = previous ? classifyChange(previous.severity[key], s) : 'absent';
      if (noisy && key !== 'cardiomegaly') {
        // False positive: a finding that is not there.
        falseOnes.add(key);
        errors.push({ finding: key, kind: 'false-positive' });
        positives.push({ text: describe(rng, key, 0.2, sites), labels: { [label]: 1 }, positive: true });
      } else if (c === 'resolved' && rng.bernoulli(0.8)) {
        const sentence = describeChange(rng, key, 'resolved', previous!.severity[key], s, sites);
        changes.push({ finding: key, change: 'resolved', sentence });
        negs.push({ text: sentence, labels: { [label]: 0 }, positive: false });
      }
      continue;
    }
    if (noisy) {
      const kind = rng.bernoulli(0.6) ? 'omitted' : 'hedged';
      errors.push({ finding: key, kind });
      if (kind === 'omitted') continue;
      positives.push({ text: hedge(rng, key, s, sites), labels: { [label]: -1 }, positive: true });
      continue;
    }
    // Subtle findings are often hedged by the reader.
    if (s < 0.3 && key !== 'cardiomegaly' && rng.bernoulli(0.3)) {
      hedged.push(key);
      positives.push({ text: hedge(rng, key, s, sites), labels: { [label]: -1 }, positive: true });
      continue;
    }
    const c = previous ? classifyChange(previous.severity[key], s) : 'absent';
    if (c !== 'absent' && rng.bernoulli(0.9)) {
      const sentence = describeChange(rng, key, c as Exclude<Change, 'absent'>, previous!.severity[key], s, sites);
      changes.push({ finding: key, change: c as Exclude<Change, 'absent'>, sentence });
      positives.push({ text: sentence, labels: { [label]: 1 }, positive: true });
    } else {
      positives.push({ text: describe(rng, key, s, sites), labels: { [label]: 1 }, positive: true });
    }
  }
  // Explicit negatives: a random subset, never for a finding the report (falsely) calls present.
  for (const n of negatives(rng, sev)) {
    if (n.keys.some((k) => falseOnes.has(k)) || !rng.bernoulli(0.75)) continue;
    const labels: LabelSet = {};
    for (const k of n.keys) labels[FINDING_LABEL[k]] = 0;
    if (n.cardiomediastinum) labels['Enlarged Cardiomediastinum'] = 0;
    negs.push({ text: n.text, labels, positive: false });
  }
  if (rng.bernoulli(0.15)) negs.push({ text: rng.pick(['No acute osseous abnormality.', 'No displaced rib fracture.']), labels: { Fracture: 0 }, positive: false });
  const devices: Sentence[] = deviceSentences(rng, study.devices).map((t) => ({ text: t, labels: { 'Support Devices': 1 }, positive: true }));

  // Section layout: most reports have both; some drop one (never both).
  const r = rng.uniform();
  const hasFindings = r >= 0.12;
  const hasImpression = r < 0.12 || r >= 0.24;
  const findingsBody = [...devices, ...rng.shuffle([...positives, ...negs])];
  // With a findings section the impression lists the positives; alone, it carries everything.
  const impressionBody = hasFindings ? rng.shuffle([...positives]) : [...devices, ...positives, ...negs];
  const impressionText = impressionBody.length
    ? impressionBody.map((s, i) => (hasFindings && impressionBody.length > 1 ? `${i + 1}. ${s.text}` : s.text)).join(hasFindings && impressionBody.length > 1 ? '\n' : ' ')
    : rng.pick(['No acute cardiopulmonary process.', 'No acute intrathoracic abnormality.', 'No acute cardiopulmonary abnormality.']);

  const labels: LabelSet = {};
  const used = [...(hasFindings ? findingsBody : []), ...(hasImpression ? impressionBody : [])];
  for (const s of used) mergeLabels(labels, s.labels);
  const exam = study.frontalView === 'AP' ? 'CHEST (PORTABLE AP)' : input.hasLateral ? 'CHEST (PA AND LAT)' : 'CHEST (PA)';
  const who = input.sex === 'M' ? rng.pick(['man', 'male']) : rng.pick(['woman', 'female']);
  const parts: string[] = [`                                 FINAL REPORT`, ` EXAMINATION:  ${exam}`, '', wrap(`INDICATION:  ___-year-old ${who}. ${rng.pick(INDICATIONS[input.acuity])}`), ''];
  parts.push(wrap(`COMPARISON:  ${previous ? rng.pick(['Chest radiograph from ___.', 'Prior study of ___.', '___.']) : rng.pick(['None.', 'None available.'])}`), '');
  if (hasFindings) parts.push(' FINDINGS:', ' ', wrap(findingsBody.map((s) => s.text).join(' ')), '');
  if (hasImpression) parts.push(' IMPRESSION:', ' ', impressionText.split('\n').map(wrap).join('\n'), '');
  return {
    text: `${parts.join('\n')}\n`,
    labels: finaliseLabels(labels),
    changes: changes.filter((c) => used.some((s) => s.text === c.sentence)),
    hedged,
    errors,
    sections: { findings: hasFindings, impression: hasImpression },
  };
}
