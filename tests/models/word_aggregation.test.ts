import test from 'ava';
import path from 'node:path';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { aggregateWords, buildWordAggregation } from '../../lib/models/word_aggregation.ts';
import { loadTokenizer } from '../../lib/data/tokenizer/index.ts';
import { ENCODER_FIXTURES } from './encoder_fixtures.ts';

test.before(async () => {
  await nativeBackend();
});

/** Hidden state of token t = one-hot-ish row [t, 10·t] so sums are readable. */
function tokenFeatures(b: number, l: number): tf.Tensor3D {
  const values: number[] = [];
  for (let i = 0; i < b; i++) for (let t = 0; t < l; t++) values.push(t + 100 * i, 10 * t);
  return tf.tensor3d(values, [b, l, 2]);
}

test('hand-computed: pieces summed, [SEP] kept, padding zero', (t) => {
  // row 0: [CLS] no pneumo ##thorax . [SEP] [PAD] [PAD]
  // row 1: [CLS] a fills all tokens ##s x y [SEP]  (fills L = 8)
  const wordIds = [-1, 0, 1, 1, 2, -1, -1, -1, /**/ -1, 0, 1, 2, 2, 3, 4, -1];
  const mask = [1, 1, 1, 1, 1, 1, 0, 0, /**/ 1, 1, 1, 1, 1, 1, 1, 1];
  const agg = buildWordAggregation(wordIds, mask, 2, 8);
  t.deepEqual(Array.from(agg.numWords), [4, 6]);
  const hidden = tokenFeatures(2, 8);
  const { words, mask: wordMask } = aggregateWords(hidden, agg);
  t.deepEqual(words.shape, [2, 7, 2]);
  t.deepEqual(words.arraySync(), [
    [[1, 10], [5, 50], [4, 40], [5, 50], [0, 0], [0, 0], [0, 0]],
    [[101, 10], [102, 20], [207, 70], [105, 50], [106, 60], [107, 70], [0, 0]],
  ]);
  t.deepEqual(Array.from(wordMask.dataSync()), [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0]);
  tf.dispose([hidden, words, wordMask]);
});

test('a report truncated without [SEP] keeps its last word', (t) => {
  // [CLS] w0 w1 w1 w2 w2 (no [SEP]: every position is a real piece)
  const agg = buildWordAggregation([-1, 0, 1, 1, 2, 2], [1, 1, 1, 1, 1, 1], 1, 6);
  t.deepEqual(Array.from(agg.numWords), [3]);
  t.deepEqual(Array.from(agg.mask), [1, 1, 1, 0, 0]);
  const hidden = tokenFeatures(1, 6);
  const { words, mask } = aggregateWords(hidden, agg);
  t.deepEqual(words.arraySync()[0]![2], [9, 90]); // tokens 4 + 5
  tf.dispose([hidden, words, mask]);
});

test('works on the tokenizer output, including a report that fills every token', async (t) => {
  const tok = await loadTokenizer(path.join(ENCODER_FIXTURES, '..', 'tokenizer', 'vocab.txt'));
  const long = 'no focal consolidation pneumothorax or pleural effusion is seen heart size normal';
  const batch = tok.encodeBatch(['no effusion.', long], { maxLength: 12, padding: 'max_length', truncation: true });
  const agg = buildWordAggregation(batch.wordIds, batch.attentionMask, batch.batchSize, batch.seqLength);
  for (let b = 0; b < 2; b++) {
    const ids = Array.from(batch.wordIds.subarray(b * 12, (b + 1) * 12));
    const words = new Set(ids.filter((w) => w >= 0)).size;
    t.is(agg.numWords[b], words + 1, `row ${b}: every word plus [SEP]`); // the last word survives truncation
  }
  t.is(batch.attentionMask.subarray(12).reduce((a, v) => a + v, 0), 12); // the long report fills all tokens
  t.throws(() => buildWordAggregation([1, 2], [1, 1], 2, 2), { message: /B·L = 2·2/ });
  const hidden = tf.zeros([2, 5, 3]) as tf.Tensor3D;
  t.throws(() => aggregateWords(hidden, agg), { message: /\[2,5,3\]/ });
  hidden.dispose();
});
