/**
 * Seeded k-fold assignments for cross-validation: by group (patient) so that
 * rows of one patient never straddle train and test, or stratified by class.
 * Every row gets exactly one fold, so over the k folds each row is tested once.
 */
import { Rng, deriveSeed } from '../util/rng.ts';

/**
 * Group k-fold: groups (e.g. MS-CXR-T `subject_id`) are visited in a seeded
 * random order and each goes whole to the fold with the fewest rows so far
 * (ties to the lower fold), so folds are balanced to within one group's size
 * and the seed changes which patients share a fold.
 * @param groups `[N]` group id per row.
 * @returns `[N]` fold index 0..k−1 per row.
 * @throws when there are fewer groups than folds.
 */
export function groupKFold(groups: ArrayLike<number>, folds: number, seed: number): Int32Array {
  checkFolds(folds);
  const rowsOf = new Map<number, number[]>();
  for (let i = 0; i < groups.length; i++) {
    let rows = rowsOf.get(groups[i]!);
    if (!rows) rowsOf.set(groups[i]!, (rows = []));
    rows.push(i);
  }
  if (rowsOf.size < folds) throw new Error(`groupKFold: ${rowsOf.size} groups cannot fill ${folds} folds`);
  const order = new Rng(seed).shuffle([...rowsOf.keys()].sort((a, b) => a - b));
  const sizes = new Array<number>(folds).fill(0);
  const fold = new Int32Array(groups.length);
  for (const group of order) {
    const target = sizes.indexOf(Math.min(...sizes));
    for (const row of rowsOf.get(group)!) fold[row] = target;
    sizes[target]! += rowsOf.get(group)!.length;
  }
  return fold;
}

/**
 * Stratified k-fold: within each class the rows are shuffled (seeded) and dealt
 * round-robin, continuing where the previous class stopped, so every fold gets
 * ⌊n_c/k⌋ or ⌈n_c/k⌉ rows of class c and fold sizes differ by at most one.
 * @param labels `[N]` class per row.
 * @returns `[N]` fold index per row.
 */
export function stratifiedKFold(labels: ArrayLike<number>, folds: number, seed: number): Int32Array {
  checkFolds(folds);
  if (labels.length < folds) throw new Error(`stratifiedKFold: ${labels.length} rows cannot fill ${folds} folds`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    let rows = byClass.get(labels[i]!);
    if (!rows) byClass.set(labels[i]!, (rows = []));
    rows.push(i);
  }
  const fold = new Int32Array(labels.length);
  let next = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    for (const row of new Rng(deriveSeed(seed, c)).shuffle(byClass.get(c)!)) {
      fold[row] = next;
      next = (next + 1) % folds;
    }
  }
  return fold;
}

/** Row indices of the training and test part of fold `k`. */
export function foldRows(assignment: ArrayLike<number>, k: number): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < assignment.length; i++) (assignment[i] === k ? test : train).push(i);
  return { train, test };
}

function checkFolds(folds: number): void {
  if (!Number.isInteger(folds) || folds < 2) throw new Error(`k-fold: folds must be an integer ≥ 2, got ${folds}`);
}
