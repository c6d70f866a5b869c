import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { retrieval } from '../../lib/eval/retrieval.ts';
import { recallAtK, textGroups } from '../../lib/eval/recall.ts';
import { matrix } from '../../lib/eval/matrix.ts';

test.before(async () => {
  await nativeBackend();
});

// Images are e_0..e_3, so cos(image i, text j) = texts[j][i]; every text has norm exactly 1.
const images = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
const texts = [[0.5, 0.5, 0.5, 0.5], [0.5, -0.5, 0.5, 0.5], [0, 0, 1, 0], [0.5, 0.5, -0.5, 0.5]];
// Similarity, rows images: i0 [.5 .5 0 .5], i1 [.5 −.5 0 .5], i2 [.5 .5 1 −.5], i3 [.5 .5 0 .5].

test('Recall@K by hand on a constructed similarity (ties count against the query)', (t) => {
  const out = retrieval(images, texts, { ks: [1, 3, 4], maxK: 4 });
  t.deepEqual(out.imageToText.ranks, [3, 4, 1, 3]);
  t.deepEqual(out.imageToText.recall, { 1: 0.25, 3: 0.75, 4: 1 });
  t.deepEqual(out.imageToText.curve, [0.25, 0.25, 0.75, 1]);
  t.deepEqual(out.textToImage.ranks, [4, 4, 1, 3]);
  t.deepEqual(out.textToImage.recall, { 1: 0.25, 3: 0.5, 4: 1 });
});

test('identical report texts all count as correct', (t) => {
  t.deepEqual(Array.from(textGroups(['a', 'B  c', 'x', ' b c'])), [0, 1, 2, 1]);
  const out = retrieval(images, texts, { ks: [1, 2], reportTexts: ['a', 'b', 'c', 'b '] });
  t.deepEqual(out.imageToText.ranks, [3, 2, 1, 2]);
  t.deepEqual(out.imageToText.recall, { 1: 0.25, 2: 0.75 });
  // Text→image: t1 and t3 both match images 1 and 3.
  t.deepEqual(out.textToImage.ranks, [4, 3, 1, 2]); // t1: best relevant i3 at .5, tied by i0 and i2
});

test('explicit groups allow galleries of different sizes; queries without a relevant candidate are misses', (t) => {
  const out = retrieval(images, texts.slice(0, 2), { ks: [1, 2], groups: { image: [0, 1, 2, 3], text: [0, 1] } });
  t.is(out.imageToText.queriesWithoutRelevant, 2);
  t.deepEqual(out.imageToText.ranks, [2, 2, Infinity, Infinity]); // i0 ties t1 at 0.5
  t.deepEqual(out.imageToText.recall, { 1: 0, 2: 0.5 });
  t.throws(() => retrieval(images, texts.slice(0, 2)), { message: /need explicit groups/ });
  t.throws(() => recallAtK(matrix(new Float32Array(4), 2, 2), [0]), { message: /positive integer/ });
});

test('retrieval leaks no tensors', (t) => {
  retrieval(images, texts);
  const before = tf.memory().numTensors;
  retrieval(images, texts);
  t.is(tf.memory().numTensors, before);
});
