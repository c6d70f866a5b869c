/**
 * PRIOR's objectives against independent float64 PyTorch references
 * (tests/fixtures/make_prior_refs.py): values and gradients of every input,
 * including the Hungarian matching step (checked against brute force).
 */
import test, { type ExecutionContext } from 'ava';
import { clipLoss, sameReportContrastiveLoss, sigmoidCrossAttention, simsiamLoss } from '../../lib/objectives/prior_alignment.ts';
import { assignPrototypes, gumbelNoise, prototypeLoss } from '../../lib/objectives/prototypes.ts';
import { optimalAssignment, sentenceReconstructionLoss } from '../../lib/objectives/sentence_matching.ts';
import { Rng } from '../../lib/util/rng.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { assertClose, loadFixture, unpack, type PackedTensor } from './reference.ts';

type Case = Record<string, unknown> & { grads?: Record<string, PackedTensor> };
const { cases } = loadFixture<{ cases: Record<string, Case> }>('prior');
const P = (c: Case, key: string) => c[key] as PackedTensor;

test.before(async () => {
  await nativeBackend();
});

/** Gradients of f w.r.t. the named inputs, compared with the reference's. */
function checkGrads(t: ExecutionContext, f: (inputs: Record<string, tf.Tensor>) => tf.Scalar, inputs: Record<string, PackedTensor>, expected: Record<string, PackedTensor>, label: string, tol = 1e-5) {
  const names = Object.keys(expected);
  const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, unpack(v)]));
  const grads = tf.grads((...xs: tf.Tensor[]) => f({ ...tensors, ...Object.fromEntries(names.map((n, i) => [n, xs[i]!])) }))(names.map((n) => tensors[n]!));
  names.forEach((n, i) => assertClose(t, grads[i]!, expected[n]!, `${label} d/d${n}`, tol));
  tf.dispose([...grads, ...Object.values(tensors)]);
}

test('clipLoss: ½[CE(s·v tᵀ) + CE(s·t vᵀ)] with a learnable logit scale', (t) => {
  const c = cases['clip']!;
  const f = (x: Record<string, tf.Tensor>) => clipLoss(x['image'] as tf.Tensor2D, x['text'] as tf.Tensor2D, x['logitScale'] as tf.Scalar);
  const inputs = { image: P(c, 'image'), text: P(c, 'text'), logitScale: P(c, 'logitScale') };
  tf.tidy(() => assertClose(t, f(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, unpack(v)]))), c['loss'] as number, 'clip loss'));
  checkGrads(t, f, inputs, c.grads!, 'clip');
});

test('sigmoidCrossAttention: σ(q kᵀ/√d) v, absent keys weigh nothing', (t) => {
  const c = cases['sigmoid_attention']!;
  const mask = unpack<tf.Rank.R2>(P(c, 'keyMask'));
  const probe = unpack(P(c, 'probe'));
  const f = (x: Record<string, tf.Tensor>) => tf.sum(tf.mul(sigmoidCrossAttention(x['query'] as tf.Tensor3D, x['keys'] as tf.Tensor3D, x['values'] as tf.Tensor3D, mask), probe)) as tf.Scalar;
  const inputs = { query: P(c, 'query'), keys: P(c, 'keys'), values: P(c, 'values') };
  tf.tidy(() => assertClose(t, sigmoidCrossAttention(unpack(inputs.query), unpack(inputs.keys), unpack(inputs.values), mask), P(c, 'output'), 'T2I output'));
  checkGrads(t, f, inputs, c.grads!, 'sigmoid attention');
  tf.dispose([mask, probe]);
});

test('simsiamLoss: −½[cos(P(x), sg(y)) + cos(P(y), sg(x))]; no gradient reaches the stopped branch', (t) => {
  const c = cases['simsiam']!;
  const f = (x: Record<string, tf.Tensor>) => simsiamLoss(x['px'] as tf.Tensor3D, x['py'] as tf.Tensor3D, x['x'] as tf.Tensor3D, x['y'] as tf.Tensor3D);
  const inputs = { px: P(c, 'px'), py: P(c, 'py'), x: P(c, 'x'), y: P(c, 'y') };
  tf.tidy(() => assertClose(t, f(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, unpack(v)]))), c['loss'] as number, 'simsiam loss'));
  checkGrads(t, f, inputs, c.grads!, 'simsiam');
  t.true(c.grads!['x']!.data.every((v) => v === 0), 'the reference detaches x and y too');
});

test('sameReportContrastiveLoss: negatives from the same report only; absent sentences take no part', (t) => {
  const c = cases['same_report']!;
  const mask = unpack<tf.Rank.R2>(P(c, 'mask'));
  const f = (x: Record<string, tf.Tensor>) => sameReportContrastiveLoss(x['sentences'] as tf.Tensor3D, x['contexts'] as tf.Tensor3D, mask, x['logitScale'] as tf.Scalar);
  const inputs = { sentences: P(c, 'sentences'), contexts: P(c, 'contexts'), logitScale: P(c, 'logitScale') };
  tf.tidy(() => assertClose(t, f(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, unpack(v)]))), c['loss'] as number, 'same-report loss'));
  checkGrads(t, f, inputs, c.grads!, 'same-report');
  mask.dispose();
});

for (const name of ['prototypes_gumbel', 'prototypes_eval']) {
  test(`sentence prototype bank (${name === 'prototypes_eval' ? 'deterministic softmax' : 'Gumbel-softmax with given noise'}): weights, qW and mean |qW − x|`, (t) => {
    const c = cases[name]!;
    const noise = c['gumbel'] ? unpack<tf.Rank.R2>(P(c, 'gumbel')) : null;
    const mask = unpack<tf.Rank.R1>(P(c, 'mask'));
    const tau = c['tau'] as number;
    tf.tidy(() => {
      const out = assignPrototypes(unpack(P(c, 'sentences')), unpack(P(c, 'prototypes')), tau, noise);
      assertClose(t, out.weights, P(c, 'weights'), 'weights');
      assertClose(t, out.quantised, P(c, 'quantised'), 'quantised');
      assertClose(t, prototypeLoss(out.quantised, unpack(P(c, 'sentences')), mask), c['loss'] as number, 'loss');
    });
    const f = (x: Record<string, tf.Tensor>) => prototypeLoss(assignPrototypes(x['sentences'] as tf.Tensor2D, x['prototypes'] as tf.Tensor2D, tau, noise).quantised, x['sentences'] as tf.Tensor2D, mask);
    checkGrads(t, f, { sentences: P(c, 'sentences'), prototypes: P(c, 'prototypes') }, c.grads!, name);
    tf.dispose([noise, mask].filter((x) => x !== null) as tf.Tensor[]);
  });
}

test('gumbelNoise: seeded, Gumbel(0, 1) distributed (mean ≈ Euler–Mascheroni, variance ≈ π²/6)', (t) => {
  const a = Array.from(tf.tidy(() => gumbelNoise(200, 50, new Rng(4)).dataSync()));
  const b = Array.from(tf.tidy(() => gumbelNoise(200, 50, new Rng(4)).dataSync()));
  t.deepEqual(a, b);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
  t.true(Math.abs(mean - 0.5772) < 0.03, `mean ${mean}`);
  t.true(Math.abs(variance - Math.PI ** 2 / 6) < 0.08, `variance ${variance}`);
});

test('optimalAssignment: the minimum-cost matching of a rectangular cost, against brute force', (t) => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 30; trial++) {
    const rows = 2 + rng.int(0, 4);
    const cols = Math.min(rows, 1 + rng.int(0, rows)); // predictions ≥ sentences, as in PRIOR
    const cost = Array.from({ length: rows * cols }, () => rng.uniform());
    const pairs = optimalAssignment(cost, rows, cols);
    t.is(pairs.length, Math.min(rows, cols));
    t.is(new Set(pairs.map(([r]) => r)).size, pairs.length, 'one row per column');
    const total = pairs.reduce((s, [r, c]) => s + cost[r * cols + c]!, 0);
    let best = Infinity;
    const search = (c: number, used: Set<number>, sum: number) => {
      if (c === cols) return void (best = Math.min(best, sum));
      for (let r = 0; r < rows; r++) if (!used.has(r)) search(c + 1, new Set([...used, r]), sum + cost[r * cols + c]!);
    };
    search(0, new Set(), 0);
    t.true(Math.abs(total - best) < 1e-9, `trial ${trial}: ${total} vs brute force ${best}`);
  }
  t.deepEqual(optimalAssignment([], 3, 0), []);
});

test('sentenceReconstructionLoss: per-sample Hungarian matching, L1 and KL on matched pairs, targets detached', (t) => {
  const c = cases['sentence_matching']!;
  const mask = unpack<tf.Rank.R2>(P(c, 'mask'));
  const inputs = { predicted: P(c, 'predicted'), targets: P(c, 'targets'), prototypes: P(c, 'prototypes') };
  tf.tidy(() => {
    const out = sentenceReconstructionLoss(unpack(inputs.predicted), unpack(inputs.targets), mask, unpack(inputs.prototypes));
    t.deepEqual(out.matches, c['matches']);
    assertClose(t, out.l1, c['l1'] as number, 'l1');
    assertClose(t, out.kl, c['kl'] as number, 'kl');
  });
  const call = (x: Record<string, tf.Tensor>) => sentenceReconstructionLoss(x['predicted'] as tf.Tensor3D, x['targets'] as tf.Tensor3D, mask, x['prototypes'] as tf.Tensor2D);
  const { prototypes: _unused, ...l1Grads } = c['gradsL1'] as Record<string, PackedTensor>; // the bank takes no part in L1
  t.true(_unused!.data.every((v) => v === 0));
  checkGrads(t, (x) => call(x).l1, inputs, l1Grads, 'l1');
  checkGrads(t, (x) => call(x).kl, inputs, c['gradsKl'] as Record<string, PackedTensor>, 'kl');
  mask.dispose();
});

test('the PRIOR objectives leak no tensors', (t) => {
  const c = cases['sentence_matching']!;
  const inputs = [unpack(P(c, 'predicted')), unpack(P(c, 'targets')), unpack(P(c, 'mask')), unpack(P(c, 'prototypes'))] as const;
  const before = tf.memory().numTensors;
  const out = sentenceReconstructionLoss(inputs[0] as tf.Tensor3D, inputs[1] as tf.Tensor3D, inputs[2] as tf.Tensor2D, inputs[3] as tf.Tensor2D);
  tf.dispose([out.l1, out.kl]);
  t.is(tf.memory().numTensors, before);
  tf.dispose([...inputs]);
});
