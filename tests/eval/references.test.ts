/**
 * The reference rows and the image-only evaluation on a small generated cohort:
 * the majority row against an independent count from the MS-CXR-T CSV, raw
 * pixels against a direct box average, and evaluateImageFeatures on features
 * that know the answer (AUROC 1) and features that know nothing (AUROC 0.5).
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCohort } from '../../data-prep/synth/cohort.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import { ImageStore } from '../../lib/data/image_store.ts';
import type { ManifestRecord } from '../../lib/data/manifest.ts';
import { imageStoreDir, prepareDataset } from '../../lib/data/prepare.ts';
import { readMsCxrTImagePairs } from '../../lib/data/ms_cxr_t.ts';
import { competitionTargets, evaluateImageFeatures, TEMPORAL_PAIRS_FILE } from '../../lib/eval/image_evaluation.ts';
import { matrix } from '../../lib/eval/matrix.ts';
import { downsampledPixels, rawPixelFeatures } from '../../lib/eval/raw_pixels.ts';
import { majorityMetrics, randomRecallAt } from '../../lib/eval/references.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

let dir: string;
let records: ManifestRecord[];

test.before(async () => {
  await nativeBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medst-refs-'));
  await generateCohort(resolveSynthConfig({ out: path.join(dir, 'cohort'), patients: 60, size: 128, seed: 5, workers: 0 }));
  records = (await prepareDataset({ mimicRoot: path.join(dir, 'cohort'), outDir: path.join(dir, 'prepared'), size: 40 })).records;
});

test('majority row: balanced accuracy 1/K and plain accuracy of the training majority, counted from the CSV', (t) => {
  const m = majorityMetrics(records, path.join(dir, 'cohort'));
  const test_ = records.filter((r) => r.split !== 'train');
  t.deepEqual(m.probe_auroc_100, { value: 0.5, n: test_.length });
  t.deepEqual(m.i2t_r5, { value: randomRecallAt(test_.map((r) => r.report.text), 5), n: test_.length });
  t.true(m.i2t_r5!.value >= 5 / test_.length - 1e-12, 'identical reports only raise the chance level');
  const split = new Map(records.map((r) => [r.id, r.split]));
  const pairs = readMsCxrTImagePairs(path.join(dir, 'cohort', TEMPORAL_PAIRS_FILE)).rows.filter((p) => split.has(p.dicomId) && split.has(p.previousDicomId));
  const macro: number[] = [];
  const plain: number[] = [];
  for (const finding of Object.keys(pairs[0]!.progression) as Array<keyof (typeof pairs)[0]["progression"]>) {
    const train = pairs.filter((p) => split.get(p.dicomId) === 'train' && p.progression[finding] !== null).map((p) => p.progression[finding]!);
    const truth = pairs.filter((p) => split.get(p.dicomId) !== 'train' && p.progression[finding] !== null).map((p) => p.progression[finding]!);
    if (!train.length || !truth.length) continue;
    const counts = new Map<string, number>();
    for (const v of train) counts.set(v, (counts.get(v) ?? 0) + 1);
    const order = ['improving', 'stable', 'worsening'];
    const majority = [...counts].sort((a, b) => b[1] - a[1] || order.indexOf(a[0]) - order.indexOf(b[0]))[0]![0];
    macro.push(1 / new Set(truth).size);
    plain.push(truth.filter((v) => v === majority).length / truth.length);
  }
  t.true(macro.length > 0);
  t.true(Math.abs(m.temporal_macro_acc!.value - macro.reduce((a, b) => a + b) / macro.length) < 1e-12);
  t.true(Math.abs(m.temporal_acc!.value - plain.reduce((a, b) => a + b) / plain.length) < 1e-12);
  t.is(m.temporal_macro_acc!.n, pairs.filter((p) => split.get(p.dicomId) !== 'train').length);
});

test('raw pixels: box averages of the centre crop; PCA coordinates centred on the training rows', (t) => {
  const storeDir = imageStoreDir(path.join(dir, 'prepared'), 40);
  const pixels = downsampledPixels(storeDir, records.slice(0, 2), 32, 8);
  const store = ImageStore.open(storeDir);
  const image = store.read(records[1]!.id);
  store.close();
  // Output cell (2, 3) of record 1: rows 4+8..4+12, columns 4+12..4+16 of the 40×40 image (offset 4), scaled to [−1, 1].
  let sum = 0;
  for (let y = 12; y < 16; y++) for (let x = 16; x < 20; x++) sum += (image[y * 40 + x]! / 255 - 0.5) * 2;
  t.true(Math.abs(pixels.data[64 + 2 * 8 + 3]! - sum / 16) < 1e-5);
  t.throws(() => downsampledPixels(storeDir, records, 32, 5), { message: /not a multiple/ });
  const before = tf.memory().numTensors;
  const features = rawPixelFeatures(storeDir, records, { crop: 32, side: 16, components: 8 });
  t.is(tf.memory().numTensors, before);
  t.is(features.cols, 8);
  const trainRows = records.flatMap((r, i) => (r.split === 'train' ? [i] : []));
  for (let c = 0; c < 8; c++) {
    const mean = trainRows.reduce((a, i) => a + features.data[i * 8 + c]!, 0) / trainRows.length;
    t.true(Math.abs(mean) < 1e-3, `component ${c} mean ${mean}`);
  }
});

test('evaluateImageFeatures: features that encode the labels probe at 1, constant features at 0.5', (t) => {
  const cohort = path.join(dir, 'cohort');
  const oracle = matrix(Float32Array.from(records.flatMap((r) => competitionTargets(r).map((v, j) => v + 0.01 * j))), records.length, 5);
  const good = evaluateImageFeatures(oracle, records, cohort, { curve: true }).metrics;
  t.true(good.probe_auroc_100!.value > 0.99, `oracle probe ${good.probe_auroc_100!.value}`);
  const blank = evaluateImageFeatures(matrix(new Float32Array(records.length * 3).fill(1), records.length, 3), records, cohort, { curve: true }).metrics;
  t.true(Math.abs(blank.probe_auroc_100!.value - 0.5) < 1e-9, `constant features probe ${blank.probe_auroc_100!.value}`);
  t.is(blank.probe_auroc_100!.n, records.filter((r) => r.split !== 'train').length);
  t.throws(() => evaluateImageFeatures(matrix(new Float32Array(3), 1, 3), records, cohort), { message: /1 feature rows for/ });
});

test('evaluateImageFeatures: the temporal cross-validation runs the requested shuffles (3 by default)', (t) => {
  const cohort = path.join(dir, 'cohort');
  const features = matrix(Float32Array.from(records.flatMap((r) => competitionTargets(r).map((v, j) => v + 0.01 * j))), records.length, 5);
  const shuffles = (options: { temporalCvRepeats?: number }) => evaluateImageFeatures(features, records, cohort, options).temporalCv!.findings.find((f) => f.pairs > 0)!.seeds.length;
  t.is(shuffles({}), 3);
  t.is(shuffles({ temporalCvRepeats: 1 }), 1);
  t.throws(() => evaluateImageFeatures(features, records, cohort, { temporalCvRepeats: 0 }), { message: /temporalCvRepeats must be a positive integer, got 0/ });
});

test('chance recall@k counts every identical text as relevant (exact small cases)', (t) => {
  // k = 1: "a" queries have 2 relevant of 4 (1/2), "b" and "c" one (1/4).
  t.true(Math.abs(randomRecallAt(['a', 'a', 'b', 'c'], 1) - 0.375) < 1e-12);
  // All distinct: k/N.
  t.true(Math.abs(randomRecallAt(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], 5) - 0.5) < 1e-12);
  // k ≥ N: certain.
  t.is(randomRecallAt(['a', 'b'], 5), 1);
});
