import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import {
  createLocalWeightingParams,
  localAlignmentLoss,
  type LocalAlignmentOutput,
  type LocalWeightingParams,
} from '../../lib/objectives/local_alignment.ts';
import { l2Normalize } from '../../lib/objectives/ops.ts';
import { assertClose, assertFinite, assertNoLeak, ErrorLog, loadFixture, unpack, type PackedTensor } from './reference.ts';

const WEIGHT_NAMES = ['word.wq', 'word.bq', 'word.wk', 'word.bk', 'patch.wq', 'patch.bq', 'patch.wk', 'patch.bk'] as const;
type WeightName = (typeof WEIGHT_NAMES)[number];

interface LocalCase {
  name: string;
  temperature: number;
  inputs: Record<'words' | 'patches' | 'wordMask' | 'patchMask' | WeightName, PackedTensor>;
  outputs: { loss: number; wordLoss: number; patchLoss: number };
  attention: { wordToPatch: PackedTensor; wordWeights: PackedTensor; patchWeights: PackedTensor };
  grads: Record<'words' | 'patches' | WeightName, PackedTensor>;
}

const fixture = loadFixture<{ cases: LocalCase[] }>('local_alignment');
const errors = new ErrorLog();

test.before(async () => {
  await nativeBackend();
});

test.after(() => {
  console.log(`localAlignmentLoss max error vs PyTorch: ${errors.summary()}`);
});

/** Builds the weights record from a flat list in WEIGHT_NAMES order. */
function weightsFrom(list: tf.Tensor[]): LocalWeightingParams {
  const [wq, bq, wk, bk, pwq, pbq, pwk, pbk] = list;
  return {
    word: { wq: wq as tf.Tensor2D, bq: bq as tf.Tensor1D, wk: wk as tf.Tensor2D, bk: bk as tf.Tensor1D },
    patch: { wq: pwq as tf.Tensor2D, bq: pbq as tf.Tensor1D, wk: pwk as tf.Tensor2D, bk: pbk as tf.Tensor1D },
  };
}

function outputTensors(out: LocalAlignmentOutput): tf.Tensor[] {
  const all: Array<tf.Tensor | undefined> = [out.loss, out.wordLoss, out.patchLoss, out.wordToPatch, out.wordWeights, out.patchWeights];
  return all.filter((x): x is tf.Tensor => x !== undefined);
}

function caseTensors(c: LocalCase) {
  return {
    words: unpack<tf.Rank.R3>(c.inputs.words),
    patches: unpack<tf.Rank.R3>(c.inputs.patches),
    wordMask: unpack<tf.Rank.R2>(c.inputs.wordMask),
    patchMask: unpack<tf.Rank.R2>(c.inputs.patchMask),
    weightList: WEIGHT_NAMES.map((name) => unpack(c.inputs[name])),
  };
}

for (const c of fixture.cases) {
  test(`matches the per-sample PyTorch float64 reference: ${c.name} (values, attention, gradients; |a−b| ≤ 1e-5·max(1,|b|))`, (t) => {
    const { words, patches, wordMask, patchMask, weightList } = caseTensors(c);
    const options = { temperature: c.temperature, wordMask, patchMask };
    const out = localAlignmentLoss(words, patches, weightsFrom(weightList), { ...options, returnAttention: true });
    for (const key of ['loss', 'wordLoss', 'patchLoss'] as const) errors.add('value', assertClose(t, out[key], c.outputs[key], key));
    errors.add('attention', assertClose(t, out.wordToPatch!, c.attention.wordToPatch, 'wordToPatch'));
    errors.add('attention', assertClose(t, out.wordWeights!, c.attention.wordWeights, 'wordWeights'));
    errors.add('attention', assertClose(t, out.patchWeights!, c.attention.patchWeights, 'patchWeights'));

    const lossOf = (...inputs: tf.Tensor[]) => localAlignmentLoss(inputs[0] as tf.Tensor3D, inputs[1] as tf.Tensor3D, weightsFrom(inputs.slice(2)), options).loss;
    const grads = tf.grads(lossOf)([words, patches, ...weightList]);
    const names = ['words', 'patches', ...WEIGHT_NAMES] as const;
    names.forEach((name, i) => errors.add('grad', assertClose(t, grads[i]!, c.grads[name], `d/d ${name}`)));
    assertFinite(t, grads, 'gradients');
    tf.dispose([words, patches, wordMask, patchMask, ...weightList, ...outputTensors(out), ...grads]);
  });
}

test('padding words and absent patches: changing their values changes nothing, and they get zero gradient', (t) => {
  const c = fixture.cases.find((x) => x.name === 'masked')!;
  const { words, patches, wordMask, patchMask, weightList } = caseTensors(c);
  const weights = weightsFrom(weightList);
  const options = { temperature: c.temperature, wordMask, patchMask, returnAttention: true };
  // Replace every masked slot by unrelated random unit vectors.
  const noiseWords = l2Normalize(tf.randomNormal(words.shape, 0, 1, 'float32', 7));
  const noisePatches = l2Normalize(tf.randomNormal(patches.shape, 0, 1, 'float32', 8));
  const otherWords = tf.where(tf.cast(tf.expandDims(wordMask, 2), 'bool'), words, noiseWords) as tf.Tensor3D;
  const otherPatches = tf.where(tf.cast(tf.expandDims(patchMask, 2), 'bool'), patches, noisePatches) as tf.Tensor3D;
  const reference = localAlignmentLoss(words, patches, weights, options);
  const changed = localAlignmentLoss(otherWords, otherPatches, weights, options);
  for (const key of ['loss', 'wordLoss', 'patchLoss', 'wordToPatch', 'wordWeights', 'patchWeights'] as const) {
    t.deepEqual(Array.from(changed[key]!.dataSync()), Array.from(reference[key]!.dataSync()), `${key} identical`);
  }
  // α and β vanish on masked slots and sum to 1 over the real ones.
  const alpha = reference.wordWeights!.arraySync() as number[][];
  const beta = reference.patchWeights!.arraySync() as number[][];
  const wm = wordMask.arraySync() as number[][];
  const pm = patchMask.arraySync() as number[][];
  for (let b = 0; b < alpha.length; b++) {
    t.true(alpha[b]!.every((a, j) => wm[b]![j] === 1 || a === 0));
    t.true(beta[b]!.every((a, m) => pm[b]![m] === 1 || a === 0));
    t.true(Math.abs(alpha[b]!.reduce((s, a) => s + a, 0) - 1) < 1e-6);
    t.true(Math.abs(beta[b]!.reduce((s, a) => s + a, 0) - 1) < 1e-6);
  }
  const [gWords, gPatches] = tf.grads((w: tf.Tensor, p: tf.Tensor) => localAlignmentLoss(w as tf.Tensor3D, p as tf.Tensor3D, weights, options).loss)([otherWords, otherPatches]);
  const maskedWordGrad = tf.sum(tf.abs(tf.mul(gWords!, tf.expandDims(tf.sub(1, wordMask), 2))));
  const maskedPatchGrad = tf.sum(tf.abs(tf.mul(gPatches!, tf.expandDims(tf.sub(1, patchMask), 2))));
  t.is(maskedWordGrad.dataSync()[0], 0);
  t.is(maskedPatchGrad.dataSync()[0], 0);
  tf.dispose([words, patches, wordMask, patchMask, ...weightList, noiseWords, noisePatches, otherWords, otherPatches]);
  tf.dispose([...outputTensors(reference), ...outputTensors(changed), gWords!, gPatches!, maskedWordGrad, maskedPatchGrad]);
});

test('perfectly aligned words and patches with a tiny temperature give a loss near 0', (t) => {
  const params = new ParameterSet(3);
  const weights = createLocalWeightingParams(params, 8);
  // Four orthonormal tokens, each word equal to one patch: k_j = w_j, S_w = I/τ.
  const tokens = tf.tile(tf.expandDims(tf.eye(4, 8), 0), [2, 1, 1]) as tf.Tensor3D; // [B=2, 4, 8]
  const out = localAlignmentLoss(tokens, tokens, weights, { temperature: 0.01 });
  t.true(out.loss.dataSync()[0]! < 1e-6, `loss ${out.loss.dataSync()[0]}`);
  // τ = 1: A = softmax of an identity row = (e,1,1,1)/(e+3), so k_j ∝ (e,1,1,1) permuted,
  // S_w[i,j] = (e if i = j else 1)/√(e²+3); every CE is log(1 + 3·exp((1−e)/√(e²+3)))
  // in both directions, and the weights sum to 1.
  const warm = localAlignmentLoss(tokens, tokens, weights, { temperature: 1 });
  const expected = Math.log(1 + 3 * Math.exp((1 - Math.E) / Math.sqrt(Math.E ** 2 + 3)));
  t.true(Math.abs(warm.wordLoss.dataSync()[0]! - expected) < 1e-5, `word ${warm.wordLoss.dataSync()[0]} vs ${expected}`);
  tf.dispose([tokens, ...outputTensors(out), ...outputTensors(warm)]);
  params.dispose();
});

test('createLocalWeightingParams: named, seeded, zero biases; gradients reach the variables and are finite', (t) => {
  const params = new ParameterSet(11);
  const weights = createLocalWeightingParams(params.child('localWeighting'), 8);
  t.deepEqual(params.named().map(([name, v]) => `${name}:${v.shape.join('x')}`), [
    'localWeighting.word.query.weight:8x8', 'localWeighting.word.query.bias:8', 'localWeighting.word.key.weight:8x8', 'localWeighting.word.key.bias:8',
    'localWeighting.patch.query.weight:8x8', 'localWeighting.patch.query.bias:8', 'localWeighting.patch.key.weight:8x8', 'localWeighting.patch.key.bias:8',
  ]);
  t.is(tf.sum(tf.abs(weights.word.bq)).dataSync()[0], 0);
  const bound = Math.sqrt(6 / (8 + 24));
  t.true(Array.from(weights.patch.wk.dataSync()).every((x) => Math.abs(x) <= bound));
  const again = createLocalWeightingParams(new ParameterSet(11).child('localWeighting'), 8);
  t.deepEqual(Array.from(again.word.wq.dataSync()), Array.from(weights.word.wq.dataSync()));

  const words = l2Normalize(tf.randomNormal([3, 5, 8], 0, 1, 'float32', 1)) as tf.Tensor3D;
  const patches = l2Normalize(tf.randomNormal([3, 6, 8], 0, 1, 'float32', 2)) as tf.Tensor3D;
  const wordMask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]]);
  const patchMask = tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]]);
  const { value, grads } = tf.variableGrads(() => localAlignmentLoss(words, patches, weights, { temperature: 0.1, wordMask, patchMask }).loss, params.trainable());
  t.is(Object.keys(grads).length, 8);
  assertFinite(t, [value, ...Object.values(grads)], 'variableGrads');
  t.true(Object.values(grads).every((g) => tf.sum(tf.abs(g)).dataSync()[0]! > 0), 'weights are not detached: every parameter gets a gradient');
  tf.dispose([words, patches, wordMask, patchMask, value, ...Object.values(grads)]);
  params.dispose();
});

test('a sample with no real words contributes 0 instead of NaN', (t) => {
  const params = new ParameterSet(5);
  const weights = createLocalWeightingParams(params, 8);
  const words = l2Normalize(tf.randomNormal([2, 4, 8], 0, 1, 'float32', 3)) as tf.Tensor3D;
  const patches = l2Normalize(tf.randomNormal([2, 6, 8], 0, 1, 'float32', 4)) as tf.Tensor3D;
  const both = tf.tensor2d([[1, 1, 1, 0], [0, 0, 0, 0]]);
  const first = tf.tensor2d([[1, 1, 1, 0]]);
  const out = localAlignmentLoss(words, patches, weights, { temperature: 0.1, wordMask: both });
  const alone = localAlignmentLoss(tf.slice(words, 0, 1), tf.slice(patches, 0, 1), weights, { temperature: 0.1, wordMask: first });
  // Sample 1 has nothing to align: both sides give 0 for it, so the batch mean is half of sample 0's.
  t.true(Math.abs(out.wordLoss.dataSync()[0]! - alone.wordLoss.dataSync()[0]! / 2) < 1e-6);
  t.true(Math.abs(out.patchLoss.dataSync()[0]! - alone.patchLoss.dataSync()[0]! / 2) < 1e-6);
  const grads = tf.grads((w: tf.Tensor, p: tf.Tensor) => localAlignmentLoss(w as tf.Tensor3D, p as tf.Tensor3D, weights, { temperature: 0.1, wordMask: both }).loss)([words, patches]);
  assertFinite(t, [out.loss, ...grads], 'all-padded sample');
  tf.dispose([words, patches, both, first, ...outputTensors(out), ...outputTensors(alone), ...grads]);
  params.dispose();
});

test('no tensor leaks: only the returned tensors are new (with and without attention), flat across 5 calls', (t) => {
  const params = new ParameterSet(9);
  const weights = createLocalWeightingParams(params, 8);
  const words = l2Normalize(tf.randomNormal([3, 5, 8], 0, 1, 'float32', 1)) as tf.Tensor3D;
  const patches = l2Normalize(tf.randomNormal([3, 6, 8], 0, 1, 'float32', 2)) as tf.Tensor3D;
  const wordMask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]]);
  assertNoLeak(t, () => localAlignmentLoss(words, patches, weights, { temperature: 0.1, wordMask }), outputTensors);
  assertNoLeak(t, () => localAlignmentLoss(words, patches, weights, { temperature: 0.1, wordMask, returnAttention: true }), (out) => {
    t.is(outputTensors(out).length, 6);
    return outputTensors(out);
  });
  tf.dispose([words, patches, wordMask]);
  params.dispose();
});

test('bad shapes throw with the actual shape, naming the argument', (t) => {
  const params = new ParameterSet(1);
  const weights = createLocalWeightingParams(params, 8);
  const words = tf.zeros([3, 5, 8]) as tf.Tensor3D;
  const patches = tf.zeros([3, 6, 8]) as tf.Tensor3D;
  const run = (w: tf.Tensor, p: tf.Tensor, extra: Partial<Parameters<typeof localAlignmentLoss>[3]> = {}, ws: LocalWeightingParams = weights) =>
    () => localAlignmentLoss(w as tf.Tensor3D, p as tf.Tensor3D, ws, { temperature: 0.1, ...extra });
  const bad = {
    words2d: tf.zeros([5, 8]), patchesD: tf.zeros([3, 6, 4]), patchesB: tf.zeros([2, 6, 8]),
    wordMask: tf.zeros([3, 4]) as tf.Tensor2D, patchMask: tf.zeros([3]) as unknown as tf.Tensor2D, wq: tf.zeros([8, 4]) as tf.Tensor2D,
  };
  t.throws(run(bad.words2d, patches), { message: /localAlignmentLoss: words must have shape \[B, Nw, d\], got \[5, 8\]/ });
  t.throws(run(words, bad.patchesD), { message: /patches must have shape \[B=3, Np, d=8\], got \[3, 6, 4\]/ });
  t.throws(run(words, bad.patchesB), { message: /patches must have shape \[B=3, Np, d=8\], got \[2, 6, 8\]/ });
  t.throws(run(words, patches, { wordMask: bad.wordMask }), { message: /options.wordMask must have shape \[B=3, Nw=5\], got \[3, 4\]/ });
  t.throws(run(words, patches, { patchMask: bad.patchMask }), { message: /options.patchMask must have shape \[B=3, Np=6\], got \[3\]/ });
  t.throws(run(words, patches, {}, { ...weights, patch: { ...weights.patch, wq: bad.wq } }), { message: /weights.patch.wq must have shape \[d=8, d=8\], got \[8, 4\]/ });
  t.throws(run(words, patches, { temperature: -1 }), { message: /temperature must be a positive finite number, got -1/ });
  tf.dispose([words, patches, ...Object.values(bad)]);
  params.dispose();
});
