import test from 'ava';
import { nativeBackend } from '../helpers/tf.ts';
import { formatMeanStd, meanStd } from '../../lib/eval/summary.ts';
import * as evaluation from '../../lib/eval/index.ts';

test.before(async () => {
  await nativeBackend();
});

test('meanStd uses the population std; formatMeanStd prints "mean ± std"', (t) => {
  const s = meanStd([0.8, 0.82, 0.816]);
  t.true(Math.abs(s.mean - 0.812) < 1e-12);
  t.true(Math.abs(s.std - Math.sqrt(((0.012 ** 2) + (0.008 ** 2) + (0.004 ** 2)) / 3)) < 1e-12);
  t.is(formatMeanStd([0.8, 0.82, 0.816]), '0.812 ± 0.009');
  t.is(formatMeanStd(s, 2), '0.81 ± 0.01');
  t.is(formatMeanStd([0.5], 3, { omitZeroStd: true }), '0.500');
  t.is(formatMeanStd([]), 'n/a');
});

test('the index re-exports the public API', (t) => {
  for (const name of ['rocAuc', 'fitLinearProbe', 'sampleFraction', 'crossValidateTemporal', 'fixedSplitTemporal', 'sentenceSimilarity', 'zeroShotBinary', 'zeroShotMultiClass', 'retrieval', 'evaluateSegmentation', 'formatMeanStd', 'dicePerImage']) {
    t.is(typeof (evaluation as Record<string, unknown>)[name], 'function', name);
  }
});
