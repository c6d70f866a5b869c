/**
 * Dice overlap of binary masks, per image (§6): `2·|P∩T| / (|P| + |T|)`, and 1
 * when prediction and target are both empty (nothing to find, nothing found).
 * Any non-zero value is foreground. Equals sklearn `f1_score(t, p,
 * zero_division=1)` on the flattened image, which is how it is tested.
 */

function diceRange(pred: ArrayLike<number>, target: ArrayLike<number>, start: number, end: number): number {
  let both = 0;
  let sum = 0;
  for (let i = start; i < end; i++) {
    const p = pred[i] !== 0 ? 1 : 0;
    const t = target[i] !== 0 ? 1 : 0;
    both += p & t;
    sum += p + t;
  }
  return sum === 0 ? 1 : (2 * both) / sum;
}

/**
 * Dice of one prediction against one target.
 * @param pred `[H·W]` mask values.
 * @param target `[H·W]` mask values.
 */
export function dice(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  if (pred.length !== target.length) throw new Error(`dice: prediction has ${pred.length} pixels, target ${target.length}`);
  return diceRange(pred, target, 0, pred.length);
}

/**
 * Dice per image of a stack of masks.
 * @param pred `[N·H·W]` row-major masks.
 * @param target `[N·H·W]` row-major masks.
 * @param numImages N.
 * @returns `[N]` Dice values.
 */
export function dicePerImage(pred: ArrayLike<number>, target: ArrayLike<number>, numImages: number): number[] {
  if (pred.length !== target.length) throw new Error(`dicePerImage: predictions have ${pred.length} values, targets ${target.length}`);
  if (!Number.isInteger(numImages) || numImages <= 0 || pred.length % numImages !== 0) {
    throw new Error(`dicePerImage: ${pred.length} values do not split into ${numImages} images`);
  }
  const size = pred.length / numImages;
  return Array.from({ length: numImages }, (_, n) => diceRange(pred, target, n * size, (n + 1) * size));
}
