/**
 * IMITATE's loss terms (methods §3) from embeddings, a pure function: the
 * impression image ↔ impression text CICL for both augmented views, the same
 * for findings, and the image–image terms between the two views of each
 * branch. The total Σ weight·term (λ on the findings terms) is the schedule's
 * data, applied by the trainer.
 *
 * A report without a findings section drops out of the findings image–text
 * term: it is computed on the samples that have findings, so such a sample is
 * neither an anchor nor a negative (the released code encodes the string "nan"
 * instead, and its attempt to mask a batch-mean scalar per sample fails). The
 * findings branch's view term reads no text and keeps every sample: dropping
 * them there cost 0.065 temporal macro accuracy on one seed (lab notebook §16).
 * A report without an impression drops out of the impression image–text term,
 * and gets no soft positives in the impression view term.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ciclLoss } from './cicl.ts';

/** The term names, in reporting order. */
export const IMITATE_LOSS_NAMES = ['impression', 'findings', 'impression_views', 'findings_views'] as const;
export type ImitateLossName = (typeof IMITATE_LOSS_NAMES)[number];

/** Temperatures and the prior's smoothing. */
export interface ImitateLossConfig {
  /** τ of the image–text terms (0.07). */
  textTemperature: number;
  /** τ of the image–image terms (0.2). */
  viewTemperature: number;
  /** r in 1 − exp(−r·C) (0.2). */
  priorRatio: number;
}

export const IMITATE_LOSS_DEFAULTS: ImitateLossConfig = { textTemperature: 0.07, viewTemperature: 0.2, priorRatio: 0.2 };

/** Embeddings of one batch; views are the two augmentations of each image. */
export interface ImitateEmbeddings {
  /** Impression branch of each view, [B, d] each. */
  impressionImage: readonly [tf.Tensor2D, tf.Tensor2D];
  /** Findings branch of each view, [B, d] each (needed when a findings term is active). */
  findingsImage?: readonly [tf.Tensor2D, tf.Tensor2D];
  /** [B, d] projected impression and findings texts. */
  impressionText: tf.Tensor2D;
  findingsText?: tf.Tensor2D;
  /** [B, D] the raw text features the soft positives come from (IMITATE: each section's CLS). */
  impressionPrior: tf.Tensor2D;
  findingsPrior?: tf.Tensor2D;
  /** Per sample: does the report have the section. */
  hasImpression: readonly boolean[];
  hasFindings: readonly boolean[];
}

/** Rows `keep` of every tensor (all of them when every row is kept). */
function rowsOf(keep: readonly boolean[], tensors: tf.Tensor2D[]): tf.Tensor2D[] {
  if (keep.every(Boolean)) return tensors;
  const index = tf.tensor1d(keep.flatMap((k, i) => (k ? [i] : [])), 'int32');
  return tensors.map((t) => tf.gather(t, index) as tf.Tensor2D);
}

/** Σ over views of CICL(view, text) on the samples that have the section (0 when none has it). */
function imageTextTerm(views: readonly [tf.Tensor2D, tf.Tensor2D], text: tf.Tensor2D, prior: tf.Tensor2D, present: readonly boolean[], config: ImitateLossConfig): tf.Scalar {
  if (!present.some(Boolean)) return tf.scalar(0);
  const [v1, v2, t, e] = rowsOf(present, [views[0], views[1], text, prior]) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const options = { temperature: config.textTemperature, prior: e, priorRatio: config.priorRatio };
  return tf.add(ciclLoss(v1, t, options), ciclLoss(v2, t, options)) as tf.Scalar;
}

/**
 * The four unweighted terms (only those named in `active` are computed).
 * @throws Error when any tensor or flag list disagrees with impressionText's batch size
 */
export function imitateLossTerms(e: ImitateEmbeddings, active: ReadonlySet<ImitateLossName> = new Set(IMITATE_LOSS_NAMES), config: ImitateLossConfig = IMITATE_LOSS_DEFAULTS): Partial<Record<ImitateLossName, tf.Scalar>> {
  const b = e.impressionText.shape[0];
  if (e.hasImpression.length !== b || e.hasFindings.length !== b) throw new Error(`imitateLossTerms: section flags must have ${b} entries, got ${e.hasImpression.length} and ${e.hasFindings.length}`);
  const needs = { findingsImage: active.has('findings') || active.has('findings_views'), findingsText: active.has('findings'), findingsPrior: active.has('findings') };
  for (const [name, needed] of Object.entries(needs)) if (needed && e[name as keyof typeof needs] === undefined) throw new Error(`imitateLossTerms: the active findings terms need ${name}`);
  const tensors = { 'impressionImage[0]': e.impressionImage[0], 'impressionImage[1]': e.impressionImage[1], 'findingsImage[0]': e.findingsImage?.[0], 'findingsImage[1]': e.findingsImage?.[1], findingsText: e.findingsText, impressionPrior: e.impressionPrior, findingsPrior: e.findingsPrior };
  for (const [name, t] of Object.entries(tensors)) if (t && t.shape[0] !== b) throw new Error(`imitateLossTerms: ${name} has ${t.shape[0]} rows, impressionText ${b}`);
  return tf.tidy(() => {
    const terms: Partial<Record<ImitateLossName, tf.Scalar>> = {};
    if (active.has('impression')) terms.impression = imageTextTerm(e.impressionImage, e.impressionText, e.impressionPrior, e.hasImpression, config);
    if (active.has('findings')) terms.findings = imageTextTerm(e.findingsImage!, e.findingsText!, e.findingsPrior!, e.hasFindings, config);
    if (active.has('impression_views')) {
      // Soft positives from the impression prior; a sample without an impression has none.
      const priorMask = tf.tensor1d(e.hasImpression.map((h) => (h ? 1 : 0)));
      terms.impression_views = ciclLoss(e.impressionImage[0], e.impressionImage[1], { temperature: config.viewTemperature, prior: e.impressionPrior, priorRatio: config.priorRatio, priorMask });
    }
    if (active.has('findings_views')) terms.findings_views = ciclLoss(e.findingsImage![0], e.findingsImage![1], { temperature: config.viewTemperature });
    return terms;
  });
}
