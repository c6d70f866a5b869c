/**
 * MS-CXR-T-style sentence-similarity pairs about change, built from the
 * cohort's own change statements: a paraphrase re-words the same change of
 * the same finding; a contradiction states the opposite change (worsening ↔
 * improving; stable ↔ either). Most pairs are labelled subset "RadGraph" (the
 * evaluation subset of the original), the rest "CXR-RePaiR".
 */
import { Rng } from '../../lib/util/rng.ts';
import type { ChangeRecord } from './patient.ts';
import { describeChange } from './report_phrases.ts';
import type { Row } from './writers.ts';

/** At most this many pairs, as in the published set (361). */
export const MAX_SENTENCE_PAIRS = 361;

export function sentencePairs(records: readonly ChangeRecord[], seed: number): Row[] {
  const rng = new Rng(seed);
  const usable = records.filter((r) => r.change === 'worsening' || r.change === 'improving' || r.change === 'stable');
  const order = rng.shuffle(usable.map((_, i) => i));
  const rows: Row[] = [];
  for (const i of order) {
    if (rows.length >= MAX_SENTENCE_PAIRS) break;
    const r = usable[i]!;
    const paraphrase = rows.length % 2 === 0;
    let other = '';
    if (paraphrase) {
      // Re-word until the text differs (the banks have ≥3 templates per change).
      for (let t = 0; t < 8 && (other === '' || other === r.sentence); t++) other = describeChange(rng, r.finding, r.change, r.prev, r.cur, r.sites);
      if (other === r.sentence) continue;
    } else {
      const opposite = r.change === 'worsening' ? 'improving' : r.change === 'improving' ? 'worsening' : rng.pick(['worsening', 'improving'] as const);
      other = describeChange(rng, r.finding, opposite, r.prev, r.cur, r.sites);
    }
    const [a, b] = rng.bernoulli(0.5) ? [r.sentence, other] : [other, r.sentence];
    rows.push([a, b, paraphrase ? 'paraphrase' : 'contradiction', rng.bernoulli(0.85) ? 'RadGraph' : 'CXR-RePaiR']);
  }
  return rows;
}
