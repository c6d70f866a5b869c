import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { Rng } from '../../lib/util/rng.ts';
import { chooseThreshold, sentenceSimilarity } from '../../lib/eval/sentence_similarity.ts';
import { rocAuc } from '../../lib/eval/metrics.ts';

test.before(async () => {
  await nativeBackend();
});

/** Pairs whose cosine is cos θ by construction: sentence 1 = e0, sentence 2 = (cos θ, sin θ). Overlapping classes. */
function pairs(n: number, seed: number): { first: number[][]; second: number[][]; paraphrase: number[]; cosines: number[] } {
  const rng = new Rng(seed);
  const first: number[][] = [];
  const second: number[][] = [];
  const paraphrase: number[] = [];
  const cosines: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = i % 3 === 0 ? 0 : 1;
    const c = p ? rng.range(0.2, 0.95) : rng.range(0, 0.6);
    first.push([2, 0]);
    second.push([c, Math.sqrt(1 - c * c)]);
    paraphrase.push(p);
    cosines.push(c);
  }
  return { first, second, paraphrase, cosines };
}

test('chooseThreshold by hand: midpoints, the middle of equally good thresholds, ties never split', (t) => {
  t.deepEqual(chooseThreshold([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1]), { threshold: 0.25, accuracy: 1 });
  // Best accuracy 3/4 at t ∈ {0.15, 0.35}: the lower middle (index ⌊(2−1)/2⌋ = 0) is taken.
  const two = chooseThreshold([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1]);
  t.is(two.accuracy, 0.75);
  t.true(Math.abs(two.threshold - 0.15) < 1e-12, `${two.threshold}`);
  // Equal scores cannot be separated: the candidates are below both or above both.
  const tied = chooseThreshold([0.5, 0.5, 0.9], [0, 1, 1]);
  t.is(tied.accuracy, 2 / 3);
  t.true(tied.threshold < 0.5 || tied.threshold > 0.5);
});

test('thresholds come from training folds only, and differ from the test-leaking choice', (t) => {
  const data = pairs(60, 1);
  const result = sentenceSimilarity(data.first, data.second, data.paraphrase, { folds: 5, seeds: [0, 1, 2] });
  t.true(result.cosines.every((c, i) => Math.abs(c - data.cosines[i]!) < 1e-5));
  t.is(result.rocAuc, rocAuc(data.paraphrase, result.cosines));
  t.is(result.folds.length, 15);
  let differs = 0;
  for (const fold of result.folds) {
    const test = new Set(fold.testPairs);
    const train = result.cosines.map((_, i) => i).filter((i) => !test.has(i));
    const honest = chooseThreshold(train.map((i) => result.cosines[i]!), train.map((i) => data.paraphrase[i]!));
    t.is(fold.threshold, honest.threshold, 'chosen on the training pairs of the fold');
    const leaky = chooseThreshold(result.cosines, data.paraphrase);
    if (leaky.threshold !== fold.threshold) differs++;
  }
  t.true(differs > 0, 'the leaking threshold (all pairs) differs from the training-fold one for some fold');
  // Each pair is tested once per seed.
  for (const seed of [0, 1, 2]) {
    const tested = result.folds.filter((f) => f.seed === seed).flatMap((f) => f.testPairs).sort((a, b) => a - b);
    t.deepEqual(tested, data.cosines.map((_, i) => i));
  }
  t.true(result.leakyAccuracy >= result.accuracy.mean, `leaky ${result.leakyAccuracy} ≥ honest ${result.accuracy.mean}`);
  t.is(result.accuracy.values.length, 3);
});

test('sentence similarity leaks no tensors and checks its inputs', (t) => {
  const data = pairs(20, 2);
  sentenceSimilarity(data.first, data.second, data.paraphrase);
  const before = tf.memory().numTensors;
  sentenceSimilarity(data.first, data.second, data.paraphrase);
  t.is(tf.memory().numTensors, before);
  t.throws(() => sentenceSimilarity(data.first, data.second, data.paraphrase.slice(1)), { message: /19 labels for 20 pairs/ });
});
