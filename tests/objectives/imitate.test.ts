/**
 * IMITATE's objectives and findings branch against independent float64
 * PyTorch references (tests/fixtures/make_imitate_refs.py): CICL with and
 * without a prior, the four terms and their λ-weighted total on a batch with a
 * report lacking findings and one lacking an impression, and the multi-level
 * branch (values and gradients).
 */
import test from 'ava';
import { DEFAULT_PRIOR_RATIO, ciclLoss, clinicalSoftTargets, pearsonCorrelation } from '../../lib/objectives/cicl.ts';
import { IMITATE_LOSS_NAMES, imitateLossTerms, type ImitateEmbeddings } from '../../lib/objectives/imitate.ts';
import { MultiLevelBranch, adaptivePoolMatrix, drawChannelSubsets } from '../../lib/models/multi_level_branch.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { Rng } from '../../lib/util/rng.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { assertClose, assertNoLeak, loadFixture, unpack, type PackedTensor } from './reference.ts';

type Case = Record<string, unknown> & { grads: Record<string, PackedTensor> };
const { cases } = loadFixture<{ cases: Record<string, Case> }>('imitate');
const P = (c: Case, key: string) => c[key] as PackedTensor;

test.before(async () => {
  await nativeBackend();
});

test('pearsonCorrelation is torch.corrcoef between samples', (t) => {
  const c = cases['correlation']!;
  tf.tidy(() => assertClose(t, pearsonCorrelation(unpack(P(c, 'prior'))), P(c, 'output'), 'corrcoef'));
});

for (const name of ['cicl_prior', 'cicl_plain', 'cicl_masked']) {
  test(`ciclLoss matches PyTorch: ${name} (value and gradients)`, (t) => {
    const c = cases[name]!;
    const prior = name === 'cicl_plain' ? null : unpack<tf.Rank.R2>(P(c, 'prior'));
    const priorMask = c['priorMask'] ? unpack<tf.Rank.R1>(P(c, 'priorMask')) : null;
    const f = (x: tf.Tensor2D, y: tf.Tensor2D) => ciclLoss(x, y, { temperature: c['temperature'] as number, prior, priorMask });
    const [x, y] = [unpack<tf.Rank.R2>(P(c, 'x')), unpack<tf.Rank.R2>(P(c, 'y'))];
    tf.tidy(() => assertClose(t, f(x, y), c['loss'] as number, `${name} loss`));
    const { grads, value } = tf.tidy(() => tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor2D, b as tf.Tensor2D))([x, y]));
    assertClose(t, grads[0]!, c.grads['x']!, `${name} d/dx`);
    assertClose(t, grads[1]!, c.grads['y']!, `${name} d/dy`);
    tf.dispose([x, y, value, ...grads, ...(prior ? [prior] : []), ...(priorMask ? [priorMask] : [])]);
  });
}

test('clinical soft targets: identity plus τ-scaled positives, none on the diagonal, none from negative correlations or absent priors', (t) => {
  const prior = unpack<tf.Rank.R2>(P(cases['cicl_prior']!, 'prior'));
  const mask = tf.tensor1d([1, 1, 0, 1, 1, 1]);
  tf.tidy(() => {
    const corr = pearsonCorrelation(prior).arraySync();
    const y = clinicalSoftTargets(prior, 0.07, DEFAULT_PRIOR_RATIO, mask).arraySync();
    for (let i = 0; i < 6; i++) {
      t.is(y[i]![i], 1, 'diagonal is the hard positive');
      for (let j = 0; j < 6; j++) {
        if (i === j) continue;
        const expected = i === 2 || j === 2 || corr[i]![j]! <= 0 ? 0 : 0.07 * (1 - Math.exp(-0.2 * corr[i]![j]!));
        t.true(Math.abs(y[i]![j]! - expected) < 1e-6, `Y[${i}][${j}] = ${y[i]![j]} vs ${expected}`);
      }
    }
    t.true(corr.flat().some((v, k) => v < 0 && k % 7 !== 0) && corr.flat().some((v, k) => v > 0 && k % 7 !== 0), 'the fixture has both signs');
  });
  tf.dispose([prior, mask]);
});

function termsInput(c: Case): { embeddings: Required<ImitateEmbeddings>; tensors: tf.Tensor[] } {
  const u = (k: string) => unpack<tf.Rank.R2>(P(c, k));
  const [imp1, imp2, find1, find2, impText, findText, impPrior, findPrior] = ['imp1', 'imp2', 'find1', 'find2', 'impText', 'findText', 'impressionPrior', 'findingsPrior'].map(u) as tf.Tensor2D[];
  return {
    embeddings: {
      impressionImage: [imp1!, imp2!],
      findingsImage: [find1!, find2!],
      impressionText: impText!,
      findingsText: findText!,
      impressionPrior: impPrior!,
      findingsPrior: findPrior!,
      hasFindings: c['hasFindings'] as boolean[],
      hasImpression: c['hasImpression'] as boolean[],
    },
    tensors: [imp1!, imp2!, find1!, find2!, impText!, findText!, impPrior!, findPrior!],
  };
}

test('imitateLossTerms: every term and the λ-weighted total match PyTorch (values and gradients of every embedding)', (t) => {
  const c = cases['terms']!;
  const weights = c['weights'] as Record<string, number>;
  const values = c['values'] as Record<string, number>;
  const { embeddings, tensors } = termsInput(c);
  tf.tidy(() => {
    const terms = imitateLossTerms(embeddings);
    t.deepEqual(Object.keys(terms), [...IMITATE_LOSS_NAMES]);
    for (const name of IMITATE_LOSS_NAMES) assertClose(t, terms[name]!, values[name]!, name);
  });
  const names = ['imp1', 'imp2', 'find1', 'find2', 'impText', 'findText'];
  const total = (...xs: tf.Tensor[]) => {
    const [imp1, imp2, find1, find2, impText, findText] = xs as tf.Tensor2D[];
    const terms = imitateLossTerms({ ...embeddings, impressionImage: [imp1!, imp2!], findingsImage: [find1!, find2!], impressionText: impText!, findingsText: findText! });
    return tf.addN(IMITATE_LOSS_NAMES.map((n) => tf.mul(terms[n]!, weights[n]!))) as tf.Scalar;
  };
  const { value, grads } = tf.valueAndGrads(total)(tensors.slice(0, 6));
  assertClose(t, value, c['total'] as number, 'total');
  names.forEach((n, i) => assertClose(t, grads[i]!, c.grads[n]!, `total d/d${n}`));
  tf.dispose([value, ...grads, ...tensors]);
});

test('a report without findings contributes no findings image–text term: its rows change nothing and get no gradient', (t) => {
  const c = cases['terms']!;
  const { embeddings, tensors } = termsInput(c);
  const absent = (c['hasFindings'] as boolean[]).indexOf(false);
  const findingsOf = (find1: tf.Tensor2D, findText: tf.Tensor2D, findPrior: tf.Tensor2D) =>
    imitateLossTerms({ ...embeddings, findingsImage: [find1, embeddings.findingsImage[1]], findingsText: findText, findingsPrior: findPrior }, new Set(['findings'])).findings!;
  tf.tidy(() => {
    const before = findingsOf(embeddings.findingsImage[0], embeddings.findingsText, embeddings.findingsPrior).dataSync()[0]!;
    // Anything in the absent row: other embeddings, another prior.
    const rowMask = tf.reshape(tf.oneHot(tf.tensor1d([absent], 'int32'), 7), [7, 1]);
    const scramble = (x: tf.Tensor2D) => tf.add(x, tf.mul(rowMask, tf.randomNormal(x.shape, 0, 5, 'float32', 7))) as tf.Tensor2D;
    const after = findingsOf(scramble(embeddings.findingsImage[0]), scramble(embeddings.findingsText), scramble(embeddings.findingsPrior)).dataSync()[0]!;
    t.true(Math.abs(before - after) < 1e-6, `${before} vs ${after}`);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => findingsOf(a as tf.Tensor2D, b as tf.Tensor2D, embeddings.findingsPrior))([embeddings.findingsImage[0], embeddings.findingsText]);
    for (const g of grads) {
      const rows = g.arraySync() as number[][];
      t.true(rows[absent]!.every((v) => v === 0), 'no gradient into the absent row');
      t.true(rows.some((r, i) => i !== absent && r.some((v) => v !== 0)));
    }
  });
  // No report has findings: the term is 0, not NaN.
  tf.tidy(() => t.is(imitateLossTerms({ ...embeddings, hasFindings: embeddings.hasFindings.map(() => false) }, new Set(['findings'])).findings!.dataSync()[0], 0));
  t.throws(() => imitateLossTerms({ ...embeddings, hasFindings: [true] }), { message: /section flags must have 7 entries, got 7 and 1/ });
  t.throws(() => imitateLossTerms({ ...embeddings, findingsText: undefined }), { message: 'imitateLossTerms: the active findings terms need findingsText' });
  tf.tidy(() => t.deepEqual(Object.keys(imitateLossTerms({ ...embeddings, findingsImage: undefined, findingsText: undefined, findingsPrior: undefined }, new Set(['impression', 'impression_views']))), ['impression', 'impression_views'], 'impression terms need no findings inputs'));
  const short = tf.slice(embeddings.findingsText, [0, 0], [6, -1]) as tf.Tensor2D;
  t.throws(() => imitateLossTerms({ ...embeddings, findingsText: short }), { message: 'imitateLossTerms: findingsText has 6 rows, impressionText 7' });
  short.dispose();
  assertNoLeak(t, () => imitateLossTerms(embeddings), (terms) => Object.values(terms) as tf.Tensor[]);
  tf.dispose(tensors);
});

test('adaptive pooling weights are PyTorch windows: down- and up-sampling', (t) => {
  tf.tidy(() => {
    const down = adaptivePoolMatrix(8, 3).arraySync();
    // PyTorch: windows [0, 3), [2, 6), [5, 8).
    t.deepEqual(down.map((row) => row.map((v) => (v > 0 ? 1 : 0))), [[1, 1, 1, 0, 0, 0, 0, 0], [0, 0, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 1, 1, 1]]);
    t.deepEqual(adaptivePoolMatrix(1, 3).arraySync(), [[1], [1], [1]], 'one cell is repeated');
  });
});

test('MultiLevelBranch matches PyTorch (AdaptiveAvgPool2d, zero padding, CLS last, MultiheadAttention + residual), values and gradients', (t) => {
  const c = cases['branch']!;
  const maps = [1, 2, 3, 4].map((i) => unpack<tf.Rank.R4>(P(c, `map${i}`)));
  const subsets = (c['subsets'] as number[][]).map((s) => Int32Array.from(s));
  const params = new ParameterSet(0);
  const g = c['tokenGrid'] as number;
  const branch = new MultiLevelBranch(params, { stageChannels: maps.map((m) => m.shape[3]) as unknown as [number, number, number, number], fractions: subsets.map((s, i) => s.length / maps[i]!.shape[3]) as unknown as [number, number, number, number], tokenGrid: g, tokenCount: c['tokenCount'] as number, heads: c['heads'] as number });
  for (const [name, packed] of Object.entries(c['weights'] as Record<string, PackedTensor>)) params.assign(name, unpack(packed));
  const probe = unpack(P(c, 'probe'));
  const stages = maps as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  tf.tidy(() => assertClose(t, branch.forward(stages, subsets), P(c, 'output'), 'branch output'));
  const loss = () => tf.sum(tf.mul(branch.forward(stages, subsets), probe)) as tf.Scalar;
  const mapGrads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(branch.forward(xs as typeof stages, subsets), probe)) as tf.Scalar)(maps);
  mapGrads.forEach((g4, i) => assertClose(t, g4, c.grads[`map${i + 1}`]!, `d/dmap${i + 1}`));
  const { grads, value } = tf.variableGrads(loss, [branch.cls, branch.positions]);
  assertClose(t, grads[branch.cls.name]!, c.grads['cls_token']!, 'd/dcls');
  assertClose(t, grads[branch.positions.name]!, c.grads['pos_embed']!, 'd/dpos');
  t.throws(() => branch.forward(stages, subsets.slice(0, 3).concat([Int32Array.from([1])])), { message: /stage 4 needs 2 channel indices, got 1/ });
  tf.dispose([value, ...Object.values(grads), ...mapGrads, ...maps, probe]);
  params.dispose();
});

test('channel subsets are distinct, in range, and reproducible from the seed', (t) => {
  const config = { stageChannels: [64, 128, 256, 512] as const, fractions: [0.25, 0.15, 0.1, 0.1] as const, tokenGrid: 8, tokenCount: 128, heads: 4 };
  const a = drawChannelSubsets(config, new Rng(5));
  t.deepEqual(a.map((s) => s.length), [16, 19, 25, 51]);
  a.forEach((s, i) => {
    t.is(new Set(s).size, s.length, `stage ${i + 1}: no channel twice`);
    t.true(s.every((v) => v >= 0 && v < config.stageChannels[i]!));
  });
  t.deepEqual(drawChannelSubsets(config, new Rng(5)), a);
  t.notDeepEqual(drawChannelSubsets(config, new Rng(6)), a);
});
