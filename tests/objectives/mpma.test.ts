/**
 * MPMA's building blocks (issue 14, first part) against independent float64
 * PyTorch references (tests/fixtures/make_mpma_refs.py): the masked-patch loss
 * with MAE's normalised targets, the MLM cross-entropy, and the
 * memory-augmented cross-attention fusion (values and gradients); and the
 * seeded patch and token masks.
 */
import test from 'ava';
import { CrossModalFusion, type FusionConfig } from '../../lib/models/memory_fusion.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { maskedPatchLoss, maskedTokenLoss, patchify } from '../../lib/objectives/masked_modeling.ts';
import { samplePatchMask, sampleTokenMask } from '../../lib/objectives/masking.ts';
import { Rng } from '../../lib/util/rng.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { assertClose, loadFixture, unpack, type PackedTensor } from './reference.ts';

type Case = Record<string, unknown> & { grads: Record<string, PackedTensor> };
const { cases } = loadFixture<{ cases: Record<string, Case> }>('mpma');
const P = (c: Case, key: string) => c[key] as PackedTensor;

test.before(async () => {
  await nativeBackend();
});

test('patchify is MAE’s patch layout (raster order of patches, row-major pixels)', (t) => {
  const c = cases['patch_norm']!;
  tf.tidy(() => assertClose(t, patchify(unpack<tf.Rank.R4>(P(c, 'images')), 4), P(c, 'patches'), 'patches'));
});

for (const name of ['patch_norm', 'patch_raw']) {
  test(`maskedPatchLoss matches PyTorch: ${name} (value and gradient)`, (t) => {
    const c = cases[name]!;
    const [target, mask, pred] = [unpack<tf.Rank.R3>(P(c, 'patches')), unpack<tf.Rank.R2>(P(c, 'mask')), unpack<tf.Rank.R3>(P(c, 'pred'))];
    const f = (x: tf.Tensor) => maskedPatchLoss(x as tf.Tensor3D, target, mask, { normalise: c['normalise'] as boolean });
    const { value, grad } = tf.valueAndGrad(f)(pred);
    assertClose(t, value, c['loss'] as number, `${name} loss`);
    assertClose(t, grad, c.grads['pred']!, `${name} d/dpred`);
    tf.dispose([target, mask, pred, value, grad]);
  });
}

test('maskedTokenLoss matches PyTorch’s cross_entropy with ignore_index (value and gradient); bad labels are named', (t) => {
  const c = cases['mlm']!;
  const labels = Int32Array.from(c['labels'] as number[]);
  const logits = unpack<tf.Rank.R3>(P(c, 'logits'));
  const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => maskedTokenLoss(x as tf.Tensor3D, labels))(logits);
  assertClose(t, value, c['loss'] as number, 'mlm loss');
  assertClose(t, grad, c.grads['logits']!, 'mlm d/dlogits');
  t.throws(() => maskedTokenLoss(logits, Int32Array.from(labels, (v, i) => (i === 1 ? 9 : v))), { message: 'maskedTokenLoss: label 9 at position 1 is outside the vocabulary of 7' });
  tf.tidy(() => t.is(maskedTokenLoss(logits, new Int32Array(10).fill(-1)).dataSync()[0], 0, 'nothing chosen: zero, not NaN'));
  tf.dispose([logits, value, grad]);
});

test('CrossModalFusion matches PyTorch (post-norm cross-attention over [context ; memory], key mask), values and gradients', (t) => {
  const c = cases['fusion']!;
  const params = new ParameterSet(0);
  const fusion = new CrossModalFusion(params, c['config'] as FusionConfig);
  for (const [name, packed] of Object.entries(c['weights'] as Record<string, PackedTensor>)) params.assign(name, unpack(packed));
  const [queries, context, keyMask, probe] = [unpack<tf.Rank.R3>(P(c, 'queries')), unpack<tf.Rank.R3>(P(c, 'context')), unpack<tf.Rank.R2>(P(c, 'keyMask')), unpack(P(c, 'probe'))];
  tf.tidy(() => assertClose(t, fusion.forward(queries, context, keyMask), P(c, 'output'), 'fusion output'));
  const grads = tf.grads((q: tf.Tensor, k: tf.Tensor) => tf.sum(tf.mul(fusion.forward(q as tf.Tensor3D, k as tf.Tensor3D, keyMask), probe)) as tf.Scalar)([queries, context]);
  assertClose(t, grads[0]!, c.grads['queries']!, 'd/dqueries');
  assertClose(t, grads[1]!, c.grads['context']!, 'd/dcontext');
  const { grads: memoryGrad, value } = tf.variableGrads(() => tf.sum(tf.mul(fusion.forward(queries, context, keyMask), probe)) as tf.Scalar, [fusion.memory!]);
  assertClose(t, memoryGrad[fusion.memory!.name]!, c.grads['memory']!, 'd/dmemory');
  // Masked context tokens change nothing.
  tf.tidy(() => {
    const changed = tf.add(context, tf.mul(tf.reshape(tf.sub(1, keyMask), [2, 5, 1]), 7));
    assertClose(t, fusion.forward(queries, changed as tf.Tensor3D, keyMask), P(c, 'output'), 'masked keys ignored');
  });
  tf.dispose([queries, context, keyMask, probe, value, ...grads, ...Object.values(memoryGrad)]);
  params.dispose();
});

test('patch masks: the same seed gives the same mask; every row keeps ⌊P·(1 − ratio)⌋ distinct patches', (t) => {
  const a = samplePatchMask(3, 16, 0.75, new Rng(1));
  t.is(a.keep, 4);
  for (let r = 0; r < 3; r++) {
    const visible = Array.from(a.visible.subarray(r * 4, r * 4 + 4));
    t.deepEqual(visible, [...new Set(visible)].sort((x, y) => x - y));
    t.is(Array.from(a.masked.subarray(r * 16, r * 16 + 16)).filter((v) => v === 0).length, 4);
    for (const p of visible) t.is(a.masked[r * 16 + p], 0);
  }
  t.deepEqual(samplePatchMask(3, 16, 0.75, new Rng(1)), a);
  t.notDeepEqual(samplePatchMask(3, 16, 0.75, new Rng(2)).visible, a.visible);
  t.throws(() => samplePatchMask(1, 4, 0.9, new Rng(1)), { message: 'samplePatchMask: masking 0.9 of 4 patches leaves none visible' });
});

test('token masks: only real, non-special tokens; 80/10/10 replacement; labels hold the originals; seeded', (t) => {
  const rows = 200;
  const length = 12;
  const ids = { mask: 4, vocabSize: 50, special: new Set([0, 1, 2, 3, 4]) };
  const rng = new Rng(3);
  const inputIds = new Int32Array(rows * length);
  const attention = new Int32Array(rows * length);
  for (let r = 0; r < rows; r++) {
    const n = 4 + (r % 8);
    for (let i = 0; i < n; i++) {
      inputIds[r * length + i] = i === 0 ? 2 : i === n - 1 ? 3 : rng.int(5, 49);
      attention[r * length + i] = 1;
    }
  }
  const m = sampleTokenMask(inputIds, attention, rows, length, 0.3, ids, new Rng(9));
  let chosen = 0;
  let asMask = 0;
  let kept = 0;
  for (let i = 0; i < rows * length; i++) {
    if (m.labels[i]! < 0) {
      t.is(m.inputIds[i], inputIds[i], 'unchosen tokens are untouched');
      continue;
    }
    chosen++;
    t.is(m.labels[i], inputIds[i]);
    t.true(attention[i] === 1 && !ids.special.has(inputIds[i]!), 'only real, non-special tokens are chosen');
    if (m.inputIds[i] === ids.mask) asMask++;
    else if (m.inputIds[i] === inputIds[i]) kept++;
    else t.false(ids.special.has(m.inputIds[i]!), 'random replacements are ordinary tokens');
  }
  const candidates = Array.from(inputIds).filter((id, i) => attention[i] === 1 && !ids.special.has(id)).length;
  t.true(Math.abs(chosen / candidates - 0.3) < 0.05, `chosen ${chosen} of ${candidates}`);
  t.true(Math.abs(asMask / chosen - 0.8) < 0.06, `[MASK] ${asMask} of ${chosen}`);
  const replaced = chosen - asMask - kept;
  t.true(Math.abs(kept / chosen - 0.1) < 0.04, `kept ${kept} of ${chosen}`);
  t.true(Math.abs(replaced / chosen - 0.1) < 0.04, `replaced ${replaced} of ${chosen}`);
  for (let r = 0; r < rows; r++) t.true(Array.from(m.labels.subarray(r * length, (r + 1) * length)).some((v) => v >= 0), `row ${r} has a chosen token`);
  t.deepEqual(sampleTokenMask(inputIds, attention, rows, length, 0.3, ids, new Rng(9)), m);
});
