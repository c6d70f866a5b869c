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
import { MedST, medstConfig } from '../../lib/methods/medst.ts';
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
