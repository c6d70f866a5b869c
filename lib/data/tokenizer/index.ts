/** BERT WordPiece tokenizer: HF `BertTokenizer` parity, vocab building, vocab.txt I/O. */
export {
  DEFAULT_SPECIAL_TOKENS,
  resolveEncodeOptions,
  resolveTokenizerConfig,
  type EncodeOptions,
  type SpecialTokens,
  type TokenizerConfig,
  type TokenizerConfigInput,
} from './config.ts';
export { basicTokenize } from './basic.ts';
export {
  WordPieceTokenizer,
  type BatchEncoding,
  type DecodeOptions,
  type Encoding,
  type SpecialTokenIds,
} from './wordpiece.ts';
export { buildWordPieceVocab, resolveBuildVocabOptions, type BuildVocabOptions } from './build_vocab.ts';
export { parseVocab, readVocabFile, writeVocabFile } from './vocab_file.ts';
export { createTokenizer, loadTokenizer, type TokenizerSource } from './factory.ts';
