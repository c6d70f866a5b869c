/**
 * IMITATE composed end to end on a small generated cohort: the loader's
 * findings and impression rows (each section cleaned on its own, absent
 * sections flagged), two augmented views and channel subsets from the step's
 * seeded source, every term finite with gradients, a frozen text encoder that
 * stays fixed, a killed run that resumes with the same losses, no tensor
 * growth over steps, and a checkpoint that evaluates through the method slot.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCohort } from '../../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import { BatchLoader, toTensors, type HostBatch } from '../../lib/data/batches.ts';
import { imageStoreDir, prepareDataset } from '../../lib/data/prepare.ts';
import { cleanedSections } from '../../lib/data/report_sections.ts';
import { createTokenizer, type WordPieceTokenizer } from '../../lib/data/tokenizer/index.ts';
import { IMITATE_SCHEDULE, Imitate, imitateConfig } from '../../lib/methods/imitate.ts';
import { createMethod, methodSchedule } from '../../lib/methods/registry.ts';
import { IMITATE_LOSS_NAMES } from '../../lib/objectives/imitate.ts';
import { runPretraining } from '../../lib/train/run.ts';
import { validateSchedule, type StageConfig } from '../../lib/train/schedule.ts';
import { Rng } from '../../lib/util/rng.ts';
import { checkRunResumeEvaluate, quickRun } from '../helpers/method_run.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

const ALL: StageConfig = { name: 'all', epochs: 1, losses: { impression: 1, findings: 1, impression_views: 1, findings_views: 1 }, chunkLength: 1, learningRate: 1e-3, warmupFraction: 0 };
let dir = '';
let batch: HostBatch;
let tokenizer: WordPieceTokenizer;
const make = (overrides: Record<string, unknown> = {}) => new Imitate(imitateConfig('quick', { seed: 1, ...overrides, vocabSize: tokenizer.vocabSize }));

test.before(async () => {
  await nativeBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-imitate-'));
  await generateCohort(resolveSynthConfig({ out: path.join(dir, 'cohort'), patients: 30, size: 128, seed: 21, workers: 0, maxStudies: 6 }));
  const prepared = await prepareDataset({ mimicRoot: path.join(dir, 'cohort'), outDir: path.join(dir, 'prepared'), size: 40 });
  tokenizer = await createTokenizer({ kind: 'corpus', corpus: prepared.records.map((r) => r.report.text), build: { vocabSize: 300 } });
  // A batch that holds reports without findings and without an impression.
  const loader = new BatchLoader(imageStoreDir(path.join(dir, 'prepared'), 40), prepared.records, tokenizer, { chunkLength: 1, chunksPerBatch: 24, crop: 32, augment: false, shuffle: true, seed: 2, maxTokens: 48, useWorker: false, lateral: false, sections: true });
  for await (const b of loader.epoch(0)) {
    if (!batch || (b.sections!.findings.present.includes(0) && b.sections!.impression.present.includes(0))) batch = b;
  }
  await loader.close();
});

test.serial('the loader gives each section as its own token rows, cleaned on its own, absent sections flagged', (t) => {
  const { findings, impression } = batch.sections!;
  const l = batch.maxTokens;
  t.true(findings.present.includes(0) && impression.present.includes(0), 'the cohort has reports without findings and without an impression');
  batch.records.forEach((record, row) => {
    const cleaned = cleanedSections(record.report);
    for (const [key, rows] of [['findings', findings], ['impression', impression]] as const) {
      t.is(rows.present[row], cleaned[key] === null ? 0 : 1, `row ${row} ${key}`);
      const ids = Array.from(rows.inputIds.subarray(row * l, (row + 1) * l)).filter((_, i) => rows.attentionMask[row * l + i] === 1);
      const expected = tokenizer.encodeBatch([cleaned[key] ?? ''], { maxLength: l, padding: 'max_length', truncation: true });
      t.deepEqual(ids, Array.from(expected.inputIds).filter((_, i) => expected.attentionMask[i] === 1), `row ${row} ${key} tokens`);
    }
  });
  // The whole report the other methods read is impression then findings.
  const row = batch.records.findIndex((r) => r.report.findings !== null && r.report.impression !== null);
  const both = cleanedSections(batch.records[row]!.report);
  t.is(batch.records[row]!.report.text, `${both.impression} ${both.findings}`);
});

test.serial('every term is finite with gradients; views and channel subsets come from the step random source', (t) => {
  const model = make();
  const tensors = toTensors(batch);
  const terms = (seed: number, stage = ALL) => tf.tidy(() => {
    const out = model.lossTerms({ batch, tensors, stage, step: 0, random: new Rng(seed) });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v!.dataSync()[0]!]));
  });
  const a = terms(1);
  t.deepEqual(Object.keys(a).sort(), [...IMITATE_LOSS_NAMES].sort());
  for (const [name, value] of Object.entries(a)) t.true(Number.isFinite(value) && value > 0, `${name} = ${value}`);
  t.deepEqual(terms(1), a, 'the same random source gives the same terms');
  const b = terms(2);
  for (const name of IMITATE_LOSS_NAMES) t.not(b[name], a[name], `${name}: other views and channels`);
  t.deepEqual(Object.keys(terms(1, { ...ALL, losses: { impression: 1, impression_views: 1 } })).sort(), ['impression', 'impression_views'], 'impression only: the findings branch does not run');
  // Wiring: marking one present findings section absent changes only the findings image–text term.
  const row = batch.sections!.findings.present.indexOf(1);
  const dropped = { ...batch, sections: { ...batch.sections!, findings: { ...batch.sections!.findings, present: Uint8Array.from(batch.sections!.findings.present, (p, i) => (i === row ? 0 : p)) } } };
  const c = tf.tidy(() => Object.fromEntries(Object.entries(model.lossTerms({ batch: dropped, tensors, stage: ALL, step: 0, random: new Rng(1) })).map(([k, v]) => [k, v!.dataSync()[0]!])));
  t.is(c['impression'], a['impression'], 'the impression term does not read the findings');
  t.is(c['impression_views'], a['impression_views']);
  t.not(c['findings'], a['findings']);
  t.is(c['findings_views'], a['findings_views'], 'the view term reads no text');
  const trainable = model.params.named({ trainableOnly: true });
  const { grads, value } = tf.variableGrads(() => {
    const out = model.lossTerms({ batch, tensors, stage: ALL, step: 0, random: new Rng(1) });
    return tf.addN(Object.values(out) as tf.Scalar[]) as tf.Scalar;
  }, trainable.map(([, v]) => v));
  const names = new Map(trainable.map(([n, v]) => [v.name, n]));
  const touched = Object.entries(grads).filter(([, g]) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) > 0).map(([k]) => names.get(k)!);
  for (const part of ['image.backbone.conv1', 'image.backbone.layer1', 'image.findings_branch.pos_embed', 'image.findings_branch.attn', 'impression_head', 'findings_head', 'text.embeddings', 'text_head']) {
    t.true(touched.some((n) => n.startsWith(part)), `${part} gets a gradient`);
  }
  tf.dispose([value, ...Object.values(grads), ...Object.values(tensors)]);
  model.dispose();
});

test.serial('a frozen text encoder stays fixed through training (AdamW weight decay included); its projection trains', async (t) => {
  const frozen = make({ freezeText: true });
  const trainable = frozen.params.named({ trainableOnly: true }).map(([n]) => n);
  t.false(trainable.some((n) => n.startsWith('text.')), 'no text encoder weight is trainable');
  t.true(trainable.some((n) => n.startsWith('text_head.')));
  t.true(frozen.params.named().some(([n]) => n.startsWith('text.embeddings')), 'the frozen weights are still saved with the model');
  frozen.dispose();
  const weightsOf = (method: { params: { named(): Array<[string, tf.Variable]> } }, prefix: string) => method.params.named().filter(([n]) => n.startsWith(prefix)).map(([n, v]) => [n, Array.from(v.dataSync())] as const);
  const initial = make({ seed: 4, freezeText: true });
  const { method } = await runPretraining(
    { method: 'imitate', data: path.join(dir, 'prepared'), vocabSize: 300, model: { preset: 'quick', overrides: { seed: 4, freezeText: true } }, stages: [{ ...ALL, epochs: 1 }], trainer: { rowsPerBatch: 8, maxTokens: 48, seed: 3, gradClipNorm: 1, checkpointEvery: 100 }, out: path.join(dir, 'frozen') },
    { log: () => {} },
  );
  t.deepEqual(weightsOf(method, 'text.'), weightsOf(initial, 'text.'), 'the text encoder is unchanged');
  t.notDeepEqual(weightsOf(method, 'text_head.fc1'), weightsOf(initial, 'text_head.fc1'), 'the shared projection trained');
  method.dispose();
  initial.dispose();
});

test.serial('evaluation is deterministic and unit-norm; probes read the pooled layer4', (t) => {
  const model = make();
  const tensors = toTensors(batch);
  const once = tf.tidy(() => model.embedImages(tensors.frontal).joint.arraySync());
  t.deepEqual(tf.tidy(() => model.embedImages(tensors.frontal).joint.arraySync()), once);
  const norms = tf.tidy(() => Array.from(tf.norm(model.embedTexts(batch), 2, -1).dataSync()));
  t.true(norms.every((n) => Math.abs(n - 1) < 1e-5));
  tf.tidy(() => {
    const pooled = tf.mean(model.image.forward(tensors.frontal, { training: false }).stages.layer4, [1, 2]);
    t.deepEqual(model.imageFeatures(tensors.frontal).arraySync(), pooled.arraySync());
    t.deepEqual(model.embedFindings(tensors.frontal).shape, [batch.rows, 32]);
  });
  tf.dispose(Object.values(tensors));
  model.dispose();
});

test.serial('schedule and config errors name the problem', (t) => {
  t.notThrows(() => validateSchedule(IMITATE_SCHEDULE, { lossNames: IMITATE_LOSS_NAMES }));
  t.deepEqual(methodSchedule('imitate'), structuredClone(IMITATE_SCHEDULE) as unknown as StageConfig[]);
  t.throws(() => validateSchedule([{ ...ALL, losses: { global: 1 } }], { lossNames: IMITATE_LOSS_NAMES }), { message: /unknown loss "global" \(this method computes: impression, findings/ });
  t.throws(() => imitateConfig('quick', { vocabSize: 10, findings: { tokenCount: 20 } }), { message: /tokenCount 20 is less than the 54 channel tokens/ });
  t.throws(() => imitateConfig('quick', { vocabSize: 10, findings: { fractions: [0.25, 0.15, 0.1, 0.001] } }), { message: /every stage must read at least one channel/ });
  t.throws(() => imitateConfig('quick', { vocabSize: 10, loss: { textTemperature: 0 } }), { message: /loss.textTemperature must be positive/ });
  t.throws(() => imitateConfig('quick', { vocabSize: 10, findings: { fractions: [0.25, 0.15, 0.1, 1.5] } }), { message: /fractions must be 4 numbers in \(0, 1\]/ });
  t.throws(() => imitateConfig('quick', { vocabSize: 10, augment: { horizontalFlip: 2 } }), { message: 'view augmentation: horizontalFlip must be a probability in [0, 1], got 2' });
  t.throws(() => imitateConfig('quick', { vocabSize: 10, augment: { perspective: { distortion: 1 } } }), { message: 'view augmentation: perspective.distortion must be in [0, 1), got 1' });
  // A partial override of the nested perspective keeps the preset's other field.
  t.deepEqual(imitateConfig('quick', { vocabSize: 10, augment: { perspective: { probability: 1 } } }).augment.perspective, { probability: 1, distortion: 0.2 });
  t.throws(() => createMethod('imitate', { preset: 'huge', vocabSize: 10 }), { message: /method "imitate" has no preset "huge" \(presets: paper, cpu, quick\)/ });
});

test.serial('an IMITATE run: killed and resumed with the same losses, flat tensor count, and its checkpoint evaluates through the slot', async (t) => {
  await checkRunResumeEvaluate(t, { dir, kind: Imitate, run: quickRun(dir, 'imitate', [{ ...ALL, epochs: 2 }]) });
});
