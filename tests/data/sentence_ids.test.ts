/** Sentence index of each token: periods close sentences, specials and padding belong to none, overflow is cut. */
import test from 'ava';
import { sentenceCounts, sentenceIdsOf, sentenceTokensOf } from '../../lib/data/sentence_ids.ts';
import { WordPieceTokenizer } from '../../lib/data/tokenizer/index.ts';

const tokens = { boundary: new Set([9]), special: new Set([1, 2, 0]) };

test('periods end sentences; [CLS], [SEP] and padding get −1', (t) => {
  const ids = sentenceIdsOf([1, 5, 6, 9, 7, 8, 9, 2, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 0, 0], 1, 10, tokens, 16);
  t.deepEqual(Array.from(ids), [-1, 0, 0, 0, 1, 1, 1, -1, -1, -1]);
  t.deepEqual(Array.from(sentenceCounts(ids, 1, 10)), [2]);
});

test('a truncated last sentence still counts; sentences past the cap are cut; rows are independent', (t) => {
  const ids = sentenceIdsOf([1, 5, 9, 6, 9, 7, 2, 1, 5, 6, 7, 8, 2, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0], 2, 7, tokens, 2);
  t.deepEqual(Array.from(ids.subarray(0, 7)), [-1, 0, 0, 1, 1, -1, -1], 'the third sentence is past the cap of 2');
  t.deepEqual(Array.from(ids.subarray(7)), [-1, 0, 0, 0, 0, -1, -1], 'no period: one sentence');
  t.deepEqual(Array.from(sentenceCounts(ids, 2, 7)), [2, 1]);
});

test('bad input is refused with the sizes; a vocabulary without a period cannot give sentences', (t) => {
  t.throws(() => sentenceIdsOf([1, 2], [1], 1, 2, tokens, 4), { message: /expected 1·2 ids and mask values, got 2 and 1/ });
  const noPeriod = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a']);
  t.throws(() => sentenceTokensOf(noPeriod), { message: /no "\." token/ });
  const withPeriod = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', '.']);
  const found = sentenceTokensOf(withPeriod);
  t.deepEqual([...found.boundary], [6]);
  t.true(found.special.has(2) && found.special.has(3) && found.special.has(0));
});
