/**
 * Typed configuration of the BERT WordPiece tokenizer; defaults live only in
 * `resolveTokenizerConfig` / `resolveEncodeOptions`.
 */

import { DEID_TOKEN } from '../report.ts';

/** Names of the five BERT special tokens; each must be a line of the vocab. */
export interface SpecialTokens {
  /** Padding token, fills positions past the text. Default `[PAD]`. */
  pad: string;
  /** Unknown token, for words that WordPiece cannot split. Default `[UNK]`. */
  unk: string;
  /** Sequence-start token whose hidden state is the global text feature. Default `[CLS]`. */
  cls: string;
  /** Sequence-end token; always kept when truncating. Default `[SEP]`. */
  sep: string;
  /** Masked-language-model token. Default `[MASK]`. */
  mask: string;
}

/** Settings of a WordPiece tokenizer (everything except the vocab itself). */
export interface TokenizerConfig {
  /** Lower-case the text (BERT "uncased"). Default `true` for medst. */
  lowercase: boolean;
  /**
   * Strip accents (NFD, then drop non-spacing marks). `null` follows
   * `lowercase`, as the original BERT does. Default `null`.
   */
  stripAccents: boolean | null;
  /** Put spaces around CJK ideographs so that each is its own word. Default `true`. */
  tokenizeChineseChars: boolean;
  /** Words longer than this many code points become `[UNK]`. Default 100. */
  maxInputCharsPerWord: number;
  /** Prefix of word-continuation pieces. Default `##`. */
  continuingSubwordPrefix: string;
  /** Special-token strings. Defaults are the BERT names. */
  specialTokens: SpecialTokens;
  /** Sequence length L used when `encode` gets no `maxLength`. Default 112 (Med-ST). */
  maxLength: number;
  /**
   * Words kept whole wherever they appear, one token each: their vocab entry
   * when the vocab has one (vocabs built by medst do, right after the special
   * tokens), else `[UNK]` (e.g. Bio_ClinicalBERT's vocab.txt, which would
   * otherwise spell `___` as three `_` pieces). Default `['___']`, the
   * de-identification placeholder of `lib/data/report.ts`.
   */
  neverSplit: readonly string[];
}

/** Overrides accepted by `resolveTokenizerConfig`; special tokens may be given in part. */
export type TokenizerConfigInput = Partial<Omit<TokenizerConfig, 'specialTokens'>> & {
  specialTokens?: Partial<SpecialTokens>;
};

/** Default special-token names (bert-base / Bio_ClinicalBERT). */
export const DEFAULT_SPECIAL_TOKENS = {
  pad: '[PAD]',
  unk: '[UNK]',
  cls: '[CLS]',
  sep: '[SEP]',
  mask: '[MASK]',
} as const satisfies SpecialTokens;

/**
 * Fills in defaults and validates a tokenizer config.
 * @example resolveTokenizerConfig({ maxLength: 64 }).lowercase // true
 */
export function resolveTokenizerConfig(input: TokenizerConfigInput = {}): TokenizerConfig {
  const config: TokenizerConfig = {
    lowercase: input.lowercase ?? true,
    stripAccents: input.stripAccents ?? null,
    tokenizeChineseChars: input.tokenizeChineseChars ?? true,
    maxInputCharsPerWord: input.maxInputCharsPerWord ?? 100,
    continuingSubwordPrefix: input.continuingSubwordPrefix ?? '##',
    specialTokens: { ...DEFAULT_SPECIAL_TOKENS, ...dropUndefined(input.specialTokens ?? {}) },
    maxLength: input.maxLength ?? 112,
    neverSplit: input.neverSplit ?? [DEID_TOKEN],
  };
  for (const word of config.neverSplit) {
    if (typeof word !== 'string' || word.trim() !== word || word === '') {
      throw new Error(`resolveTokenizerConfig: neverSplit words must be non-empty strings without outer spaces, got ${JSON.stringify(word)}`);
    }
  }
  checkPositiveInt(config.maxInputCharsPerWord, 'maxInputCharsPerWord');
  checkMaxLength(config.maxLength, 'maxLength');
  if (config.continuingSubwordPrefix.length === 0) {
    throw new Error('resolveTokenizerConfig: continuingSubwordPrefix must not be empty');
  }
  for (const [name, token] of Object.entries(config.specialTokens)) {
    if (typeof token !== 'string' || token.length === 0) {
      throw new Error(`resolveTokenizerConfig: specialTokens.${name} must be a non-empty string`);
    }
  }
  return config;
}

/** Per-call encoding options. */
export interface EncodeOptions {
  /** Sequence length L including `[CLS]` and `[SEP]`. Default: the config's `maxLength`. */
  maxLength?: number;
  /**
   * `max_length` pads to `maxLength`; `longest` pads a batch to its longest
   * row; `none` leaves single encodings unpadded (a batch is then padded to its
   * longest row, since flat [B, L] arrays must be rectangular). Default `max_length`.
   */
  padding?: 'max_length' | 'longest' | 'none';
  /** Cut the word pieces so that `[CLS] … [SEP]` fits in `maxLength`. Default `true`. */
  truncation?: boolean;
  /** Add `[CLS]` and `[SEP]`. Default `true`. */
  addSpecialTokens?: boolean;
}

/** `EncodeOptions` with every field filled in. */
export type ResolvedEncodeOptions = Required<EncodeOptions>;

/** Fills in the defaults of `EncodeOptions` against a tokenizer config. */
export function resolveEncodeOptions(config: TokenizerConfig, options: EncodeOptions = {}): ResolvedEncodeOptions {
  const resolved: ResolvedEncodeOptions = {
    maxLength: options.maxLength ?? config.maxLength,
    padding: options.padding ?? 'max_length',
    truncation: options.truncation ?? true,
    addSpecialTokens: options.addSpecialTokens ?? true,
  };
  checkMaxLength(resolved.maxLength, 'encode maxLength');
  if (!['max_length', 'longest', 'none'].includes(resolved.padding)) {
    throw new Error(`encode: padding must be 'max_length', 'longest' or 'none', got ${String(resolved.padding)}`);
  }
  return resolved;
}

function checkPositiveInt(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`resolveTokenizerConfig: ${name} must be a positive integer, got ${value}`);
  }
}

function checkMaxLength(value: number, name: string): void {
  // Two slots are taken by [CLS] and [SEP].
  if (!Number.isInteger(value) || value < 2) {
    throw new Error(`${name} must be an integer >= 2, got ${value}`);
  }
}

function dropUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
