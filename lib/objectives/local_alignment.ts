/**
 * Modality-weighted local alignment of Med-ST (methods.md §1.4): every word is
 * contrasted with its patch context and every patch with its word context,
 * each term weighted by a learnable 1-head attention over the sample's tokens.
 *
 * The loss is pure: the weighting layers' parameters are arguments; create
 * them with `createLocalWeightingParams`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet } from '../models/params.ts';
import { checkPositive, checkShape, diagonalCrossEntropy, l2Normalize, maskedSoftmax, shapeText, toKeep } from './ops.ts';

/**
 * One 1-head attention weighting layer: query and key projections, applied as
 * `x · W + b` (W is [d_in, d_out]; PyTorch's `in_proj_weight` rows hold Wᵀ).
 */
export interface WeightingLayerParams {
  /** `[d, d]` query projection. */
  wq: tf.Tensor2D;
  /** `[d]` query bias. */
  bq: tf.Tensor1D;
  /** `[d, d]` key projection. */
  wk: tf.Tensor2D;
  /** `[d]` key bias. */
  bk: tf.Tensor1D;
}

/** The two weighting layers: α over words, β over patches. */
export interface LocalWeightingParams {
  word: WeightingLayerParams;
  patch: WeightingLayerParams;
}

/** Settings and masks of `localAlignmentLoss`. */
export interface LocalAlignmentOptions {
  /** τl, the local temperature. Med-ST uses 0.1 (`DEFAULT_LOCAL_TEMPERATURE`). */
  temperature: number;
  /** `[B, Nw]`, 1 = real word, 0 = padding. Default: all real. */
  wordMask?: tf.Tensor2D;
  /** `[B, Np]`, 1 = real patch, 0 = absent (missing lateral view). Default: all real. */
  patchMask?: tf.Tensor2D;
  /** Also return the word→patch attention and the weights α, β (for visualisation). */
  returnAttention?: boolean;
}

/** Med-ST's local temperature τl (methods.md §1.4). */
export const DEFAULT_LOCAL_TEMPERATURE = 0.1;

/** Named terms; the attention fields are present only with `returnAttention`. (A type alias, so tf.tidy accepts it as a tensor container.) */
export type LocalAlignmentOutput = {
  /** `wordLoss + patchLoss`. */
  loss: tf.Scalar;
  wordLoss: tf.Scalar;
  patchLoss: tf.Scalar;
  /** `[B, Nw, Np]` softmax(w pᵀ/τl) over real patches; 0 on padding words' rows and absent patches' columns. */
  wordToPatch?: tf.Tensor3D;
  /** `[B, Nw]` α, summing to 1 over each sample's real words (0 on padding). */
  wordWeights?: tf.Tensor2D;
  /** `[B, Np]` β, summing to 1 over each sample's real patches (0 on absent ones). */
  patchWeights?: tf.Tensor2D;
};

const FN = 'localAlignmentLoss';

/**
 * Creates the two weighting layers in `params` (under `word.` and `patch.`,
 * e.g. `word.query.weight`). Init follows PyTorch's `nn.MultiheadAttention`,
 * which the original uses: Xavier-uniform over the packed [3d, d] in-projection
 * (bound √(6 / 4d)) and zero biases.
 */
export function createLocalWeightingParams(params: ParameterSet, d: number): LocalWeightingParams {
  if (!Number.isInteger(d) || d < 1) throw new Error(`createLocalWeightingParams: d must be a positive integer, got ${d}`);
  const layer = (name: string): WeightingLayerParams => {
    const scope = params.child(name);
    const weight = { kind: 'glorotUniform', fanIn: d, fanOut: 3 * d } as const;
    return {
      wq: scope.create('query.weight', [d, d], weight) as tf.Variable<tf.Rank.R2>,
      bq: scope.create('query.bias', [d], { kind: 'zeros' }) as tf.Variable<tf.Rank.R1>,
      wk: scope.create('key.weight', [d, d], weight) as tf.Variable<tf.Rank.R2>,
      bk: scope.create('key.bias', [d], { kind: 'zeros' }) as tf.Variable<tf.Rank.R1>,
    };
  };
  return { word: layer('word'), patch: layer('patch') };
}

/**
 * Word↔patch alignment weighted by learned token importance. Per sample b,
 * with words w `[Nw, d]`, patches p `[Np, d]` (both L2-normalised by the
 * projection heads; the loss does not renormalise them), τ = τl, real words
 * W = {j : wordMask[b,j] = 1} and real patches P = {m : patchMask[b,m] = 1}:
 *
 * Word side
 *
 *     A   = softmax_{m∈P}(w pᵀ / τ)                 [Nw, Np]  (wordToPatch)
 *     k   = norm(A p)                               [Nw, d]   patch context of each word
 *     S_w = w kᵀ / τ                                [Nw, Nw]
 *     a   = norm(w ⊙ k)                             [Nw, d]
 *     q   = (1/|W|) Σ_{j∈W} a_j                     [d]
 *     α   = softmax_{j∈W}((q Wq + bq)(a Wk + bk)ᵀ / √d), renormalised to Σ_{j∈W} α_j = 1
 *     L_word = ½ · mean_b Σ_{j∈W} α_bj · [CE_{i∈W}(S_w[j, :], j) + CE_{i∈W}(S_w[:, j], j)]
 *
 * Patch side
 *
 *     q_p = softmax_{j∈W}(p wᵀ / τ) w               [Np, d]   (not renormalised, as the original)
 *     S_p = p q_pᵀ / τ                              [Np, Np]
 *     b   = norm(p ⊙ q_p);  β from the patch layer over b and P as α over a and W
 *     L_patch = ½ · mean_b Σ_{m∈P} β_bm · [CE_{n∈P}(S_p[m, :], m) + CE_{n∈P}(S_p[:, m], m)]
 *
 *     L = L_word + L_patch
 *
 * `CE_{i∈W}(row, j) = −row_j + log Σ_{i∈W} exp(row_i)`: padding words and
 * absent patches are excluded as negatives (logit → −1e9), as rows/columns
 * and as weights. α and β are not detached. `norm(x) = x / max(‖x‖, 1e-12)`.
 * A sample with no real words or no present patches contributes 0 to both sides
 * (it still counts in mean_b).
 *
 * @param words `[B, Nw, d]` projected, normalised word embeddings (padding rows may hold anything)
 * @param patches `[B, Np, d]` projected, normalised patch embeddings (frontal, then lateral)
 * @param weights the two weighting layers (`createLocalWeightingParams`)
 * @param options `{temperature, wordMask?, patchMask?, returnAttention?}`
 */
export function localAlignmentLoss(
  words: tf.Tensor3D,
  patches: tf.Tensor3D,
  weights: LocalWeightingParams,
  options: LocalAlignmentOptions,
): LocalAlignmentOutput {
  checkShape(FN, 'words', words, [null, null, null], ['B', 'Nw', 'd']);
  const [batch, numWords, dim] = words.shape;
  checkShape(FN, 'patches', patches, [batch, null, dim], ['B', 'Np', 'd']);
  const numPatches = patches.shape[1];
  checkPositive(FN, 'options.temperature', options?.temperature);
  if (options.wordMask !== undefined) checkShape(FN, 'options.wordMask', options.wordMask, [batch, numWords], ['B', 'Nw']);
  if (options.patchMask !== undefined) checkShape(FN, 'options.patchMask', options.patchMask, [batch, numPatches], ['B', 'Np']);
  for (const side of ['word', 'patch'] as const) {
    const layer = weights?.[side];
    if (!layer) throw new Error(`${FN}: weights.${side} is missing (expected {wq, bq, wk, bk})`);
    checkShape(FN, `weights.${side}.wq`, layer.wq, [dim, dim], ['d', 'd']);
    checkShape(FN, `weights.${side}.bq`, layer.bq, [dim], ['d']);
    checkShape(FN, `weights.${side}.wk`, layer.wk, [dim, dim], ['d', 'd']);
    checkShape(FN, `weights.${side}.bk`, layer.bk, [dim], ['d']);
  }
  if (numWords < 1 || numPatches < 1 || dim < 1) {
    throw new Error(`${FN}: empty words ${shapeText(words.shape)} or patches ${shapeText(patches.shape)}`);
  }

  return tf.tidy(() => {
    const tau = options.temperature;
    const wordKeep = options.wordMask ? toKeep(options.wordMask) : tf.ones([batch, numWords], 'bool'); // [B, Nw]
    const patchKeep = options.patchMask ? toKeep(options.patchMask) : tf.ones([batch, numPatches], 'bool'); // [B, Np]

    // Word side.
    const wordToPatch = maskedSoftmax(tf.div(tf.matMul(words, patches, false, true), tau), tf.expandDims(patchKeep, 1)) as tf.Tensor3D; // [B, Nw, Np]
    const wordContext = l2Normalize(tf.matMul(wordToPatch, patches)); // [B, Nw, d]
    const wordSim = tf.div(tf.matMul(words, wordContext, false, true), tau) as tf.Tensor3D; // [B, Nw, Nw]
    const alpha = tokenWeights(l2Normalize(tf.mul(words, wordContext)), wordKeep as tf.Tensor2D, weights.word); // [B, Nw]
    // A sample without real words or without patches has nothing to align: it adds 0.
    const valid = tf.mul(tf.cast(tf.any(wordKeep, 1), 'float32'), tf.cast(tf.any(patchKeep, 1), 'float32')) as tf.Tensor1D; // [B]
    const wordLoss = weightedSymmetricLoss(wordSim, wordKeep as tf.Tensor2D, alpha, valid);

    // Patch side: word context of each patch, padded words excluded.
    const patchToWord = maskedSoftmax(tf.div(tf.matMul(patches, words, false, true), tau), tf.expandDims(wordKeep, 1)); // [B, Np, Nw]
    const patchContext = tf.matMul(patchToWord, words); // [B, Np, d]
    const patchSim = tf.div(tf.matMul(patches, patchContext, false, true), tau) as tf.Tensor3D; // [B, Np, Np]
    const beta = tokenWeights(l2Normalize(tf.mul(patches, patchContext)), patchKeep as tf.Tensor2D, weights.patch); // [B, Np]
    const patchLoss = weightedSymmetricLoss(patchSim, patchKeep as tf.Tensor2D, beta, valid);

    const out: LocalAlignmentOutput = { loss: tf.add(wordLoss, patchLoss) as tf.Scalar, wordLoss, patchLoss };
    if (options.returnAttention) {
      // Rows of padding words and columns of absent patches set to exactly 0.
      const pairKeep = tf.logicalAnd(tf.expandDims(wordKeep, 2), tf.expandDims(patchKeep, 1)); // [B, Nw, Np]
      out.wordToPatch = tf.mul(wordToPatch, tf.cast(pairKeep, 'float32')) as tf.Tensor3D;
      out.wordWeights = alpha;
      out.patchWeights = beta;
    }
    return out;
  });
}

/**
 * 1-head attention weights of a sample's tokens: the query is the mean of the
 * real tokens, the keys are all tokens; masked tokens get weight 0 and the
 * real ones sum to 1.
 *
 * @param tokens `[B, N, d]`
 * @param keep `[B, N]` bool
 * @returns `[B, N]`
 */
function tokenWeights(tokens: tf.Tensor3D, keep: tf.Tensor2D, layer: WeightingLayerParams): tf.Tensor2D {
  const [batch, count, dim] = tokens.shape;
  const keepFloat = tf.cast(keep, 'float32'); // [B, N]
  const realCount = tf.maximum(tf.sum(keepFloat, 1, true), 1); // [B, 1]
  const query = tf.div(tf.sum(tf.mul(tokens, tf.expandDims(keepFloat, 2)), 1), realCount); // [B, d]
  const projectedQuery = tf.add(tf.matMul(query, layer.wq), layer.bq); // [B, d]
  const keys = tf.reshape(tf.add(tf.matMul(tf.reshape(tokens, [batch * count, dim]), layer.wk), layer.bk), [batch, count, dim]); // [B, N, d]
  const scores = tf.div(tf.squeeze(tf.matMul(keys, tf.expandDims(projectedQuery, 2)), [2]), Math.sqrt(dim)); // [B, N]
  // Masked entries are exactly 0 after the softmax (exp(−1e9) underflows), so the
  // real ones already sum to 1 up to rounding; renormalising makes it hold by
  // construction. The floor only binds for an all-masked sample (weights 0); it is
  // 1e-6, not smaller, so the 1/denominator² of the gradient stays finite in float32.
  const masked = tf.mul(maskedSoftmax(scores, keep), keepFloat); // [B, N]
  return tf.div(masked, tf.maximum(tf.sum(masked, 1, true), 1e-6)) as tf.Tensor2D;
}

/**
 * `½ · mean_b valid_b · Σ_j weight_bj · [CE(sim[b, j, :], j) + CE(sim[b, :, j], j)]`
 * with masked classes excluded and masked rows contributing 0.
 *
 * @param sim `[B, N, N]`; @param keep `[B, N]` bool; @param weight `[B, N]`; @param valid `[B]` 0/1
 */
function weightedSymmetricLoss(sim: tf.Tensor3D, keep: tf.Tensor2D, weight: tf.Tensor2D, valid: tf.Tensor1D): tf.Scalar {
  const rowCe = diagonalCrossEntropy(sim, keep); // [B, N]
  const columnCe = diagonalCrossEntropy(tf.transpose(sim, [0, 2, 1]), keep); // [B, N]
  const perSample = tf.mul(tf.sum(tf.mul(weight, tf.add(rowCe, columnCe)), 1), valid); // [B]
  return tf.mul(tf.mean(perSample), 0.5) as tf.Scalar;
}
