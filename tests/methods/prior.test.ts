/**
 * PRIOR composed end to end on a small generated cohort: local tokens in
 * raster order, sentence embeddings as means of their tokens, Gumbel noise
 * from the step's seeded source in training and none in evaluation, every
 * term finite with gradients, the stage rule, a killed run that resumes with
 * the same losses, no tensor growth over steps, and a checkpoint that
 * evaluates through the method slot.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCohort } from '../../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import { BatchLoader, toTensors, type HostBatch } from '../../lib/data/batches.ts';
import { imageStoreDir, prepareDataset } from '../../lib/data/prepare.ts';
import { sentenceTokensOf } from '../../lib/data/sentence_ids.ts';
import { createTokenizer, type WordPieceTokenizer } from '../../lib/data/tokenizer/index.ts';
import { PRIOR_LOSS_NAMES, PRIOR_SCHEDULE, Prior, priorConfig } from '../../lib/methods/prior.ts';
import { createMethod } from '../../lib/methods/registry.ts';
import { validateSchedule, type StageConfig } from '../../lib/train/schedule.ts';
import { Rng } from '../../lib/util/rng.ts';
import { checkRunResumeEvaluate, quickRun } from '../helpers/method_run.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

const ALL: StageConfig = { name: 'all', epochs: 1, losses: { global: 10, local_image: 1, local_text: 1, spb: 10, image_recon: 1, report_recon: 10, report_kl: 1, report_global: 1 }, chunkLength: 1, learningRate: 1e-3, warmupFraction: 0 };
let dir = '';
let batch: HostBatch;
let tokenizer: WordPieceTokenizer;
const make = (seed = 1) => new Prior(priorConfig('quick', { seed, vocabSize: tokenizer.vocabSize }));

test.before(async () => {
  await nativeBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-prior-'));
  await generateCohort(resolveSynthConfig({ out: path.join(dir, 'cohort'), patients: 30, size: 128, seed: 21, workers: 0, maxStudies: 6 }));
  const prepared = await prepareDataset({ mimicRoot: path.join(dir, 'cohort'), outDir: path.join(dir, 'prepared'), size: 40 });
  tokenizer = await createTokenizer({ kind: 'corpus', corpus: prepared.records.map((r) => r.report.text), build: { vocabSize: 300 } });
  const loader = new BatchLoader(imageStoreDir(path.join(dir, 'prepared'), 40), prepared.records, tokenizer, { chunkLength: 1, chunksPerBatch: 8, crop: 32, augment: false, shuffle: true, seed: 2, maxTokens: 48, useWorker: false, lateral: false, sentences: 8 });
  for await (const b of loader.epoch(0)) {
    batch = b;
    break;
  }
  await loader.close();
});

test.serial('the loader gives each token its sentence, ending sentences at their period', (t) => {
  const ids = batch.sentenceIds!;
  const l = batch.maxTokens;
  const { boundary } = sentenceTokensOf(tokenizer);
  for (let b = 0; b < batch.rows; b++) {
    const row = Array.from({ length: l }, (_, i) => i);
    const periods = row.filter((i) => boundary.has(batch.inputIds[b * l + i]!) && batch.attentionMask[b * l + i] === 1);
    const sentences = batch.records[b]!.report.text.split(/(?<=\.) /);
    t.true(periods.length >= 1, `row ${b} has a whole sentence within ${l} tokens`);
    t.is(ids[b * l], -1, '[CLS] belongs to no sentence');
    // Each sentence that fits is exactly the report's sentence, period included.
    periods.slice(0, 8).forEach((_, k) => {
      const pieces = row.filter((i) => ids[b * l + i] === k).map((i) => tokenizer.idToToken(batch.inputIds[b * l + i]!));
      t.deepEqual(pieces, tokenizer.tokenize(sentences[k]!), `row ${b}, sentence ${k}`);
    });
  }
});

test.serial('local tokens are the layer4 map in raster order; sentences are the means of their projected tokens', (t) => {
  const model = make();
  const tensors = toTensors(batch);
  tf.tidy(() => {
    const map = model.image.forward(tensors.frontal, { training: false }).stages.layer4; // [B, g, g, C]
    const { features, grid } = model.denseFeatures(tensors.frontal);
    t.is(grid, 2);
    const tokens = features.arraySync() as number[][][];
    const cells = map.arraySync() as number[][][][];
    for (const [y, x] of [[0, 1], [1, 0], [1, 1]]) t.deepEqual(tokens[0]![y! * grid + x!], cells[0]![y!]![x!], `token ${y! * grid + x!} is cell (${y}, ${x})`);
    // Sentence s of row 0 = the mean of the projected tokens with sentence id s.
    const { sentences, sentenceMask } = model.sentenceEmbeddings(batch);
    const hidden = model.text.hiddenStates({ inputIds: batch.inputIds, attentionMask: batch.attentionMask, batchSize: batch.rows, seqLength: batch.maxTokens });
    const projected = (tf.add(tf.matMul(tf.reshape(hidden, [-1, hidden.shape[2]]), model.tokenProjection.weight), model.tokenProjection.bias!).arraySync() as number[][]).slice(0, batch.maxTokens);
    const ids = Array.from(batch.sentenceIds!.subarray(0, batch.maxTokens));
    const own = (sentences.arraySync() as number[][][])[0]!;
    const mask = (sentenceMask.arraySync() as number[][])[0]!;
    for (let s = 0; s < 8; s++) {
      const members = ids.map((id, i) => (id === s ? i : -1)).filter((i) => i >= 0);
      t.is(mask[s], members.length > 0 ? 1 : 0);
      if (members.length === 0) continue;
      const mean = projected[0]!.map((_, k) => members.reduce((sum, i) => sum + projected[i]![k]!, 0) / members.length);
      t.true(mean.every((v, k) => Math.abs(v - own[s]![k]!) < 1e-5), `sentence ${s}`);
    }
  });
  tf.dispose(Object.values(tensors));
  model.dispose();
});

test.serial('every term is finite with gradients for the parameters it uses; Gumbel noise comes from the step random source', (t) => {
  const model = make();
  const tensors = toTensors(batch);
  const terms = (seed: number) => tf.tidy(() => {
    const out = model.lossTerms({ batch, tensors, stage: ALL, step: 0, random: new Rng(seed) });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v!.dataSync()[0]!]));
  });
  t.is(model.prototypesTrained.dataSync()[0], 0);
  const a = terms(1);
  t.deepEqual(Object.keys(a).sort(), [...PRIOR_LOSS_NAMES].sort());
  for (const [name, value] of Object.entries(a)) t.true(Number.isFinite(value), `${name} = ${value}`);
  t.is(model.prototypesTrained.dataSync()[0], 1, 'a step with the bank marks it trained');
  t.deepEqual(terms(1), a, 'the same random source gives the same terms');
  const b = terms(2);
  t.not(b['spb'], a['spb'], 'different Gumbel noise');
  t.not(b['image_recon'], a['image_recon'], 'different channel dropout');
  const withoutBank = { ...ALL, losses: { global: 1, local_text: 1 } };
  const globalAt = (seed: number) => tf.tidy(() => model.lossTerms({ batch, tensors, stage: withoutBank, step: 0, random: new Rng(seed) }).global!.dataSync()[0]);
  t.is(globalAt(1), globalAt(2), 'without the bank nothing draws noise');
  const trainable = model.params.named({ trainableOnly: true });
  const { grads, value } = tf.variableGrads(() => {
    const out = model.lossTerms({ batch, tensors, stage: ALL, step: 0, random: new Rng(1) });
    return tf.addN(Object.values(out) as tf.Scalar[]) as tf.Scalar;
  }, trainable.map(([, v]) => v));
  const names = new Map(trainable.map(([n, v]) => [v.name, n]));
  const touched = Object.entries(grads).filter(([, g]) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) > 0).map(([k]) => names.get(k)!);
  for (const part of ['image.backbone.conv1', 'image.attnpool', 'text.embeddings', 'token_projection', 'sentence_pool', 't2i', 'i2t', 'predictor', 'global_logit_scale', 'local_logit_scale', 'prototypes', 'image_decoder', 'report_decoder']) {
    t.true(touched.some((n) => n.startsWith(part)), `${part} gets a gradient`);
  }
  tf.dispose([value, ...Object.values(grads), ...Object.values(tensors)]);
  model.dispose();
});

test.serial('evaluation is deterministic: no Gumbel noise, prototypes only once trained', (t) => {
  const model = make();
  const raw = tf.tidy(() => model.embedTexts(batch).arraySync());
  model.prototypesTrained.assign(tf.scalar(1));
  const once = tf.tidy(() => model.embedTexts(batch).arraySync());
  const twice = tf.tidy(() => model.embedTexts(batch).arraySync());
  t.deepEqual(once, twice);
  t.notDeepEqual(once, raw, 'a trained bank quantises the sentences');
  const norms = tf.tidy(() => Array.from(tf.norm(model.embedTexts(batch), 2, -1).dataSync()));
  t.true(norms.every((n) => Math.abs(n - 1) < 1e-5));
  model.dispose();
});

test.serial('schedule rules and config errors name the problem', (t) => {
  t.notThrows(() => validateSchedule(PRIOR_SCHEDULE, { lossNames: PRIOR_LOSS_NAMES, checkStage: (s) => make().checkStage(s) }));
  const model = make();
  t.throws(() => validateSchedule([{ ...ALL, losses: { global: 1, report_recon: 1 } }], { lossNames: model.lossNames, checkStage: (s) => model.checkStage(s) }), { message: /switch spb on in the same stage/ });
  t.throws(() => validateSchedule([{ ...ALL, losses: { local: 1 } }], { lossNames: model.lossNames }), { message: /unknown loss "local" \(this method computes: global, local_image/ });
  model.dispose();
  t.throws(() => priorConfig('quick', { vocabSize: 10, embedWidth: 30 }), { message: /embedWidth 30 is not divisible by poolHeads 4/ });
  t.throws(() => priorConfig('quick', { vocabSize: 10, vision: { imageSize: 40 } }), { message: /imageSize 40 is not a multiple of the total stride 16/ });
  t.throws(() => createMethod('prior', { preset: 'huge', vocabSize: 10 }), { message: /method "prior" has no preset "huge" \(presets: paper, cpu, quick\)/ });
});

test.serial('a PRIOR run: killed and resumed with the same losses, flat tensor count, and its checkpoint evaluates through the slot', async (t) => {
  await checkRunResumeEvaluate(t, { dir, kind: Prior, run: quickRun(dir, 'prior', [
      { name: 'align', epochs: 1, losses: { global: 1, local_image: 1, local_text: 1 }, chunkLength: 1, learningRate: 1e-3, warmupFraction: 0 },
      { ...ALL, name: 'all', epochs: 1 },
    ]) });
});
