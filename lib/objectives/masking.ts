/**
 * Seeded masks for paired masked modelling (MPMA, methods §4): MAE-style
 * random patch masking of an image and BERT-style token masking of its
 * report, both drawn on the host from the step's random source, so a resumed
 * run masks the same patches and tokens.
 */
import type { Rng } from '../util/rng.ts';

/** Which patches of each row the encoder sees. */
export interface PatchMask {
  /** Int32Array [B, keep]: visible patch indices of each row, ascending. */
  visible: Int32Array;
  /** Float32Array [B, P]: 1 where the patch is masked (reconstructed), 0 where visible. */
  masked: Float32Array;
  /** Visible patches per row: ⌊P·(1 − ratio)⌋, as MAE's `len_keep`. */
  keep: number;
}

/**
 * A random subset of patches per row, the same size in every row.
 * @param ratio fraction masked, in [0, 1)
 */
export function samplePatchMask(rows: number, patches: number, ratio: number, rng: Rng): PatchMask {
  if (!(ratio >= 0 && ratio < 1)) throw new Error(`samplePatchMask: ratio must be in [0, 1), got ${ratio}`);
  const keep = Math.floor(patches * (1 - ratio));
  if (keep < 1) throw new Error(`samplePatchMask: masking ${ratio} of ${patches} patches leaves none visible`);
  const visible = new Int32Array(rows * keep);
  const masked = new Float32Array(rows * patches).fill(1);
  for (let r = 0; r < rows; r++) {
    const order = rng.shuffle(Array.from({ length: patches }, (_, i) => i));
    const kept = order.slice(0, keep).sort((a, b) => a - b);
    kept.forEach((p, i) => {
      visible[r * keep + i] = p;
      masked[r * patches + p] = 0;
    });
  }
  return { visible, masked, keep };
}

/** The `[MASK]` id and the ids never masked, as a config stores them. */
export interface MaskTokens {
  mask: number;
  special: readonly number[];
}

/** The mask tokens of vocabularies medst builds (`[PAD] [UNK] [CLS] [SEP] [MASK]` first). */
export const MEDST_VOCAB_TOKENS = { mask: 4, special: [0, 1, 2, 3, 4] } as const;

/** A tokenizer's mask tokens: its `[MASK]` id, every special id never masked. */
export function maskTokensOf(specialTokenIds: { mask: number } & Record<string, number>): MaskTokens {
  return { mask: specialTokenIds.mask, special: Object.values(specialTokenIds) };
}

/**
 * Throws unless the mask tokens fit a vocabulary: ids below its size, `[MASK]`
 * among the special ids, and at least one ordinary token left to mask.
 * @param where the config field, for the message (e.g. `MPMA config: tokens`)
 */
export function checkMaskTokens(tokens: MaskTokens | undefined, vocabSize: number, where: string): void {
  const inVocab = (id: unknown) => Number.isInteger(id) && (id as number) >= 0 && (id as number) < vocabSize;
  const { mask, special } = tokens ?? {};
  if (!inVocab(mask)) throw new Error(`${where}.mask must be an id below the vocabulary size ${vocabSize}, got ${JSON.stringify(mask)}`);
  if (!Array.isArray(special) || !special.every(inVocab) || !special.includes(mask)) throw new Error(`${where}.special must list ids below ${vocabSize}, [MASK] among them, got ${JSON.stringify(special)}`);
  if (special.length >= vocabSize) throw new Error(`${where}.special leaves no ordinary token to mask`);
}

/** Token ids the masking needs. */
export interface TokenMaskIds {
  /** The `[MASK]` id. */
  mask: number;
  /** Vocabulary size (random replacements are drawn from the non-special ids below it). */
  vocabSize: number;
  /** Ids never masked or drawn as replacements ([PAD] [UNK] [CLS] [SEP] [MASK]). */
  special: ReadonlySet<number>;
}

/** A masked copy of token rows and what the MLM head must predict. */
export interface TokenMask {
  /** Int32Array [B, L]: the input with chosen tokens replaced. */
  inputIds: Int32Array;
  /** Int32Array [B, L]: the original id where a token was chosen, −1 elsewhere. */
  labels: Int32Array;
}

/**
 * BERT's masking: each real, non-special token is chosen with probability
 * `ratio`; a chosen token becomes `[MASK]` (80 %), a random non-special token
 * (10 %) or stays (10 %). A row with candidates but no draw gets one chosen
 * token, so every report contributes to the MLM loss.
 */
export function sampleTokenMask(inputIds: Int32Array, attentionMask: Int32Array, rows: number, length: number, ratio: number, ids: TokenMaskIds, rng: Rng): TokenMask {
  if (!(ratio > 0 && ratio < 1)) throw new Error(`sampleTokenMask: ratio must be in (0, 1), got ${ratio}`);
  if (inputIds.length !== rows * length || attentionMask.length !== rows * length) throw new Error(`sampleTokenMask: expected ${rows}×${length} ids and mask, got ${inputIds.length} and ${attentionMask.length}`);
  const ordinary = Array.from({ length: ids.vocabSize }, (_, i) => i).filter((i) => !ids.special.has(i));
  const out = Int32Array.from(inputIds);
  const labels = new Int32Array(rows * length).fill(-1);
  for (let r = 0; r < rows; r++) {
    const candidates: number[] = [];
    for (let t = 0; t < length; t++) if (attentionMask[r * length + t] === 1 && !ids.special.has(inputIds[r * length + t]!)) candidates.push(t);
    let chosen = candidates.filter(() => rng.uniform() < ratio);
    if (chosen.length === 0 && candidates.length > 0) chosen = [rng.pick(candidates)];
    for (const t of chosen) {
      const at = r * length + t;
      labels[at] = inputIds[at]!;
      const u = rng.uniform();
      if (u < 0.8) out[at] = ids.mask;
      else if (u < 0.9) out[at] = rng.pick(ordinary);
    }
  }
  return { inputIds: out, labels };
}
