/**
 * Phrase banks for the synthetic reports: descriptions, change statements,
 * hedges and negatives per finding. Every change family uses its own
 * vocabulary so the change class can be read back from the words:
 *   new        — "new", "interval development", "interval appearance"
 *   worsening  — "increase(d)", "worsening", "progression", "enlarging"
 *   improving  — "decrease(d)", "improving", "improvement", "smaller"
 *   stable     — "unchanged", "stable", "not significantly changed"
 *   resolved   — "resolution", "resolved", "no longer"
 */
import type { Rng } from '../../lib/util/rng.ts';
import type { Change, FindingKey, FindingSites, Severities } from './course.ts';
import { gradeOf } from './course.ts';
import { lobeName } from './findings.ts';

/** Regexes a test (or reader) can use to recognise each change family. */
export const CHANGE_PATTERNS: Record<Exclude<Change, 'absent'>, RegExp> = {
  new: /\b(new|interval development|interval appearance)\b/i,
  worsening: /\b(increase|increased|worsening|worsened|progression|enlarging)\b/i,
  improving: /\b(decrease|decreased|improving|improved|improvement|smaller)\b/i,
  stable: /\b(unchanged|stable|not significantly changed)\b/i,
  resolved: /\b(resolution|resolved|no longer)\b/i,
};

/** Words a finding is described with: grade adjective, location, noun, and whether it is countable. */
interface Wording {
  grade: string;
  loc: string;
  noun: string;
}

function severityWord(s: number): string {
  return s < 0.35 ? 'mild' : s < 0.65 ? 'moderate' : 'severe';
}

export function wordingOf(key: FindingKey, s: number, sites: FindingSites): Wording {
  switch (key) {
    case 'effusionLeft':
      return { grade: gradeOf(s), loc: 'left', noun: 'pleural effusion' };
    case 'effusionRight':
      return { grade: gradeOf(s), loc: 'right', noun: 'pleural effusion' };
    case 'pneumothorax':
      return { grade: gradeOf(s), loc: `${sites.pneumothoraxSide}${s < 0.35 ? ' apical' : ''}`, noun: 'pneumothorax' };
    case 'consolidation':
      return { grade: severityWord(s), loc: lobeName(sites.consolidationLobe), noun: 'consolidation' };
    case 'pneumonia':
      return { grade: severityWord(s), loc: lobeName(sites.pneumoniaLobe), noun: 'pneumonia' };
    case 'edema':
      return { grade: severityWord(s), loc: '', noun: 'pulmonary edema' };
    case 'cardiomegaly':
      return { grade: severityWord(s), loc: '', noun: 'cardiomegaly' };
    case 'atelectasis':
      return { grade: severityWord(s), loc: sites.atelectasisSite === 'bilateral' ? 'bibasilar' : `${sites.atelectasisSite} basilar`, noun: 'atelectasis' };
    case 'lungOpacity':
      return { grade: severityWord(s), loc: `${sites.opacitySide} ${sites.opacityZone} lung`, noun: 'opacities' };
  }
}

const cap = (t: string): string => t.charAt(0).toUpperCase() + t.slice(1);
const squash = (t: string): string => t.replace(/\s+/g, ' ').replace(/ \./g, '.').trim();
const article = (w: string): string => (/^[aeiou]/i.test(w) ? 'an' : 'a');

/** "moderate right pleural effusion" / "mild cardiomegaly" / "right middle lobe consolidation". */
function phrase(w: Wording, withGrade: boolean): string {
  return squash(`${withGrade ? w.grade : ''} ${w.loc} ${w.noun}`);
}

/** Descriptive sentence for a present finding (first study, or no comparison). */
export function describe(rng: Rng, key: FindingKey, s: number, sites: FindingSites): string {
  const w = wordingOf(key, s, sites);
  const p = phrase(w, true);
  if (key === 'pneumonia') {
    return rng.pick([
      `Airspace opacity in the ${w.loc} is concerning for pneumonia.`,
      `${cap(w.loc)} consolidative opacity consistent with pneumonia.`,
      `Findings in the ${w.loc} are compatible with pneumonia.`,
    ]);
  }
  if (key === 'cardiomegaly') {
    return rng.pick([`${cap(p)}.`, `The heart is ${w.grade === 'severe' ? 'markedly' : w.grade + 'ly'} enlarged.`, `There is ${w.grade} enlargement of the cardiac silhouette.`]);
  }
  if (key === 'edema') {
    return rng.pick([`${cap(p)}.`, `There is ${p}.`, `${cap(w.grade)} interstitial edema with perihilar haziness.`, `Findings are consistent with ${p}.`]);
  }
  // Effusion and pneumothorax take an article; consolidation, atelectasis, opacities do not.
  const a = key === 'effusionLeft' || key === 'effusionRight' || key === 'pneumothorax' ? `${article(p)} ` : '';
  return rng.pick([`${cap(p)}.`, `There is ${a}${p}.`, `${cap(a + p)} ${key === 'lungOpacity' ? 'are' : 'is'} present.`, `${cap(p)} ${key === 'lungOpacity' ? 'are' : 'is'} seen.`]);
}

/** Change sentence for a finding between the previous and current study. */
export function describeChange(rng: Rng, key: FindingKey, change: Exclude<Change, 'absent'>, prev: number, cur: number, sites: FindingSites): string {
  const w = wordingOf(key, change === 'resolved' ? prev : cur, sites);
  const full = phrase(w, true);
  const bare = phrase(w, false);
  switch (change) {
    case 'new':
      return rng.pick([`New ${full}.`, `Interval development of ${article(full)} ${full}.`, `There is a new ${full}.`, `Interval appearance of ${article(full)} ${full}.`]);
    case 'worsening':
      return rng.pick([`Interval increase of the ${full}.`, `Worsening ${bare}, now ${w.grade}.`, `${cap(bare)} has increased and is now ${w.grade}.`, `Progression of the ${bare}, now ${w.grade}.`]);
    case 'improving':
      return rng.pick([`Improving ${bare}.`, `Interval decrease of the ${bare}, now ${w.grade}.`, `${cap(bare)} has decreased and is now ${w.grade}.`, `Interval improvement of the ${bare}.`]);
    case 'stable':
      return rng.pick([`Unchanged ${full}.`, `Stable ${full}.`, `${cap(full)}, not significantly changed.`, `${cap(full)} is unchanged from the prior study.`]);
    case 'resolved':
      return rng.pick([`Interval resolution of the previously seen ${bare}.`, `The previously noted ${bare} has resolved.`, `${cap(bare)} is no longer seen.`]);
  }
}

/** Hedged mention (uncertain label). */
export function hedge(rng: Rng, key: FindingKey, s: number, sites: FindingSites): string {
  const p = phrase(wordingOf(key, s, sites), key !== 'pneumonia');
  return rng.pick([`Possible ${p}.`, `Cannot exclude ${article(p)} ${p}.`, `${cap(article(p))} ${p} is not excluded.`, `Findings may represent ${article(p)} ${p}.`]);
}

/** Explicit negatives for absent findings: sentence and the labels it negates. */
export function negatives(rng: Rng, sev: Severities): { text: string; keys: FindingKey[]; cardiomediastinum?: boolean }[] {
  const out: { text: string; keys: FindingKey[]; cardiomediastinum?: boolean }[] = [];
  const absent = (k: FindingKey): boolean => sev[k] === 0;
  const noEff = absent('effusionLeft') && absent('effusionRight');
  if (noEff && absent('pneumothorax')) {
    out.push({ text: rng.pick(['No pleural effusion or pneumothorax.', 'There is no pleural effusion or pneumothorax.', 'No effusion or pneumothorax is seen.']), keys: ['effusionLeft', 'effusionRight', 'pneumothorax'] });
  } else {
    if (noEff) out.push({ text: rng.pick(['No pleural effusion.', 'There is no pleural effusion.']), keys: ['effusionLeft', 'effusionRight'] });
    if (absent('pneumothorax')) out.push({ text: rng.pick(['No pneumothorax.', 'There is no pneumothorax.', 'No pneumothorax is seen.']), keys: ['pneumothorax'] });
  }
  if (absent('consolidation') && absent('pneumonia')) {
    out.push({ text: rng.pick(['No focal consolidation.', 'There is no focal consolidation to suggest pneumonia.', 'No consolidation concerning for pneumonia.']), keys: ['consolidation', 'pneumonia'] });
  }
  if (absent('edema')) out.push({ text: rng.pick(['No pulmonary edema.', 'There is no pulmonary edema.', 'No evidence of pulmonary edema.']), keys: ['edema'] });
  if (absent('cardiomegaly')) {
    if (rng.bernoulli(0.5)) out.push({ text: rng.pick(['Heart size is normal.', 'The heart is normal in size.']), keys: ['cardiomegaly'] });
    else out.push({ text: rng.pick(['The cardiomediastinal silhouette is within normal limits.', 'Normal cardiomediastinal silhouette.']), keys: ['cardiomegaly'], cardiomediastinum: true });
  }
  return out;
}

/** Sentences for support devices present. */
export function deviceSentences(rng: Rng, dv: { ett: boolean; ngt: boolean; cvc: boolean; pacemaker: boolean }): string[] {
  const out: string[] = [];
  if (dv.ett) out.push(rng.pick([`Endotracheal tube terminates ${rng.int(3, 6)} cm above the carina.`, 'The endotracheal tube is in standard position.', 'ET tube tip is above the carina.']));
  if (dv.ngt) out.push(rng.pick(['Nasogastric tube courses below the diaphragm.', 'An enteric tube extends into the stomach.', 'NG tube tip is in the stomach.']));
  if (dv.cvc) out.push(rng.pick(['Right internal jugular central venous catheter terminates in the SVC.', 'Right IJ line tip is in the mid SVC.', 'A right-sided central line ends at the cavoatrial junction.']));
  if (dv.pacemaker) out.push(rng.pick(['Left-sided pacemaker with leads in the right atrium and right ventricle.', 'Dual-lead pacemaker device is unchanged in position.']));
  return out;
}
