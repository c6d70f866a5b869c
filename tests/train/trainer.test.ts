/**
 * The trainer with a small method on a generated cohort: losses fall, a killed
 * run resumes with exactly the losses of an uninterrupted one, no tensor leaks,
 * and non-finite steps are skipped, logged and eventually stop the run.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCohort } from '../../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import type { ManifestRecord } from '../../lib/data/manifest.ts';
import { imageStoreDir, prepareDataset } from '../../lib/data/prepare.ts';
import { createTokenizer } from '../../lib/data/tokenizer/index.ts';
import type { LossTerms, PretrainingMethod, StepInput, TextInput } from '../../lib/methods/method.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { fmcLoss, globalContrastiveLoss } from '../../lib/objectives/index.ts';
import { latestCheckpoint } from '../../lib/train/checkpoint.ts';
import { createMethod, registerMethod } from '../../lib/methods/registry.ts';
import { loadFrozenModel } from '../../lib/eval/embed.ts';
import { fineTuneProbe } from '../../lib/eval/fine_tune.ts';
import { evaluateSuite } from '../../lib/eval/suite.ts';
import { finalModelDir, runPretraining } from '../../lib/train/run.ts';
import { interruptOnSigint } from '../../lib/train/interrupt.ts';
import { readMetrics, train, TrainingInterrupted, type TrainerConfig, type TrainingData } from '../../lib/train/trainer.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

/**
 * The test suite's fake method, in the same slot as Med-ST and PRIOR:
 * mean-pooled image patches and mean token embeddings, each projected to d;
 * global + FMC losses.
 */
export class TinyMethod implements PretrainingMethod {
  readonly name = 'tiny-test';
  readonly lossNames = ['global', 'fmc'];
  readonly inputSize = 32;
  readonly batchContents = { lateral: false, sentences: 0 };
  readonly featureWidth = 16;
  readonly embeddingWidth = 16;
  readonly params: ParameterSet;
  readonly imageParams: ParameterSet;
  poison = false;
  constructor(
    readonly seed: number,
    readonly vocab: number,
  ) {
    this.params = new ParameterSet(seed);
    this.imageParams = this.params.child('image');
    this.imageParams.create('weight', [64, 16], { kind: 'glorotUniform', fanIn: 64, fanOut: 16 });
    this.params.create('text.embedding', [vocab, 16], { kind: 'normal', std: 0.1 });
    this.params.create('text.weight', [16, 16], { kind: 'glorotUniform', fanIn: 16, fanOut: 16 });
  }
  imageFeatures(frontal: tf.Tensor4D): tf.Tensor2D {
    return tf.matMul(tf.reshape(tf.avgPool(frontal, 4, 4, 'valid'), [frontal.shape[0], 64]), this.params.get('image.weight')) as tf.Tensor2D;
  }
  embedImages(frontal: tf.Tensor4D) {
    const features = this.imageFeatures(frontal);
    return { features, joint: tf.tidy(() => tf.div(features, tf.norm(features, 2, -1, true)) as tf.Tensor2D) };
  }
  embedTexts(text: TextInput): tf.Tensor2D {
    return tf.tidy(() => {
      const mask = tf.expandDims(tf.tensor2d(Float32Array.from(text.attentionMask), [text.rows, text.maxTokens]), 2);
      const tokens = tf.sum(tf.mul(tf.gather(this.params.get('text.embedding'), tf.tensor2d(text.inputIds, [text.rows, text.maxTokens], 'int32')), mask), 1);
      const pooled = tf.matMul(tf.div(tokens, tf.sum(mask, 1)), this.params.get('text.weight'));
      return tf.div(pooled, tf.norm(pooled, 2, -1, true)) as tf.Tensor2D;
    });
  }
  denseFeatures(frontal: tf.Tensor4D) {
    return { features: tf.tidy(() => tf.reshape(tf.avgPool(frontal, 4, 4, 'valid'), [frontal.shape[0], 64, 1]) as tf.Tensor3D), grid: 8 };
  }
  /** (step, first random draw) of every lossTerms call: the step context the trainer hands over. */
  readonly draws: Array<[number, number]> = [];
  lossTerms({ batch, tensors, step, random }: StepInput): LossTerms {
    this.draws.push([step, random.uniform()]);
    const image = tf.matMul(tf.reshape(tf.avgPool(tensors.frontal, 4, 4, 'valid'), [batch.rows, 64]), this.params.get('image.weight'));
    const mask = tf.expandDims(tf.cast(tensors.attentionMask, 'float32'), 2);
    const tokens = tf.sum(tf.mul(tf.gather(this.params.get('text.embedding'), tensors.inputIds), mask), 1);
    const text = tf.matMul(tf.div(tokens, tf.sum(mask, 1)), this.params.get('text.weight'));
    const terms: LossTerms = { global: globalContrastiveLoss(image as tf.Tensor2D, text as tf.Tensor2D, { temperature: 0.5 }).loss };
    if (batch.fullChunks > 0) {
      const rows = batch.fullChunks * batch.chunkLength;
      const norm = (x: tf.Tensor) => tf.div(x, tf.norm(x, 2, -1, true));
      const u = tf.reshape(norm(tf.slice(image, [0, 0], [rows, 16])), [batch.fullChunks, batch.chunkLength, 16]) as tf.Tensor3D;
      const v = tf.reshape(norm(tf.slice(text, [0, 0], [rows, 16])), [batch.fullChunks, batch.chunkLength, 16]) as tf.Tensor3D;
      terms.fmc = fmcLoss(u, v, { temperature: 0.1 });
    }
    if (this.poison) terms.global = tf.mul(terms.global!, NaN) as tf.Scalar;
    return terms;
  }
  describe() {
    return { method: this.name, seed: this.seed, vocab: this.vocab };
  }
  dispose() {
    this.params.dispose();
  }
}

let data: TrainingData;
let workDir = '';
const config: TrainerConfig = {
  stages: [
    { name: 'global', epochs: 2, losses: { global: 1 }, chunkLength: 2, learningRate: 3e-2, warmupFraction: 0.2 },
    { name: 'global+fmc', epochs: 2, losses: { global: 1, fmc: 1 }, chunkLength: 3, learningRate: 3e-2, warmupFraction: 0.2 },
  ],
  chunksPerBatch: 3,
  crop: 32,
  maxTokens: 32,
  seed: 3,
  gradClipNorm: 1,
  checkpointEvery: 4,
};

test.before(async () => {
  await nativeBackend();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-trainer-'));
  await generateCohort(resolveSynthConfig({ out: path.join(workDir, 'cohort'), patients: 10, size: 128, seed: 9, workers: 0 }));
  const prepared = await prepareDataset({ mimicRoot: path.join(workDir, 'cohort'), outDir: path.join(workDir, 'prepared'), size: 40 });
  const records: ManifestRecord[] = prepared.records;
  const tokenizer = await createTokenizer({ kind: 'corpus', corpus: records.map((r) => r.report.text), build: { vocabSize: 300 } });
  data = { storeDir: imageStoreDir(path.join(workDir, 'prepared'), 40), records, tokenizer };
});

const quiet = { log: () => {} };

test.serial('a run trains through every stage, logs metrics, and its loss falls', async (t) => {
  const method = new TinyMethod(1, data.tokenizer.vocabSize);
  const runDir = path.join(workDir, 'run-full');
  const before = tf.memory().numTensors;
  const result = await train(method, data, config, runDir, quiet);
  t.true(result.finished);
  t.is(tf.memory().numTensors, before, 'no tensor leaks across the whole run');
  const metrics = readMetrics(runDir);
  t.is(metrics.length, result.steps.length);
  t.deepEqual([...new Set(metrics.map((m) => m.stageName))], ['global', 'global+fmc']);
  t.true(metrics.filter((m) => m.stage === 1).some((m) => m.terms.fmc !== undefined), 'the second stage adds FMC');
  t.true(metrics.filter((m) => m.stage === 0).every((m) => m.terms.fmc === undefined), 'the first stage has no FMC');
  const first = metrics.filter((m) => m.stage === 0).slice(0, 3).reduce((a, m) => a + m.terms.global!, 0);
  const last = metrics.filter((m) => m.stage === 0).slice(-3).reduce((a, m) => a + m.terms.global!, 0);
  t.true(last < first, `global loss falls in stage 1 (${first / 3} → ${last / 3})`);
  t.truthy(latestCheckpoint(runDir));
  method.dispose();
});

test.serial('a killed run resumes from its last checkpoint with exactly the same losses', async (t) => {
  const reference = readMetrics(path.join(workDir, 'run-full'));
  const runDir = path.join(workDir, 'run-killed');
  const first = new TinyMethod(1, data.tokenizer.vocabSize);
  // Killed after 6 steps: the checkpoint of step 4 survives, steps 5–6 are lost.
  const stopped = await train(first, data, config, runDir, { ...quiet, stopAfterSteps: 6 });
  t.false(stopped.finished);
  first.dispose();
  const second = new TinyMethod(777, data.tokenizer.vocabSize); // different init: everything must come from the checkpoint
  const resumed = await train(second, data, config, runDir, quiet);
  t.true(resumed.finished);
  t.regex(resumed.resumedFrom!, /step-00000004$/);
  t.is(resumed.steps[0]!.step, 4);
  const metrics = readMetrics(runDir);
  t.deepEqual(metrics.map((m) => m.step), reference.map((m) => m.step), 'the log has every step once');
  t.deepEqual(metrics.map((m) => m.loss), reference.map((m) => m.loss), 'identical losses after resume');
  t.deepEqual(metrics.map((m) => m.terms), reference.map((m) => m.terms));
  second.dispose();
});

test.serial('a run folder resumes only with the model and schedule it was started with, and the error names the field', async (t) => {
  const runDir = path.join(workDir, 'run-changed');
  const first = new TinyMethod(1, data.tokenizer.vocabSize);
  t.false((await train(first, data, config, runDir, { ...quiet, stopAfterSteps: 5 })).finished);
  first.dispose();
  const edited: TrainerConfig = { ...config, stages: [config.stages[0]!, { ...config.stages[1]!, losses: { global: 1, fmc: 2 } }] };
  const second = new TinyMethod(2, data.tokenizer.vocabSize);
  await t.throwsAsync(train(second, data, edited, runDir, quiet), { message: /run-changed\/checkpoints\/step-00000004: this run folder was started with another schedule \(stages\[1\]\.losses\.fmc: 1 then, 2 now\)/ });
  class Wider extends TinyMethod {
    override describe() {
      return { ...super.describe(), width: 32 };
    }
  }
  const wider = new Wider(1, data.tokenizer.vocabSize);
  await t.throwsAsync(train(wider, data, config, runDir, quiet), { message: /started with another model \(width: absent then, 32 now\)/ });
  wider.dispose();
  // Another initial seed is not another model (the weights come from the checkpoint), and the original config resumes.
  t.true((await train(second, data, config, runDir, quiet)).finished);
  second.dispose();
});

test.serial('a kill mid-line in metrics.jsonl or mid-checkpoint-save does not block the resume, which says what it repaired', async (t) => {
  const reference = readMetrics(path.join(workDir, 'run-full'));
  const runDir = path.join(workDir, 'run-torn');
  const first = new TinyMethod(1, data.tokenizer.vocabSize);
  t.false((await train(first, data, config, runDir, { ...quiet, stopAfterSteps: 6 })).finished);
  first.dispose();
  // The kill came while a step record was being written, and while step 8's checkpoint was being saved.
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  fs.appendFileSync(metricsFile, '{"step":6,"stage":0,"lo');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  const abandoned = path.join(runDir, 'checkpoints', `step-00000008.tmp-${dead}`);
  fs.mkdirSync(abandoned);
  fs.writeFileSync(path.join(abandoned, 'model.safetensors'), 'half');
  // A save in progress by a live process is left alone.
  const live = path.join(runDir, 'checkpoints', `step-00000008.tmp-${process.ppid}`);
  fs.mkdirSync(live);
  t.deepEqual(readMetrics(runDir).map((m) => m.step), [0, 1, 2, 3, 4, 5], 'a reader skips the half-written last line');
  const lines: string[] = [];
  const second = new TinyMethod(777, data.tokenizer.vocabSize);
  const resumed = await train(second, data, config, runDir, { log: (line) => lines.push(line) });
  second.dispose();
  t.true(resumed.finished);
  t.true(lines.some((line) => line === `removed step-00000008.tmp-${dead}: a checkpoint save that a killed run never finished`));
  t.true(lines.some((line) => line.endsWith('metrics.jsonl: dropped line 7, a step record left half-written when the run stopped')), lines.join('\n'));
  t.false(fs.existsSync(abandoned));
  t.true(fs.existsSync(live));
  fs.rmSync(live, { recursive: true });
  t.deepEqual(readMetrics(runDir).map((m) => m.loss), reference.map((m) => m.loss), 'the same losses as an uninterrupted run');
  // A damaged line before the end is not a torn write: readers name it.
  fs.writeFileSync(metricsFile, '{"step":0}\nnot json\n{"step":1}\n');
  t.throws(() => readMetrics(runDir), { message: new RegExp(`metrics\\.jsonl: line 2 is not a step record`) });
});

test.serial('an interrupt stops before the next step with a checkpoint there; running again resumes to the same losses', async (t) => {
  const reference = readMetrics(path.join(workDir, 'run-full'));
  const runDir = path.join(workDir, 'run-interrupted');
  const controller = new AbortController();
  const first = new TinyMethod(1, data.tokenizer.vocabSize);
  const before = tf.memory().numTensors;
  const error = await t.throwsAsync(
    train(first, data, config, runDir, { ...quiet, signal: controller.signal, onStep: (r) => { if (r.step === 6) controller.abort(); } }),
    { instanceOf: TrainingInterrupted },
  );
  t.is(error!.position.step, 7, 'step 6 finished, step 7 never started');
  t.regex(error!.checkpoint, /step-00000007$/);
  t.regex(error!.message, /training interrupted at step 7 .*run again to resume/);
  t.is(latestCheckpoint(runDir), error!.checkpoint);
  t.is(tf.memory().numTensors, before, 'no tensors left behind by the interrupted step');
  first.dispose();
  const second = new TinyMethod(777, data.tokenizer.vocabSize);
  const resumed = await train(second, data, config, runDir, quiet);
  second.dispose();
  t.is(resumed.steps[0]!.step, 7);
  t.deepEqual(readMetrics(runDir).map((m) => m.loss), reference.map((m) => m.loss));
});

test.serial('interruptOnSigint: SIGINT aborts the signal once; released, it no longer listens', (t) => {
  const listeners = process.listenerCount('SIGINT');
  const lines: string[] = [];
  const interrupt = interruptOnSigint({ exitOnSecond: false, log: (line) => lines.push(line) });
  t.is(process.listenerCount('SIGINT'), listeners + 1);
  t.false(interrupt.signal.aborted);
  process.emit('SIGINT');
  t.true(interrupt.signal.aborted);
  process.emit('SIGINT'); // a second one in a notebook: nothing more happens
  t.is(lines.length, 1);
  interrupt.release();
  t.is(process.listenerCount('SIGINT'), listeners);
});

test.serial('the method slot: a method registered by name trains through it; steps get their index and a seeded random source', async (t) => {
  const entry = { name: 'tiny-test', presets: ['default'], create: ({ vocabSize }: { vocabSize: number }) => new TinyMethod(1, vocabSize), rules: { lossNames: ['global', 'fmc'] }, schedule: config.stages, restore: (d: Record<string, unknown>) => new TinyMethod(d['seed'] as number, d['vocab'] as number) };
  registerMethod(entry);
  t.throws(() => registerMethod(entry), { message: /already registered/ });
  t.throws(() => createMethod('nope', { preset: 'default', vocabSize: 10 }), { message: /unknown method "nope" \(known: medst, .*tiny-test/ });
  t.throws(() => createMethod('tiny-test', { preset: 'big', vocabSize: 10 }), { message: /has no preset "big" \(presets: default\)/ });
  const method = createMethod('tiny-test', { preset: 'default', vocabSize: data.tokenizer.vocabSize }) as TinyMethod;
  // The schedule is checked against the method's own loss names.
  const wrong = { ...config, stages: [{ ...config.stages[0]!, losses: { rmr: 1 } }] };
  await t.throwsAsync(train(method, data, wrong, path.join(workDir, 'run-slot-wrong'), quiet), { message: /unknown loss "rmr" \(this method computes: global, fmc\)/ });
  // One source for the crop: the model's input size.
  await t.throwsAsync(train(method, data, { ...config, crop: 40 }, path.join(workDir, 'run-slot-crop'), quiet), { message: /crop 40 does not match the model's input size 32/ });
  const first = await train(method, data, config, path.join(workDir, 'run-slot'), quiet);
  t.true(first.finished);
  t.deepEqual(method.draws.map(([step]) => step), first.steps.map((s) => s.step), 'each step sees its own index');
  // The same run again draws the same numbers at the same steps; the draws differ between steps.
  const again = createMethod('tiny-test', { preset: 'default', vocabSize: data.tokenizer.vocabSize }) as TinyMethod;
  await train(again, data, config, path.join(workDir, 'run-slot-again'), quiet);
  t.deepEqual(again.draws, method.draws);
  t.true(new Set(method.draws.map(([, u]) => u)).size > method.draws.length / 2);
  method.dispose();
  again.dispose();
});

test.serial('the method slot: pretrain, evaluate and fine-tune take the registered fake method like any other', async (t) => {
  // Registered by the test above (ava runs serial tests in order).
  const out = path.join(workDir, 'run-slot-pretrain');
  const run = { method: 'tiny-test', data: path.join(workDir, 'prepared'), vocabSize: 300, model: { preset: 'default' }, trainer: { chunksPerBatch: 3, maxTokens: 32, seed: 3, gradClipNorm: 1, checkpointEvery: 100 }, out };
  const { method, result } = await runPretraining(run, quiet);
  t.true(result.finished);
  t.is(result.steps.length > 0, true);
  t.deepEqual(result.steps.map((s) => s.stageName).filter((n, i, all) => all.indexOf(n) === i), ['global', 'global+fmc'], "a config without stages trains the method's own schedule");
  const final = finalModelDir(out);
  t.is(JSON.parse(fs.readFileSync(path.join(final, 'config.json'), 'utf8')).method, 'tiny-test', 'the checkpoint says which method built it');
  t.is(JSON.parse(fs.readFileSync(path.join(final, 'run.json'), 'utf8')).method, 'tiny-test');
  const model = await loadFrozenModel(final, { maxTokens: 32 });
  t.true(model.method instanceof TinyMethod);
  t.deepEqual(Array.from(model.method.params.get('image.weight').dataSync()), Array.from(method.params.get('image.weight').dataSync()), 'the trained weights come back');
  method.dispose();
  const before = tf.memory().numTensors;
  const suite = await evaluateSuite(model, { cohortDir: path.join(workDir, 'cohort'), preparedDir: path.join(workDir, 'prepared'), imageSize: 40, records: data.records }, { quick: true });
  t.is(tf.memory().numTensors, before, 'evaluation leaks no tensors');
  t.true(Object.keys(suite.headline).length > 3, `headline metrics: ${Object.keys(suite.headline)}`);
  for (const [key, value] of Object.entries(suite.headline)) t.false(Number.isNaN(value.value) && value.n > 0, `${key} is a number`);
  const tuned = await fineTuneProbe(final, { cohortDir: path.join(workDir, 'cohort'), preparedDir: path.join(workDir, 'prepared'), imageSize: 40, records: data.records }, { epochs: 1, maxTokens: 32 });
  t.true(tuned.auroc >= 0 && tuned.auroc <= 1);
  model.method.dispose();
  // A checkpoint whose method is not registered is refused by name.
  const stray = path.join(workDir, 'stray-final');
  fs.mkdirSync(stray, { recursive: true });
  fs.writeFileSync(path.join(stray, 'config.json'), JSON.stringify({ method: 'mystery' }));
  await t.throwsAsync(loadFrozenModel(stray), { message: /config\.json: unknown method "mystery" \(known: medst, prior, .*tiny-test/ });
});

test.serial('the same seed gives the same first losses; a different seed does not', async (t) => {
  const run = async (seed: number, dir: string) => {
    const method = new TinyMethod(seed, data.tokenizer.vocabSize);
    const result = await train(method, data, { ...config, seed }, path.join(workDir, dir), { ...quiet, stopAfterSteps: 3 });
    method.dispose();
    return result.steps.map((s) => s.loss);
  };
  t.deepEqual(await run(5, 'seed-a'), await run(5, 'seed-b'));
  t.notDeepEqual(await run(5, 'seed-c'), await run(6, 'seed-d'));
});

test.serial('the run says how many training reports maxTokens cuts, and says nothing when none is cut', async (t) => {
  const linesOf = async (maxTokens: number, dir: string) => {
    const method = new TinyMethod(5, data.tokenizer.vocabSize);
    const lines: string[] = [];
    await train(method, data, { ...config, maxTokens }, path.join(workDir, dir), { log: (line) => lines.push(line), stopAfterSteps: 1 });
    method.dispose();
    return lines.filter((line) => line.startsWith('text:'));
  };
  const longer = data.records.filter((r) => data.tokenizer.encode(r.report.text, { padding: 'none', truncation: false }).inputIds.length > 8).length;
  t.true(longer > 0);
  t.deepEqual(await linesOf(8, 'cut-8'), [`text: ${longer} of ${data.records.length} training reports are longer than maxTokens = 8 and reach the model cut`]);
  t.deepEqual(await linesOf(512, 'cut-512'), []);
});

test.serial('non-finite steps are skipped and logged, and several in a row stop the run', async (t) => {
  const method = new TinyMethod(1, data.tokenizer.vocabSize);
  const runDir = path.join(workDir, 'run-nan');
  const warmup = await train(method, data, config, runDir, { ...quiet, stopAfterSteps: 2 });
  const weightsBefore = Array.from(method.params.get('image.weight').dataSync());
  method.poison = true;
  const lines: string[] = [];
  const before = tf.memory().numTensors;
  await t.throwsAsync(train(method, data, { ...config, maxNonFiniteInARow: 3 }, runDir, { log: (l) => lines.push(l) }), { message: /training stopped: 3 non-finite steps in a row/ });
  t.is(tf.memory().numTensors, before, 'no leaks when steps are skipped');
  t.deepEqual(Array.from(method.params.get('image.weight').dataSync()), weightsBefore, 'skipped steps do not touch the weights');
  const skipped = readMetrics(runDir).filter((m) => m.skipped);
  t.is(skipped.length, 3);
  t.regex(skipped[0]!.skipped!, /non-finite loss NaN/);
  t.is(lines.filter((l) => /skipped/.test(l)).length, 3);
  t.is(warmup.steps.length, 2);
  method.dispose();
});

test.serial('rowsPerBatch: every step has exactly that many pairs; onEpochEnd runs once per epoch with the method', async (t) => {
  const method = new TinyMethod(2, data.tokenizer.vocabSize);
  const runDir = path.join(workDir, 'run-rows');
  const ends: Array<{ epochsDone: number; stage: number; step: number }> = [];
  const { chunksPerBatch: _chunks, ...rest } = config;
  const result = await train(method, data, { ...rest, rowsPerBatch: 5 }, runDir, {
    ...quiet,
    onEpochEnd: ({ epochsDone, stage, step, method: m }) => {
      t.is(m, method);
      ends.push({ epochsDone, stage, step });
    },
  });
  t.true(result.finished);
  t.true(result.steps.length > 0);
  t.true(result.steps.every((s) => s.rows === 5), `rows per step: ${[...new Set(result.steps.map((s) => s.rows))]}`);
  t.deepEqual(ends.map((e) => e.epochsDone), [1, 2, 3, 4]);
  t.deepEqual(ends.map((e) => e.stage), [0, 0, 1, 1]);
  t.is(ends[3]!.step, result.position.step);
  method.dispose();
});
