import test from 'ava';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  basicTokenize,
  buildWordPieceVocab,
  createTokenizer,
  loadTokenizer,
  parseVocab,
  readVocabFile,
  resolveTokenizerConfig,
  WordPieceTokenizer,
} from '../../lib/data/tokenizer/index.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/tokenizer/', import.meta.url));
const VOCAB_PATH = join(FIXTURES, 'vocab.txt');

interface RefCase {
  text: string;
  input_ids: number[];
  attention_mask: number[];
  word_ids: number[];
  tokens: string[];
  full_input_ids: number[];
  full_word_ids: number[];
  decoded: string;
  decoded_skip_special: string;
}
interface RefBlock {
  do_lower_case: boolean;
  cases: RefCase[];
}
interface Expected {
  max_length: number;
  vocab_size: number;
  uncased: RefBlock;
  cased: RefBlock;
}

const expected = JSON.parse(await readFile(join(FIXTURES, 'expected.json'), 'utf8')) as Expected;
// HF's BertTokenizer has no never-split words: parity is checked without medst's `___` rule (tested below).
const uncased = await loadTokenizer(VOCAB_PATH, { neverSplit: [] });
const cased = await loadTokenizer(VOCAB_PATH, { lowercase: false, neverSplit: [] });

// ---------------------------------------------------------------- parity with transformers

for (const [name, block, tok] of [
  ['uncased', expected.uncased, uncased],
  ['cased', expected.cased, cased],
] as const) {
  test(`${name}: fixture vocab loads with the expected size and special ids`, (t) => {
    t.is(tok.vocabSize, expected.vocab_size);
    t.deepEqual({ ...tok.specialTokenIds }, { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
    t.is(block.do_lower_case, tok.config.lowercase);
  });

  block.cases.forEach((ref, i) => {
    const label = `${name} #${i} ${JSON.stringify(ref.text.slice(0, 40))}`;

    test(`${label}: max_length=${expected.max_length} encode matches HF`, (t) => {
      const enc = tok.encode(ref.text, { maxLength: expected.max_length, padding: 'max_length', truncation: true });
      t.deepEqual(Array.from(enc.inputIds), ref.input_ids);
      t.deepEqual(Array.from(enc.attentionMask), ref.attention_mask);
      t.deepEqual(Array.from(enc.wordIds), ref.word_ids);
      t.deepEqual(enc.tokens, ref.tokens);
    });

    test(`${label}: unpadded, untruncated encode, tokenize and decode match HF`, (t) => {
      const enc = tok.encode(ref.text, { padding: 'none', truncation: false });
      t.deepEqual(Array.from(enc.inputIds), ref.full_input_ids);
      t.deepEqual(Array.from(enc.wordIds), ref.full_word_ids);
      t.deepEqual(tok.tokenize(ref.text), ref.full_input_ids.slice(1, -1).map((id) => tok.idToToken(id)));
      t.is(tok.decode(ref.full_input_ids), ref.decoded);
      t.is(tok.decode(ref.full_input_ids, { skipSpecialTokens: true }), ref.decoded_skip_special);
    });
  });
}

// ---------------------------------------------------------------- encoding behaviour

const LONG = expected.uncased.cases.map((c) => c.text).reduce((a, b) => (b.length > a.length ? b : a));

test('truncation keeps [CLS] first and [SEP] last, with word ids carried over', (t) => {
  const full = uncased.encode(LONG, { padding: 'none', truncation: false });
  for (const maxLength of [2, 3, 16, 31]) {
    const enc = uncased.encode(LONG, { maxLength });
    t.is(enc.inputIds.length, maxLength);
    t.is(enc.tokens[0], '[CLS]');
    t.is(enc.tokens[maxLength - 1], '[SEP]');
    t.true(enc.attentionMask.every((m) => m === 1));
    t.deepEqual(Array.from(enc.inputIds.subarray(1, -1)), Array.from(full.inputIds.subarray(1, maxLength - 1)));
    t.deepEqual(Array.from(enc.wordIds.subarray(1, -1)), Array.from(full.wordIds.subarray(1, maxLength - 1)));
  }
});

test('no truncation with max_length padding returns the whole sequence', (t) => {
  const enc = uncased.encode(LONG, { maxLength: 8, truncation: false });
  t.true(enc.inputIds.length > 8);
  t.is(enc.tokens.at(-1), '[SEP]');
});

test('default maxLength is the config one (112) and padding is max_length', (t) => {
  const enc = uncased.encode('no effusion.');
  t.is(enc.inputIds.length, 112);
  t.is(enc.attentionMask.reduce((s, m) => s + m, 0), 5);
  t.is(resolveTokenizerConfig().maxLength, 112);
  t.is(uncased.encode('no effusion.', { addSpecialTokens: false, padding: 'none' }).tokens.join(' '), 'no effusion .');
});

test('encodeBatch gives [B, L] rows equal to single encodes', (t) => {
  const texts = ['No effusion.', '', LONG, 'Mild opacity at the right base.'];
  const batch = uncased.encodeBatch(texts, { maxLength: 24 });
  t.is(batch.batchSize, 4);
  t.is(batch.seqLength, 24);
  t.is(batch.inputIds.length, 4 * 24);
  t.is(batch.attentionMask.length, 4 * 24);
  t.is(batch.wordIds.length, 4 * 24);
  texts.forEach((text, b) => {
    const one = uncased.encode(text, { maxLength: 24 });
    t.deepEqual(batch.inputIds.subarray(b * 24, (b + 1) * 24), one.inputIds);
    t.deepEqual(batch.attentionMask.subarray(b * 24, (b + 1) * 24), one.attentionMask);
    t.deepEqual(batch.wordIds.subarray(b * 24, (b + 1) * 24), one.wordIds);
  });
});

test('encodeBatch counts the rows it cut, and a text that fills maxLength exactly is not cut', (t) => {
  const pieces = uncased.encode(LONG, { addSpecialTokens: false, padding: 'none', truncation: false }).inputIds.length;
  const texts = ['No effusion.', LONG, '', LONG];
  t.is(uncased.encodeBatch(texts, { maxLength: 24 }).truncatedRows, 2);
  t.is(uncased.encodeBatch(texts, { maxLength: pieces + 2 }).truncatedRows, 0); // [CLS] + pieces + [SEP]
  t.is(uncased.encodeBatch(texts, { maxLength: pieces + 1 }).truncatedRows, 2);
  t.is(uncased.encodeBatch(texts, { maxLength: 24, truncation: false, padding: 'longest' }).truncatedRows, 0);
});

test('encodeBatch with longest (or none) padding pads to the longest row', (t) => {
  const texts = ['No effusion.', 'Mild opacity at the right base.'];
  const lengths = texts.map((x) => uncased.encode(x, { padding: 'none' }).inputIds.length);
  for (const padding of ['longest', 'none'] as const) {
    const batch = uncased.encodeBatch(texts, { padding });
    t.is(batch.seqLength, Math.max(...lengths));
    t.is(batch.inputIds[batch.seqLength - 1], uncased.specialTokenIds.pad);
    t.is(batch.wordIds[batch.seqLength - 1], -1);
  }
  const empty = uncased.encodeBatch([], { padding: 'longest' });
  t.is(empty.batchSize, 0);
  t.is(empty.inputIds.length, 0);
});

test('basicTokenize splits punctuation and numbers as BERT does', (t) => {
  const opts = { lowercase: true, stripAccents: null, tokenizeChineseChars: true };
  t.deepEqual(basicTokenize('Nodule 1.5 cm, Café XXXX ___', opts), ['nodule', '1', '.', '5', 'cm', ',', 'cafe', 'xxxx', '_', '_', '_']);
  // Σ lower-cases per code point (σ), as HF's Rust normalizer, not to final ς.
  t.deepEqual(basicTokenize('ΟΔΟΣ', opts), ['οδοσ']);
  t.deepEqual(basicTokenize('Café', { ...opts, lowercase: false }), ['Café']);
  t.deepEqual(basicTokenize('Café', { ...opts, stripAccents: false }), ['café']);
});

// ---------------------------------------------------------------- vocab building

const BUILD_CORPUS = (() => {
  const sides = ['left', 'right', 'bilateral'];
  const findings = ['effusion', 'opacity', 'atelectasis', 'pneumothorax', 'consolidation', 'nodule'];
  const out: string[] = [];
  for (let i = 0; i < 120; i++) {
    const side = sides[i % 3] as string;
    const f = findings[(i * 7) % findings.length] as string;
    out.push(`There is ${i % 2 ? 'mild' : 'moderate'} ${side} ${f}, measuring ${i % 9}.${i % 7} cm; compared to XXXX.`);
  }
  out.push('Café-au-lait naïve résumé, ΟΔΟΣ, 肺炎 and 𠀀 glyphs; Dr. ___ at 10:45.');
  return out;
})();

test('buildWordPieceVocab is deterministic and independent of corpus order', (t) => {
  const a = buildWordPieceVocab(BUILD_CORPUS, { vocabSize: 400, minFrequency: 2 });
  const b = buildWordPieceVocab(BUILD_CORPUS, { vocabSize: 400, minFrequency: 2 });
  const c = buildWordPieceVocab([...BUILD_CORPUS].reverse(), { vocabSize: 400, minFrequency: 2 });
  t.deepEqual(a, b);
  t.deepEqual(a, c);
  t.true(a.length < 400, 'merges ran out before the target size');
  t.deepEqual(buildWordPieceVocab(BUILD_CORPUS, { vocabSize: 150 }), a.slice(0, 150), 'a smaller target is a prefix');
  t.deepEqual(a.slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  t.is(new Set(a).size, a.length);
  t.true(a.includes('effusion'));
  t.true(a.some((tok) => tok.startsWith('##') && tok.length > 3));
});

test('a built vocab encodes every corpus word without [UNK]', async (t) => {
  const tok = await createTokenizer({ kind: 'corpus', corpus: BUILD_CORPUS, build: { vocabSize: 120 } });
  for (const text of BUILD_CORPUS) {
    const enc = tok.encode(text, { padding: 'none', truncation: false });
    t.false(Array.from(enc.inputIds).includes(tok.specialTokenIds.unk), text);
    // Pieces glue back to the normalised words.
    t.is(tok.decode(enc.inputIds.subarray(1, -1)), tok.decode(enc.inputIds, { skipSpecialTokens: true }));
  }
  t.is(tok.tokenize('zebra')[0], '[UNK]', 'letters outside the alphabet still give [UNK]');
});

test('buildWordPieceVocab honours minFrequency and the alphabet', (t) => {
  const alphabetOnly = buildWordPieceVocab(['ab ab ab', 'abc'], { minFrequency: 100, neverSplit: [] });
  t.deepEqual(alphabetOnly, ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b', 'c', '##b', '##c']);
  const merged = buildWordPieceVocab(['ab ab ab', 'abc'], { minFrequency: 2, specialTokens: ['[UNK]'], neverSplit: [] });
  // (a, ##b) occurs 4 times; (ab, ##c) once, below minFrequency.
  t.deepEqual(merged, ['[UNK]', 'a', 'b', 'c', '##b', '##c', 'ab']);
  // Equal counts: the lexicographically smaller pair merges first.
  const ties = buildWordPieceVocab(['xy', 'ab'], { minFrequency: 1, vocabSize: 7, specialTokens: [], neverSplit: [] });
  t.deepEqual(ties, ['a', 'b', 'x', 'y', '##b', '##y', 'ab']);
  t.throws(() => buildWordPieceVocab([], { vocabSize: 0 }), { message: /vocabSize/ });
});

// ---------------------------------------------------------------- files and errors

test('saveVocab / loadTokenizer round trip, atomically', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'medst-tok-'));
  try {
    const path = join(dir, 'sub', 'vocab.txt');
    await uncased.saveVocab(path);
    t.deepEqual(await readdir(join(dir, 'sub')), ['vocab.txt'], 'no temp file left behind');
    t.is(await readFile(path, 'utf8'), await readFile(VOCAB_PATH, 'utf8'));
    const again = await loadTokenizer(path);
    t.deepEqual(again.vocab, uncased.vocab);
    t.deepEqual(again.encode(LONG, { maxLength: 32 }), uncased.encode(LONG, { maxLength: 32 }));
    const built = await createTokenizer({ kind: 'corpus', corpus: BUILD_CORPUS, build: { vocabSize: 100 } });
    await built.saveVocab(path); // overwrite
    t.deepEqual((await loadTokenizer(path)).vocab, built.vocab);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('missing and empty vocab files give errors naming the path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'medst-tok-'));
  try {
    const missing = join(dir, 'nope.txt');
    await t.throwsAsync(loadTokenizer(missing), { message: new RegExp(`${escape(missing)} does not exist`) });
    const empty = join(dir, 'empty.txt');
    await writeFile(empty, '');
    await t.throwsAsync(readVocabFile(empty), { message: new RegExp(`${escape(empty)} is empty`) });
    await writeFile(empty, '\n\n');
    await t.throwsAsync(loadTokenizer(empty), { message: /is empty/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a vocab without a special token is rejected, naming file and token', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'medst-tok-'));
  try {
    const path = join(dir, 'vocab.txt');
    await writeFile(path, ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'a'].join('\n') + '\n');
    await t.throwsAsync(loadTokenizer(path), { message: new RegExp(`${escape(path)} lacks the special token \\[MASK\\]`) });
    // Renamed special tokens are looked up by their configured names.
    const tok = await loadTokenizer(path, { specialTokens: { mask: 'a' } });
    t.is(tok.specialTokenIds.mask, 4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  t.throws(() => new WordPieceTokenizer([]), { message: /empty/ });
});

test('parseVocab keeps ids as line indices (CRLF tolerated)', (t) => {
  t.deepEqual(parseVocab('[PAD]\r\n[UNK]\r\nx\r\n', 'mem'), ['[PAD]', '[UNK]', 'x']);
  t.deepEqual(parseVocab('a\n\nb', 'mem'), ['a', '', 'b']);
});

test('bad arguments throw with the offending value', (t) => {
  t.throws(() => uncased.encode('x', { maxLength: 1 }), { message: /maxLength must be an integer >= 2, got 1/ });
  t.throws(() => uncased.decode([0, 99999]), { instanceOf: RangeError, message: /id 99999 at position 1/ });
  t.throws(() => uncased.encode(undefined as unknown as string), { instanceOf: TypeError });
  t.throws(() => resolveTokenizerConfig({ maxInputCharsPerWord: 0 }), { message: /maxInputCharsPerWord/ });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('the de-identification placeholder ___ is one token: its own entry in built vocabs, [UNK] in a vocab without it', async (t) => {
  const corpus = ['seen by dr. ___ on ___', 'no change since ___ ,', 'a___b'];
  const vocab = buildWordPieceVocab(corpus, { minFrequency: 1, vocabSize: 200 });
  t.is(vocab[5], '___', 'right after the five special tokens');
  t.false(vocab.includes('_'), 'its characters are not counted as words');
  const built = await createTokenizer({ kind: 'vocab', tokens: vocab });
  t.deepEqual(built.tokenize('seen by dr. ___ on ___.'), ['seen', 'by', 'dr', '.', '___', 'on', '___', '.']);
  t.deepEqual(built.tokenize('a___b'), ['a', '___', 'b']);
  const enc = built.encode('dr ___ on', { padding: 'none' });
  t.deepEqual(Array.from(enc.wordIds), [-1, 0, 1, 2, -1], 'one word');
  // A loaded vocab without the word (as Bio_ClinicalBERT's): one [UNK], where HF would give three "_".
  const loaded = await loadTokenizer(VOCAB_PATH);
  t.deepEqual(loaded.tokenize('dr. ___ at'), ['dr', '.', '[UNK]', 'at']);
  t.deepEqual((await loadTokenizer(VOCAB_PATH, { neverSplit: [] })).tokenize('___'), ['_', '_', '_']);
  t.throws(() => new WordPieceTokenizer(vocab, { neverSplit: [' x'] }), { message: /neverSplit/ });
});
