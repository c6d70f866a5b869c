/**
 * Med-ST composed end to end on a small generated cohort: embedding shapes and
 * norms, the view switch, every loss term finite with gradients reaching the
 * right parameters, deterministic initial losses, no leaks.
 */
import test from 'ava';
import { Rng } from '../../lib/util/rng.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCohort } from '../../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import { BatchLoader, toTensors, type HostBatch } from '../../lib/data/batches.ts';
import { imageStoreDir, prepareDataset } from '../../lib/data/prepare.ts';
import { createTokenizer, type WordPieceTokenizer } from '../../lib/data/tokenizer/index.ts';
import { dropLaterals, MedST, medstConfig, medstConfigFromDescription, samePatientPairs, type MedSTConfig } from '../../lib/methods/medst.ts';
import { samplePatchMask } from '../../lib/objectives/masking.ts';
import type { StageConfig } from '../../lib/train/schedule.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

const small = { vision: { imageSize: 32, patchSize: 8, width: 32, depth: 1, heads: 2 }, text: { width: 32, layers: 1, heads: 2, intermediateSize: 64, maxPositions: 64 }, head: { hiddenWidth: 48, outputWidth: 16, bnEps: 1e-5, bnMomentum: 0.1 } };
const allLosses: StageConfig = { name: 'all', epochs: 1, losses: { global: 1, local: 1, fmc: 1, rmr: 1 }, chunkLength: 3, learningRate: 1e-3, warmupFraction: 0 };
let batch: HostBatch;
let tokenizer: WordPieceTokenizer;

test.before(async () => {
  await nativeBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-method-'));
  await generateCohort(resolveSynthConfig({ out: path.join(dir, 'cohort'), patients: 12, size: 128, seed: 21, workers: 0, maxStudies: 6 }));
  const prepared = await prepareDataset({ mimicRoot: path.join(dir, 'cohort'), outDir: path.join(dir, 'prepared'), size: 40 });
  tokenizer = await createTokenizer({ kind: 'corpus', corpus: prepared.records.map((r) => r.report.text), build: { vocabSize: 300 } });
  const loader = new BatchLoader(imageStoreDir(path.join(dir, 'prepared'), 40), prepared.records, tokenizer, { chunkLength: 3, chunksPerBatch: 6, crop: 32, augment: false, shuffle: true, seed: 2, maxTokens: 48, useWorker: false });
  for await (const b of loader.epoch(0)) if (b.fullChunks >= 1 && b.lateralPresent.some((x) => x === 0) && b.lateralPresent.some((x) => x === 1)) { batch = b; break; }
  await loader.close();
  if (!batch) throw new Error('no batch with a full chunk and mixed laterals');
});

const make = (seed: number, useLateral = true) => new MedST(medstConfig('tiny', { ...small, seed, useLateral, vocabSize: tokenizer.vocabSize }));

test.serial('embeddings have the documented shapes, unit norms and masks', (t) => {
  const model = make(1);
  const tensors = toTensors(batch);
  const e = model.encode(batch, tensors, false);
  const b = batch.rows;
  t.deepEqual(e.imageGlobal.shape, [b, 16]);
  t.deepEqual(e.imageLocal.shape, [b, 32, 16]); // 16 frontal + 16 lateral patches
  t.deepEqual(e.textGlobal.shape, [b, 16]);
  t.deepEqual(e.textLocal.shape, [b, 47, 16]);
  const norms = tf.norm(e.imageGlobal, 2, -1).dataSync();
  t.true(Array.from(norms).every((n) => Math.abs(n - 1) < 1e-5));
  // Absent laterals: their 16 patch slots are masked out.
  const mask = e.patchMask.arraySync() as number[][];
  batch.lateralPresent.forEach((present, row) => t.is(mask[row]!.slice(16).every((m) => m === present), true));
  tf.dispose([...Object.values(e), ...Object.values(tensors)]);
  const frontalOnly = make(1, false);
  const t2 = toTensors(batch);
  const e2 = frontalOnly.encodeImages(t2, false);
  t.deepEqual(e2.imageLocal.shape, [b, 16, 16], 'without MoVE only the frontal view is encoded');
  tf.dispose([...Object.values(e2), ...Object.values(t2)]);
  model.dispose();
  frontalOnly.dispose();
});

test.serial('every active term is finite; gradients reach encoders, heads, weighting layers and the lateral expert', (t) => {
  const model = make(2);
  const tensors = toTensors(batch);
  const trainable = model.params.named({ trainableOnly: true });
  const kept: Record<string, number> = {};
  const { value, grads } = tf.variableGrads(() => {
    const terms = model.lossTerms({ batch, tensors, stage: allLosses, step: 0, random: new Rng(0) });
    for (const [k, v] of Object.entries(terms)) kept[k] = v!.dataSync()[0]!;
    return tf.addN(Object.values(terms) as tf.Scalar[]) as tf.Scalar;
  }, trainable.map(([, v]) => v));
  t.deepEqual(Object.keys(kept).sort(), ['fmc', 'global', 'local', 'rmr']);
  for (const [k, v] of Object.entries(kept)) t.true(Number.isFinite(v), `${k} = ${v}`);
  const byName = new Map(trainable.map(([name, v]) => [name, grads[v.name]!]));
  const gradNorm = (prefix: string) => Math.max(...[...byName].filter(([n]) => n.startsWith(prefix)).map(([, g]) => tf.norm(g).dataSync()[0]!));
  for (const prefix of ['image.patch_embed', 'image.blocks.0.mlp_l', 'image.blocks.0.mlp', 'text.', 'image_local_head', 'text_global_head', 'local_weighting.word', 'local_weighting.patch']) {
    t.true(gradNorm(prefix) > 0, `gradient reaches ${prefix}`);
  }
  tf.dispose([value, ...Object.values(grads), ...Object.values(tensors)]);
  model.dispose();
});

test.serial('the same seed gives the same initial weights and losses; steps do not leak tensors', (t) => {
  const losses = (seed: number) => {
    const model = make(seed);
    const tensors = toTensors(batch);
    // The first call fills the cache of constant scalars (lib/models/layers/constants.ts).
    const values = tf.tidy(() => Object.values(model.lossTerms({ batch, tensors, stage: allLosses, step: 0, random: new Rng(0) })).map((x) => x!.dataSync()[0]!));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.tidy(() => {
      model.lossTerms({ batch, tensors, stage: allLosses, step: 0, random: new Rng(0) });
    });
    const after = tf.memory().numTensors;
    tf.dispose(Object.values(tensors));
    model.dispose();
    return { values, leaked: after - before };
  };
  const a = losses(7);
  const b = losses(7);
  const c = losses(8);
  t.deepEqual(a.values, b.values);
  t.notDeepEqual(a.values, c.values);
  t.is(a.leaked, 0);
});

test.serial("the step's random source drives the ViT's stochastic depth: same source, same losses; another source, other losses", (t) => {
  const model = new MedST(medstConfig('tiny', { ...small, vision: { ...small.vision, depth: 2, dropPath: 0.5 }, seed: 3, vocabSize: tokenizer.vocabSize }));
  const tensors = toTensors(batch);
  const global = (seed: number) => tf.tidy(() => model.lossTerms({ batch, tensors, stage: allLosses, step: 0, random: new Rng(seed) }).global!.dataSync()[0]!);
  t.is(global(1), global(1));
  t.not(global(1), global(2));
  const evaluation = (seed: number) => tf.tidy(() => model.encodeImages(tensors, false, new Rng(seed)).imageGlobal.dataSync()[0]!);
  t.is(evaluation(1), evaluation(2), 'evaluation draws nothing');
  tf.dispose(Object.values(tensors));
  model.dispose();
});

test.serial('the optional reconstruction term: MAE on the frontal view, off by default, seeded by the step, leaves the other weights as they were', (t) => {
  const withMim = new MedST(medstConfig('tiny', { ...small, seed: 4, reconstruction: { decoder: { width: 32, heads: 2, mlpHidden: 64, depth: 1 } }, vocabSize: tokenizer.vocabSize }));
  const plain = make(4);
  t.is(plain.pixelDecoder, null);
  const stage: StageConfig = { ...allLosses, losses: { global: 1, mim: 1 } };
  t.regex(plain.checkStage(stage) ?? '', /mim term needs config.reconstruction/);
  t.is(withMim.checkStage(stage), null);
  t.deepEqual(withMim.config.reconstruction, { maskRatio: 0.75, decoder: { width: 32, heads: 2, mlpHidden: 64, depth: 1 }, normalisePixels: true }, 'defaults fill what the override leaves out');
  t.throws(() => medstConfig('tiny', { ...small, reconstruction: { maskRatio: 1 }, vocabSize: 300 }), { message: /reconstruction.maskRatio must be in \(0, 1\), got 1/ });
  const tensors = toTensors(batch);
  const terms = (model: MedST, input: typeof tensors, seed: number, s = stage) => tf.tidy(() => Object.fromEntries(Object.entries(model.lossTerms({ batch, tensors: input, stage: s, step: 0, random: new Rng(seed) })).map(([k, v]) => [k, v!.dataSync()[0]!])));
  const a = terms(withMim, tensors, 5);
  t.deepEqual(Object.keys(a).sort(), ['global', 'mim']);
  t.true(a['mim']! > 0.1 && Number.isFinite(a['mim']!), `mim = ${a['mim']}`);
  t.is(terms(withMim, tensors, 5)['mim'], a['mim'], 'same source, same masks');
  t.not(terms(withMim, tensors, 6)['mim'], a['mim'], 'another source, other masks');
  // The decoder's parameters are added after the others: Med-ST's own weights (and so its other terms) do not move.
  const alignOnly: StageConfig = { ...allLosses, losses: { global: 1, local: 1, fmc: 1, rmr: 1 } };
  t.deepEqual(terms(withMim, tensors, 5, alignOnly), terms(plain, tensors, 5, alignOnly));
  // Masked patches are what is scored: noise there changes the loss only through the target.
  const masked = samplePatchMask(batch.rows, withMim.image.numPatches, 0.75, new Rng(5).fork(3)).masked;
  const c = batch.crop;
  const p = withMim.image.config.patchSize;
  const g = c / p;
  const noisy = (wantMasked: number) => {
    const out = Float32Array.from(batch.frontal);
    const noise = new Rng(9);
    for (let r = 0; r < batch.rows; r++) for (let y = 0; y < c; y++) for (let x = 0; x < c; x++) if (masked[r * g * g + Math.floor(y / p) * g + Math.floor(x / p)] === wantMasked) out[(r * c + y) * c + x] = noise.uniform() * 2 - 1;
    return tf.tensor4d(out, tensors.frontal.shape);
  };
  const [inMasked, inVisible] = [noisy(1), noisy(0)];
  const mimOnly: StageConfig = { ...allLosses, losses: { mim: 1 } };
  const base = terms(withMim, tensors, 5, mimOnly)['mim'];
  t.not(terms(withMim, { ...tensors, frontal: inMasked }, 5, mimOnly)['mim'], base, 'the hidden patches are the target');
  t.not(terms(withMim, { ...tensors, frontal: inVisible }, 5, mimOnly)['mim'], base, 'the visible patches are the input');
  // Gradients reach the decoder and the encoder; no tensors leak.
  const trainable = withMim.params.named({ trainableOnly: true });
  const { value, grads } = tf.variableGrads(() => withMim.lossTerms({ batch, tensors, stage: mimOnly, step: 0, random: new Rng(5) }).mim!, trainable.map(([, v]) => v));
  const byName = new Map(trainable.map(([name, v]) => [name, grads[v.name]!]));
  for (const prefix of ['pixel_decoder.predict', 'pixel_decoder.mask_token', 'image.patch_embed', 'image.blocks.0.mlp.']) {
    t.true(Math.max(...[...byName].filter(([n]) => n.startsWith(prefix)).map(([, gr]) => tf.norm(gr).dataSync()[0]!)) > 0, `gradient reaches ${prefix}`);
  }
  tf.dispose([value, ...Object.values(grads)]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) terms(withMim, tensors, 5);
  t.is(tf.memory().numTensors, before);
  // A checkpoint's description rebuilds the decoder.
  const restored = new MedST(medstConfigFromDescription(withMim.describe() as unknown as MedSTConfig));
  t.deepEqual(restored.params.named().map(([n, v]) => `${n} ${v.shape}`), withMim.params.named().map(([n, v]) => `${n} ${v.shape}`));
  tf.dispose([inMasked, inVisible, ...Object.values(tensors)]);
  for (const m of [withMim, plain, restored]) m.dispose();
});

test.serial('the optional masked-language term: report tokens attend to the image, off by default, seeded by the step, and its gradient reaches the image encoder', (t) => {
  const fusion = { width: 32, heads: 2, layers: 1, mlpHidden: 64 };
  const withMlm = new MedST(medstConfig('tiny', { ...small, seed: 4, maskedLanguage: { fusion }, specialTokenIds: tokenizer.specialTokenIds, vocabSize: tokenizer.vocabSize }));
  const plain = make(4);
  t.is(plain.languageFusion, null);
  const stage: StageConfig = { ...allLosses, losses: { global: 1, mlm: 1 } };
  t.regex(plain.checkStage(stage) ?? '', /mlm term needs config.maskedLanguage/);
  t.is(withMlm.checkStage(stage), null);
  t.deepEqual(withMlm.config.maskedLanguage, { maskRatio: 0.15, fusion, tokens: { mask: tokenizer.specialTokenIds.mask, special: Object.values(tokenizer.specialTokenIds) } }, 'the mask ids come from the tokenizer');
  t.throws(() => medstConfig('tiny', { ...small, maskedLanguage: { tokens: { mask: 999, special: [999] } }, vocabSize: 300 }), { message: /Med-ST config: maskedLanguage.tokens.mask must be an id below the vocabulary size 300, got 999/ });
  const tensors = toTensors(batch);
  const terms = (model: MedST, seed: number, s = stage) => tf.tidy(() => Object.fromEntries(Object.entries(model.lossTerms({ batch, tensors, stage: s, step: 0, random: new Rng(seed) })).map(([k, v]) => [k, v!.dataSync()[0]!])));
  const a = terms(withMlm, 5);
  t.deepEqual(Object.keys(a).sort(), ['global', 'mlm']);
  // At initialisation the head is near uniform over the vocabulary.
  t.true(Math.abs(a['mlm']! - Math.log(tokenizer.vocabSize)) < 1, `mlm ${a['mlm']} vs ln V ${Math.log(tokenizer.vocabSize)}`);
  t.is(terms(withMlm, 5)['mlm'], a['mlm'], 'same source, same masks');
  t.not(terms(withMlm, 6)['mlm'], a['mlm'], 'another source, other masks');
  const alignOnly: StageConfig = { ...allLosses, losses: { global: 1, local: 1, fmc: 1, rmr: 1 } };
  t.deepEqual(terms(withMlm, 5, alignOnly), terms(plain, 5, alignOnly), "the term's parameters leave Med-ST's own weights as they were");
  const trainable = withMlm.params.named({ trainableOnly: true });
  const mlmOnly: StageConfig = { ...allLosses, losses: { mlm: 1 } };
  const { value, grads } = tf.variableGrads(() => withMlm.lossTerms({ batch, tensors, stage: mlmOnly, step: 0, random: new Rng(5) }).mlm!, trainable.map(([, v]) => v));
  const byName = new Map(trainable.map(([name, v]) => [name, grads[v.name]]));
  for (const prefix of ['mlm_head.decoder', 'mlm_fusion', 'mlm_image_in', 'image.blocks.0.mlp.', 'image.blocks.0.mlp_l', 'text.']) {
    const norms = [...byName].filter(([n, g]) => n.startsWith(prefix) && g).map(([, g]) => tf.norm(g!).dataSync()[0]!);
    t.true(norms.length > 0 && Math.max(...norms) > 0, `gradient reaches ${prefix}`);
  }
  tf.dispose([value, ...Object.values(grads)]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) terms(withMlm, 5);
  t.is(tf.memory().numTensors, before);
  const restored = new MedST(medstConfigFromDescription(withMlm.describe() as unknown as MedSTConfig));
  t.deepEqual(restored.params.named().map(([n, v]) => `${n} ${v.shape}`), withMlm.params.named().map(([n, v]) => `${n} ${v.shape}`));
  tf.dispose(Object.values(tensors));
  for (const m of [withMlm, plain, restored]) m.dispose();
});

test.serial("excludeSamePatientNegatives: a patient's other studies leave the global loss's negatives, nothing else changes", (t) => {
  const pairs = samePatientPairs(batch);
  const same = (pairs.arraySync() as number[][]).map((row) => row.map((x) => x === 1)); // bool tensors read back as 0 / 1
  pairs.dispose();
  for (let i = 0; i < batch.rows; i++) {
    t.false(same[i]![i]!, 'the diagonal stays the target');
    for (let j = 0; j < batch.rows; j++) {
      if (i < batch.fullChunks * batch.chunkLength && j < batch.fullChunks * batch.chunkLength && i !== j && batch.chunkIndex[i] === batch.chunkIndex[j]) t.true(same[i]![j]!, `rows ${i}, ${j} of one chunk are one patient`);
      t.is(same[i]![j]!, i !== j && batch.records[i]!.subjectId === batch.records[j]!.subjectId);
    }
  }
  const plain = make(5);
  const excluding = new MedST(medstConfig('tiny', { ...small, seed: 5, excludeSamePatientNegatives: true, vocabSize: tokenizer.vocabSize }));
  const tensors = toTensors(batch);
  const terms = (model: MedST) => tf.tidy(() => Object.fromEntries(Object.entries(model.lossTerms({ batch, tensors, stage: allLosses, step: 0, random: new Rng(0) })).map(([k, v]) => [k, v!.dataSync()[0]!])));
  const a = terms(plain);
  const b = terms(excluding);
  t.true(b['global']! < a['global']!, `fewer negatives, lower loss (${b['global']} < ${a['global']})`);
  for (const key of ['local', 'fmc', 'rmr']) t.is(b[key], a[key], key);
  tf.dispose(Object.values(tensors));
  plain.dispose();
  excluding.dispose();
});

test.serial('lateralDropout: training hides a seeded share of the laterals, evaluation never; off by default; bad values refused', (t) => {
  // dropLaterals: per row, in order, from the source; absent laterals stay absent.
  const present = tf.tensor1d(Array.from({ length: 2000 }, (_, i) => (i % 4 === 0 ? 0 : 1)));
  const draw = () => tf.tidy(() => dropLaterals(present, 0.3, new Rng(7)).dataSync());
  const dropped = draw();
  t.deepEqual(Array.from(draw()), Array.from(dropped), 'same source, same rows');
  t.true(Array.from(dropped).every((v, i) => v <= present.dataSync()[i]!), 'never adds a lateral');
  const kept = Array.from(dropped).filter((v) => v === 1).length / 1500;
  t.true(Math.abs(kept - 0.7) < 0.04, `about 70 % of the laterals kept (${kept})`);
  present.dispose();
  t.is(medstConfig('tiny', { ...small, vocabSize: 300 }).lateralDropout, 0);
  t.throws(() => medstConfig('tiny', { ...small, lateralDropout: 1, vocabSize: 300 }), { message: /Med-ST config: lateralDropout must be in \[0, 1\), got 1/ });
  // With almost every lateral hidden, a training pass equals one whose rows have none.
  const plain = make(6);
  const dropping = new MedST(medstConfig('tiny', { ...small, seed: 6, lateralDropout: 0.999999, vocabSize: tokenizer.vocabSize }));
  const tensors = toTensors(batch);
  const noLaterals = { ...tensors, lateralPresent: tf.zerosLike(tensors.lateralPresent) };
  const global = (model: MedST, input: typeof tensors, training: boolean) => tf.tidy(() => Array.from(model.encodeImages(input, training, new Rng(1)).imageGlobal.dataSync()));
  t.deepEqual(global(dropping, tensors, true), global(plain, noLaterals, true), 'training: laterals hidden');
  t.deepEqual(global(dropping, tensors, false), global(plain, tensors, false), 'evaluation: laterals used');
  t.notDeepEqual(global(plain, tensors, true), global(plain, noLaterals, true), 'the batch has laterals that matter');
  t.is(new MedST(medstConfigFromDescription({ ...(plain.describe() as unknown as MedSTConfig), lateralDropout: undefined as unknown as number })).config.lateralDropout, 0, 'older checkpoints read as 0');
  tf.dispose([...Object.values(tensors), noLaterals.lateralPresent]);
  plain.dispose();
  dropping.dispose();
});
