/**
 * BERT WordPiece tokenizer with HF `BertTokenizer` parity (ids, attention
 * mask, `word_ids()`, truncation, padding, decoding).
 *
 * The encoding is our own code, not `@huggingface/tokenizers`: that library
 * does not reproduce HF on CJK ideographs outside the BMP and returns no word
 * boundaries, truncation or padding (see basic.ts for the details).
 */
import { basicTokenize, type BasicTokenizerOptions } from './basic.ts';
import {
  resolveEncodeOptions,
  resolveTokenizerConfig,
  type EncodeOptions,
  type ResolvedEncodeOptions,
  type SpecialTokens,
  type TokenizerConfig,
  type TokenizerConfigInput,
} from './config.ts';
import { writeVocabFile } from './vocab_file.ts';

/** Ids of the five special tokens. */
export type SpecialTokenIds = { readonly [K in keyof SpecialTokens]: number };

/** One encoded text, length L (L = maxLength when padded to max length). */
export interface Encoding {
  /** Token ids, [L]. */
  inputIds: Int32Array;
  /** 1 for real tokens (specials included), 0 for padding, [L]. */
  attentionMask: Int32Array;
  /**
   * Index of the word each token comes from, [L]; −1 for the added
   * `[CLS]`/`[SEP]` and for padding. Pieces of one word share its index, as
   * HF `word_ids()`; indices survive truncation (so they need not reach the end).
   */
  wordIds: Int32Array;
  /** Token strings, [L]. */
  tokens: string[];
}

/** A batch of encodings as flat row-major arrays of shape [B, L]. */
export interface BatchEncoding {
  /** Token ids, [B, L] flattened. */
  inputIds: Int32Array;
  /** Attention mask, [B, L] flattened. */
  attentionMask: Int32Array;
  /** Word indices (−1 for specials and padding), [B, L] flattened. */
  wordIds: Int32Array;
  /** B. */
  batchSize: number;
  /** L. */
  seqLength: number;
  /** How many of the B texts were cut to fit `maxLength` (their pieces beyond it are lost). */
  truncatedRows: number;
}

/** Options of `decode`. */
export interface DecodeOptions {
  /** Drop `[PAD] [UNK] [CLS] [SEP] [MASK]`. Default `false` (as HF). */
  skipSpecialTokens?: boolean;
}

interface WordPieces {
  ids: number[];
  wordIds: number[];
}

// The few replacements of HF's WordPiece decoder "cleanup", applied per token.
const DECODE_CLEANUP: readonly [string, string][] = [
  [' .', '.'], [' ?', '?'], [' !', '!'], [' ,', ','], [" ' ", "'"], [" n't", "n't"],
  [" 'm", "'m"], [' do not', " don't"], [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"],
];
const WORD_CACHE_LIMIT = 100_000;

/**
 * Greedy longest-match-first WordPiece tokenizer over a fixed vocab.
 * @example
 * const tok = await loadTokenizer('vocab.txt');
 * const enc = tok.encode('No pneumothorax.', { maxLength: 8 });
 * enc.tokens // ['[CLS]', 'no', 'pneumothorax', '.', '[SEP]', '[PAD]', '[PAD]', '[PAD]']
 */
export class WordPieceTokenizer {
  readonly config: TokenizerConfig;
  /** Tokens by id. */
  readonly vocab: readonly string[];
  readonly specialTokenIds: SpecialTokenIds;
  private readonly ids: Map<string, number>;
  private readonly specialIdSet: Set<number>;
  private readonly specialPattern: RegExp;
  private readonly basicOptions: BasicTokenizerOptions;
  private readonly maxPieceChars: number;
  private readonly wordCache = new Map<string, number[]>();

  /**
   * @param vocab tokens, index = id (as the lines of vocab.txt)
   * @param config overrides of the defaults in `resolveTokenizerConfig`
   * @param source name of the vocab in error messages (e.g. its path)
   */
  constructor(vocab: readonly string[], config: TokenizerConfigInput = {}, source = 'in-memory vocab') {
    this.config = resolveTokenizerConfig(config);
    if (vocab.length === 0) throw new Error(`vocab ${source} is empty`);
    this.vocab = Object.freeze([...vocab]);
    // Later duplicates win, as in HF's load_vocab.
    this.ids = new Map(this.vocab.map((t, i) => [t, i]));
    const specialIds = {} as Record<keyof SpecialTokens, number>;
    for (const [name, token] of Object.entries(this.config.specialTokens) as [keyof SpecialTokens, string][]) {
      const id = this.ids.get(token);
      if (id === undefined) {
        throw new Error(`vocab ${source} lacks the special token ${token} (specialTokens.${name})`);
      }
      specialIds[name] = id;
    }
    this.specialTokenIds = Object.freeze(specialIds);
    this.specialIdSet = new Set(Object.values(specialIds));
    // Special tokens and never-split words written in the text stay whole (HF added tokens, case-sensitive).
    const alternatives = [...new Set([...Object.values(this.config.specialTokens), ...this.config.neverSplit])]
      .sort((a, b) => b.length - a.length)
      .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.specialPattern = new RegExp(`(${alternatives.join('|')})`, 'u');
    this.basicOptions = {
      lowercase: this.config.lowercase,
      stripAccents: this.config.stripAccents,
      tokenizeChineseChars: this.config.tokenizeChineseChars,
    };
    // Pieces never exceed the longest vocab entry, which bounds the inner search.
    this.maxPieceChars = this.vocab.reduce((m, t) => Math.max(m, [...t].length), 1);
  }

  /** Number of ids (vocab lines). */
  get vocabSize(): number {
    return this.vocab.length;
  }

  /** Id of `token`, or undefined when it is not in the vocab. */
  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** Token of `id`, or undefined when out of range. */
  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  /** Word pieces of `text` without `[CLS]`/`[SEP]` (HF `tokenize`). */
  tokenize(text: string): string[] {
    return this.wordPieces(text).ids.map((id) => this.vocab[id] as string);
  }

  /**
   * Encodes one text as `[CLS] pieces [SEP]`, truncated and padded per options.
   * @param text report text
   * @param options maxLength (default config.maxLength), padding ('max_length'), truncation (true)
   * @returns inputIds, attentionMask, wordIds [L] and tokens
   */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    const opts = resolveEncodeOptions(this.config, options);
    const pieces = this.wordPieces(text);
    const kept = this.keptCount(pieces, opts);
    const used = kept + (opts.addSpecialTokens ? 2 : 0);
    const length = opts.padding === 'max_length' ? Math.max(opts.maxLength, used) : used;
    const out = {
      inputIds: new Int32Array(length),
      attentionMask: new Int32Array(length),
      wordIds: new Int32Array(length),
    };
    this.writeRow(pieces, kept, opts.addSpecialTokens, length, out, 0);
    return { ...out, tokens: Array.from(out.inputIds, (id) => this.vocab[id] as string) };
  }

  /**
   * Encodes texts into flat [B, L] arrays. L is `maxLength` with
   * `padding: 'max_length'`, else the longest row of the batch.
   * @param texts B report texts
   * @returns inputIds, attentionMask, wordIds [B, L] flattened; batchSize B; seqLength L
   */
  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): BatchEncoding {
    const opts = resolveEncodeOptions(this.config, options);
    const rows = texts.map((text) => this.wordPieces(text));
    const kept = rows.map((row) => this.keptCount(row, opts));
    const extra = opts.addSpecialTokens ? 2 : 0;
    const longest = kept.reduce((m, k) => Math.max(m, k + extra), extra);
    const seqLength = opts.padding === 'max_length' ? Math.max(opts.maxLength, longest) : longest;
    const batchSize = texts.length;
    const out = {
      inputIds: new Int32Array(batchSize * seqLength),
      attentionMask: new Int32Array(batchSize * seqLength),
      wordIds: new Int32Array(batchSize * seqLength),
    };
    rows.forEach((row, b) => this.writeRow(row, kept[b] as number, opts.addSpecialTokens, seqLength, out, b * seqLength));
    const truncatedRows = rows.reduce((count, row, b) => count + (kept[b]! < row.ids.length ? 1 : 0), 0);
    return { ...out, batchSize, seqLength, truncatedRows };
  }

  /**
   * Turns ids back into text as HF's WordPiece decoder does: `##` pieces glue
   * to the previous token, others are space-separated, and a space before
   * `. , ? !` is dropped.
   * @param ids token ids, e.g. `encode(...).inputIds`
   */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const prefix = this.config.continuingSubwordPrefix;
    const parts: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      const token = this.vocab[id];
      if (!Number.isInteger(id) || token === undefined) {
        throw new RangeError(`decode: id ${id} at position ${i} is outside the vocab [0, ${this.vocab.length})`);
      }
      if (options.skipSpecialTokens && this.specialIdSet.has(id)) continue;
      let piece = token;
      if (parts.length > 0) piece = piece.startsWith(prefix) ? piece.slice(prefix.length) : ` ${piece}`;
      for (const [from, to] of DECODE_CLEANUP) piece = piece.replaceAll(from, to);
      parts.push(piece);
    }
    return parts.join('');
  }

  /** Writes the vocab as vocab.txt (atomically: temp file, then rename). */
  async saveVocab(path: string): Promise<void> {
    await writeVocabFile(path, this.vocab);
  }

  /** Ids and word indices of the text's pieces, special tokens in the text kept whole. */
  private wordPieces(text: string): WordPieces {
    if (typeof text !== 'string') throw new TypeError(`tokenizer: text must be a string, got ${typeof text}`);
    const ids: number[] = [];
    const wordIds: number[] = [];
    let word = 0;
    // split() with a capture group alternates plain text (even) and special tokens (odd).
    text.split(this.specialPattern).forEach((segment, i) => {
      if (i % 2 === 1) {
        // A never-split word missing from the vocab is one [UNK] (config.neverSplit).
        ids.push(this.ids.get(segment) ?? this.specialTokenIds.unk);
        wordIds.push(word++);
        return;
      }
      for (const w of basicTokenize(segment, this.basicOptions)) {
        for (const id of this.wordToIds(w)) {
          ids.push(id);
          wordIds.push(word);
        }
        word++;
      }
    });
    return { ids, wordIds };
  }

  /** Greedy longest-match-first split of one word; the whole word is [UNK] if any part fails. */
  private wordToIds(word: string): number[] {
    const cached = this.wordCache.get(word);
    if (cached) return cached;
    const unk = [this.specialTokenIds.unk];
    const chars = Array.from(word);
    let result: number[] = [];
    if (chars.length > this.config.maxInputCharsPerWord) {
      result = unk;
    } else {
      for (let start = 0; start < chars.length; ) {
        let end = Math.min(chars.length, start + this.maxPieceChars);
        let id: number | undefined;
        for (; end > start; end--) {
          const body = chars.slice(start, end).join('');
          id = this.ids.get(start > 0 ? this.config.continuingSubwordPrefix + body : body);
          if (id !== undefined) break;
        }
        if (id === undefined) {
          result = unk;
          break;
        }
        result.push(id);
        start = end;
      }
    }
    if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
    this.wordCache.set(word, result);
    return result;
  }

  /** How many pieces fit once truncation leaves room for [CLS] and [SEP]. */
  private keptCount(pieces: WordPieces, opts: ResolvedEncodeOptions): number {
    if (!opts.truncation) return pieces.ids.length;
    return Math.min(pieces.ids.length, opts.maxLength - (opts.addSpecialTokens ? 2 : 0));
  }

  /** Fills one row [offset, offset + length) of the output arrays (zeros are already there). */
  private writeRow(
    pieces: WordPieces,
    kept: number,
    addSpecial: boolean,
    length: number,
    out: { inputIds: Int32Array; attentionMask: Int32Array; wordIds: Int32Array },
    offset: number,
  ): void {
    const { inputIds, attentionMask, wordIds } = out;
    let p = offset;
    const put = (id: number, word: number): void => {
      inputIds[p] = id;
      attentionMask[p] = 1;
      wordIds[p] = word;
      p++;
    };
    if (addSpecial) put(this.specialTokenIds.cls, -1);
    for (let i = 0; i < kept; i++) put(pieces.ids[i] as number, pieces.wordIds[i] as number);
    if (addSpecial) put(this.specialTokenIds.sep, -1);
    inputIds.fill(this.specialTokenIds.pad, p, offset + length);
    wordIds.fill(-1, p, offset + length);
  }
}
