/** Building tokenizers from a vocab file, a token list or a corpus. */
import { buildWordPieceVocab, resolveBuildVocabOptions, toTokenizerConfig, type BuildVocabOptions } from './build_vocab.ts';
import type { TokenizerConfigInput } from './config.ts';
import { readVocabFile } from './vocab_file.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

/** Where a tokenizer's vocab comes from. */
export type TokenizerSource =
  /** A vocab.txt (bert-base / Bio_ClinicalBERT format). */
  | { kind: 'vocabFile'; path: string }
  /** Tokens in id order. */
  | { kind: 'vocab'; tokens: readonly string[] }
  /** Train a vocab on these texts (see `buildWordPieceVocab`). */
  | { kind: 'corpus'; corpus: Iterable<string>; build?: Partial<BuildVocabOptions> };

/**
 * Loads a tokenizer from a vocab.txt.
 * @throws Error naming `path` when the file is missing or empty, or lacks a special token.
 * @example const tok = await loadTokenizer('weights/Bio_ClinicalBERT/vocab.txt', { maxLength: 112 });
 */
export async function loadTokenizer(path: string, config: TokenizerConfigInput = {}): Promise<WordPieceTokenizer> {
  return new WordPieceTokenizer(await readVocabFile(path), config, path);
}

/**
 * Creates a tokenizer from any `TokenizerSource`. For `corpus`, the
 * normalisation settings of `build` (lowercase, accents, CJK, prefix) are
 * carried into the tokenizer config unless `config` overrides them.
 */
export async function createTokenizer(source: TokenizerSource, config: TokenizerConfigInput = {}): Promise<WordPieceTokenizer> {
  switch (source.kind) {
    case 'vocabFile':
      return loadTokenizer(source.path, config);
    case 'vocab':
      return new WordPieceTokenizer(source.tokens, config);
    case 'corpus': {
      const build = resolveBuildVocabOptions(source.build);
      const vocab = buildWordPieceVocab(source.corpus, build);
      return new WordPieceTokenizer(vocab, { ...toTokenizerConfig(build), ...config }, 'vocab built from corpus');
    }
  }
}
