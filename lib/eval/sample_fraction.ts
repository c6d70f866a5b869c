/**
 * Label-fraction sampling for linear probes (§6: 1% / 10% / 100% of the
 * training labels, drawn with a fixed seed).
 *
 * Stratified: the budget M = max(1, round(fraction·N)) is shared among the
 * classes in proportion to their counts (largest remainder), after first
 * giving every present class one example when M allows it, so that a rare
 * class does not vanish at 1% (with fewer rows than classes, the largest
 * classes get one each). Within a class the examples are a seeded
 * shuffle's prefix. Returns sorted row indices.
 */
import { Rng, deriveSeed } from '../util/rng.ts';

/**
 * Draws a fraction of the training rows.
 * @param labels `[N]` class indices (stratified), or N alone for a plain seeded draw (e.g. multi-label sets).
 * @param fraction in (0, 1]; 1 returns every row.
 * @param seed fixes the draw.
 * @returns sorted row indices `[M]`.
 */
export function sampleFraction(labels: ArrayLike<number> | number, fraction: number, seed: number): number[] {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`sampleFraction: fraction must be in (0, 1], got ${fraction}`);
  const n = typeof labels === 'number' ? labels : labels.length;
  const classOf = typeof labels === 'number' ? () => 0 : (i: number) => labels[i]!;
  if (n === 0) return [];
  const budget = Math.min(n, Math.max(1, Math.round(fraction * n)));
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = classOf(i);
    if (!Number.isInteger(c) || c < 0) throw new Error(`sampleFraction: label ${c} at row ${i} is not a class index`);
    let list = members.get(c);
    if (!list) members.set(c, (list = []));
    list.push(i);
  }
  const classes = [...members.keys()].sort((a, b) => a - b);
  const counts = new Map<number, number>(classes.map((c) => [c, 0]));
  let left = budget;
  if (budget >= classes.length) {
    for (const c of classes) counts.set(c, 1);
    left -= classes.length;
  } else {
    // Too few rows for every class: as many distinct classes as possible, the largest first.
    const bySize = [...classes].sort((a, b) => members.get(b)!.length - members.get(a)!.length || a - b);
    for (const c of bySize.slice(0, budget)) counts.set(c, 1);
    left = 0;
  }
  // Largest remainder on the rest, capped by class size; ties go to the smaller class index.
  const spare = classes.map((c) => ({ c, room: members.get(c)!.length - counts.get(c)! }));
  const totalRoom = spare.reduce((a, s) => a + s.room, 0);
  if (left > 0 && totalRoom > 0) {
    const shares = spare.map((s) => ({ ...s, exact: (left * s.room) / totalRoom }));
    let given = 0;
    for (const s of shares) {
      const whole = Math.min(s.room, Math.floor(s.exact));
      counts.set(s.c, counts.get(s.c)! + whole);
      given += whole;
    }
    const order = [...shares].sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)) || a.c - b.c);
    for (let i = 0; given < left; i = (i + 1) % order.length) {
      const s = order[i]!;
      if (counts.get(s.c)! < members.get(s.c)!.length) {
        counts.set(s.c, counts.get(s.c)! + 1);
        given++;
      }
    }
  }
  const chosen: number[] = [];
  for (const c of classes) {
    // One stream per class, so a class's order does not depend on the other classes' sizes.
    const shuffled = new Rng(deriveSeed(seed, c)).shuffle([...members.get(c)!]);
    chosen.push(...shuffled.slice(0, counts.get(c)!));
  }
  return chosen.sort((a, b) => a - b);
}
