/**
 * MPMA composed end to end on a small generated cohort: masks from the step's
 * seeded source, every term finite with gradients into every part it should
 * reach, masked pixels never reaching the encoder, the memory slots read only
 * by report reconstruction, reconstructions for notebooks, config errors, and
 * a killed run that resumes with the same losses and evaluates through the slot.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCohort } from '../../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import { BatchLoader, toTensors, type HostBatch } from '../../lib/data/batches.ts';
import { imageStoreDir, prepareDataset } from '../../lib/data/prepare.ts';
import { createTokenizer, type WordPieceTokenizer } from '../../lib/data/tokenizer/index.ts';
import { MPMA_LOSS_NAMES, MPMA_SCHEDULE, Mpma, mpmaConfig } from '../../lib/methods/mpma.ts';
import { createMethod, methodSchedule } from '../../lib/methods/registry.ts';
import { validateSchedule, type StageConfig } from '../../lib/train/schedule.ts';
import { Rng } from '../../lib/util/rng.ts';
import { checkRunResumeEvaluate, quickRun } from '../helpers/method_run.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

const ALL: StageConfig = { name: 'all', epochs: 1, losses: { global: 1, local: 1, mim: 1, mlm: 1 }, chunkLength: 1, learningRate: 1e-3, warmupFraction: 0 };
let dir = '';
let batch: HostBatch;
let tokenizer: WordPieceTokenizer;
const make = (overrides: Record<string, unknown> = {}) => new Mpma(mpmaConfig('quick', { seed: 1, ...overrides, vocabSize: tokenizer.vocabSize, specialTokenIds: tokenizer.specialTokenIds }));
const valuesOf = (terms: Record<string, tf.Scalar | undefined>) => Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, v!.dataSync()[0]!]));

test.before(async () => {
  await nativeBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-mpma-'));
  await generateCohort(resolveSynthConfig({ out: path.join(dir, 'cohort'), patients: 30, size: 128, seed: 22, workers: 0, maxStudies: 6 }));
  const prepared = await prepareDataset({ mimicRoot: path.join(dir, 'cohort'), outDir: path.join(dir, 'prepared'), size: 40 });
  tokenizer = await createTokenizer({ kind: 'corpus', corpus: prepared.records.map((r) => r.report.text), build: { vocabSize: 300 } });
  const loader = new BatchLoader(imageStoreDir(path.join(dir, 'prepared'), 40), prepared.records, tokenizer, { chunkLength: 1, chunksPerBatch: 12, crop: 32, augment: false, shuffle: true, seed: 2, maxTokens: 48, useWorker: false, lateral: false });
  for await (const b of loader.epoch(0)) {
    batch ??= b;
  }
  await loader.close();
});

test.serial('every term is finite with gradients; masks come from the step random source', (t) => {
  const model = make();
  const tensors = toTensors(batch);
  const terms = (seed: number, stage = ALL) => tf.tidy(() => valuesOf(model.lossTerms({ batch, tensors, stage, step: 0, random: new Rng(seed) })));
  const a = terms(1);
  t.deepEqual(Object.keys(a).sort(), [...MPMA_LOSS_NAMES].sort());
  for (const [name, value] of Object.entries(a)) t.true(Number.isFinite(value) && value > 0, `${name} = ${value}`);
  // An untrained MLM head is near uniform over the vocabulary.
  t.true(Math.abs(a['mlm']! - Math.log(tokenizer.vocabSize)) < 0.5, `mlm ${a['mlm']} vs ln V ${Math.log(tokenizer.vocabSize)}`);
  t.deepEqual(terms(1), a, 'the same random source gives the same terms');
  const b = terms(2);
  t.is(b['global'], a['global'], 'GLA reads unmasked pairs');
  t.is(b['local'], a['local']);
  t.not(b['mim'], a['mim'], 'other patches masked');
  t.not(b['mlm'], a['mlm'], 'other tokens masked');
  t.deepEqual(Object.keys(terms(1, { ...ALL, losses: { mim: 1, mlm: 1 } })).sort(), ['mim', 'mlm'], 'without GLA');
  const trainable = model.params.named({ trainableOnly: true });
  const { grads, value } = tf.variableGrads(() => tf.addN(Object.values(model.lossTerms({ batch, tensors, stage: ALL, step: 0, random: new Rng(1) })) as tf.Scalar[]) as tf.Scalar, trainable.map(([, v]) => v));
  const names = new Map(trainable.map(([n, v]) => [v.name, n]));
  const touched = Object.entries(grads).filter(([, g]) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) > 0).map(([k]) => names.get(k)!);
  for (const part of ['image.patch_embed', 'image.blocks.0', 'text.embeddings', 'image_global_head', 'text_local_head', 'local_weighting', 'visual_to_fusion', 'text_to_fusion', 'text_fusion.memory', 'text_fusion.layers.0', 'mlm_head.decoder', 'pixel_decoder.mask_token', 'pixel_decoder.fusion.layers.0', 'pixel_decoder.blocks.0', 'pixel_decoder.predict']) {
    t.true(touched.some((n) => n.startsWith(part)), `${part} gets a gradient`);
  }
  tf.dispose([value, ...Object.values(grads)]);
  // The memory slots feed report reconstruction only: the pixel loss has no path to them.
  t.throws(() => tf.variableGrads(() => tf.tidy(() => model.lossTerms({ batch, tensors, stage: { ...ALL, losses: { global: 1, local: 1, mim: 1 } }, step: 0, random: new Rng(1) }).mim!), [model.textFusion.memory!]), { message: /Cannot find a connection between any variable and the result/ });
  tf.dispose(Object.values(tensors));
  model.dispose();
});

test.serial('masked pixels never reach the encoder: changing them changes only the reconstruction target', (t) => {
  const model = make();
  const tensors = toTensors(batch);
  const masks = model.drawMasks(batch, new Rng(5));
  // Replace every masked patch's pixels with noise; the visible patches are untouched.
  const c = batch.crop;
  const p = model.image.config.patchSize;
  const g = c / p;
  const noisy = Float32Array.from(batch.frontal);
  const noise = new Rng(9);
  for (let r = 0; r < batch.rows; r++) {
    for (let y = 0; y < c; y++) for (let x = 0; x < c; x++) if (masks.patches.masked[r * g * g + Math.floor(y / p) * g + Math.floor(x / p)] === 1) noisy[(r * c + y) * c + x] = noise.uniform();
  }
  const noisyTensors = { ...tensors, frontal: tf.tensor4d(noisy, tensors.frontal.shape) };
  const stage = { ...ALL, losses: { mim: 1, mlm: 1 } };
  const at = (input: typeof tensors) => tf.tidy(() => valuesOf(model.lossTerms({ batch, tensors: input, stage, step: 0, random: new Rng(5) })));
  const clean = at(tensors);
  const changed = at(noisyTensors);
  t.is(changed['mlm'], clean['mlm'], 'report reconstruction reads only visible patches');
  t.not(changed['mim'], clean['mim'], 'the target of the masked patches changed');
  tf.dispose([...Object.values(tensors), noisyTensors.frontal]);
  model.dispose();
});

test.serial('the memory slots are an ablation switch; reconstructions for notebooks', (t) => {
  const plain = make({ fusion: { memorySlots: 0 } });
  t.is(plain.textFusion.memory, null);
  t.false(plain.params.named().some(([n]) => n.includes('memory')));
  plain.dispose();
  const model = make();
  const tensors = toTensors(batch);
  const before = tf.memory().numTensors;
  const shown = model.reconstructPairs(tensors.frontal, batch, new Rng(3));
  t.is(tf.memory().numTensors, before);
  const c = batch.crop;
  const g = c / model.image.config.patchSize;
  t.is(shown.reconstructed.length, batch.rows * c * c);
  t.is(shown.patchMask.filter((m) => m === 1).length, batch.rows * (g * g - Math.floor(g * g * 0.25)));
  // Visible patches are the original's in the reconstruction; masked ones are zero in the masked input.
  for (let i = 0; i < c * c; i++) {
    const patch = Math.floor(Math.floor(i / c) / model.image.config.patchSize) * g + Math.floor((i % c) / model.image.config.patchSize);
    if (shown.patchMask[patch] === 0) t.is(shown.reconstructed[i], shown.original[i]);
    else t.true(shown.masked[i] === 0, `pixel ${i}`);
  }
  const chosen = Array.from(shown.labels).map((l, i) => [l, i] as const).filter(([l]) => l >= 0);
  t.true(chosen.length >= batch.rows, 'every report has a chosen token');
  for (const [, i] of chosen) t.true(shown.predictedIds[i]! >= 0 && shown.predictedIds[i]! < tokenizer.vocabSize);
  tf.dispose(Object.values(tensors));
  model.dispose();
});

test.serial('schedule and config errors name the problem', (t) => {
  t.notThrows(() => validateSchedule(MPMA_SCHEDULE, { lossNames: MPMA_LOSS_NAMES }));
  t.deepEqual(methodSchedule('mpma'), structuredClone(MPMA_SCHEDULE) as unknown as StageConfig[]);
  t.throws(() => validateSchedule([{ ...ALL, losses: { fmc: 1 } }], { lossNames: MPMA_LOSS_NAMES }), { message: /unknown loss "fmc" \(this method computes: global, local, mim, mlm/ });
  t.throws(() => mpmaConfig('quick', { vocabSize: 300, masking: { imageRatio: 1 } }), { message: 'MPMA config: masking.imageRatio must be in [0, 1), got 1' });
  t.throws(() => mpmaConfig('quick', { vocabSize: 300, masking: { textRatio: 0 } }), { message: 'MPMA config: masking.textRatio must be in (0, 1), got 0' });
  t.throws(() => mpmaConfig('quick', { vocabSize: 300, fusion: { width: 30, heads: 4 } }), { message: 'MPMA config: fusion.width 30 is not divisible by fusion.heads 4' });
  t.throws(() => mpmaConfig('quick', { vocabSize: 300, fusion: { memorySlots: -1 } }), { message: /fusion.memorySlots must be a non-negative integer/ });
  t.throws(() => mpmaConfig('quick', { vocabSize: 3, specialTokenIds: tokenizer.specialTokenIds }), { message: /tokens.mask must be an id below the vocabulary size 3/ });
  t.deepEqual(mpmaConfig('quick', { vocabSize: 300, specialTokenIds: { ...tokenizer.specialTokenIds, mask: 7 } }).tokens.mask, 7, 'the tokenizer gives the [MASK] id');
  t.throws(() => createMethod('mpma', { preset: 'huge', vocabSize: 10 }), { message: /method "mpma" has no preset "huge" \(presets: cpu, quick, paper\)/ });
});

test.serial('an MPMA run: killed and resumed with the same losses, flat tensor count, and its checkpoint evaluates through the slot', async (t) => {
  await checkRunResumeEvaluate(t, { dir, kind: Mpma, run: quickRun(dir, 'mpma', [{ ...ALL, epochs: 2 }]) });
});
