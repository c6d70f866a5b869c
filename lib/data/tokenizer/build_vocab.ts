/**
 * WordPiece vocabulary training from a corpus, in the manner of HF's
 * `WordPieceTrainer` (`@huggingface/tokenizers` 0.2.0 is inference-only):
 * BPE-style merges over the pre-tokenised word counts, where every symbol
 * after the first of a word carries the `##` prefix.
 *
 * Unlike the Rust trainer, whose ties fall out of HashMap order, this one is
 * deterministic: the most frequent pair wins and ties go to the
 * lexicographically smallest (left, right) pair of strings.
 */
import { basicTokenize } from './basic.ts';
import { DEFAULT_SPECIAL_TOKENS, resolveTokenizerConfig, type TokenizerConfigInput } from './config.ts';

/** Options of `buildWordPieceVocab`. */
export interface BuildVocabOptions {
  /**
   * Target vocab size, special tokens included. Merges stop there; the
   * character alphabet is always kept whole, so a tiny target may be exceeded.
   * Default 30000.
   */
  vocabSize: number;
  /** A pair must occur at least this often (weighted by word counts) to merge. Default 2. */
  minFrequency: number;
  /** Lower-case before counting, as the tokenizer will. Default `true`. */
  lowercase: boolean;
  /** Accent stripping; `null` follows `lowercase`. Default `null`. */
  stripAccents: boolean | null;
  /** Space CJK ideographs. Default `true`. */
  tokenizeChineseChars: boolean;
  /** Continuation prefix. Default `##`. */
  continuingSubwordPrefix: string;
  /** Words longer than this (code points) are skipped: they encode as [UNK] anyway. Default 100. */
  maxInputCharsPerWord: number;
  /** Tokens placed first, in this order (ids 0…). Default `[PAD] [UNK] [CLS] [SEP] [MASK]`. */
  specialTokens: readonly string[];
  /** Words that get their own entry right after the special tokens and are never split (default `['___']`). */
  neverSplit: readonly string[];
}

/** Fills in the defaults of `BuildVocabOptions`. */
export function resolveBuildVocabOptions(options: Partial<BuildVocabOptions> = {}): BuildVocabOptions {
  const resolved: BuildVocabOptions = {
    vocabSize: options.vocabSize ?? 30000,
    minFrequency: options.minFrequency ?? 2,
    lowercase: options.lowercase ?? true,
    stripAccents: options.stripAccents ?? null,
    tokenizeChineseChars: options.tokenizeChineseChars ?? true,
    continuingSubwordPrefix: options.continuingSubwordPrefix ?? '##',
    maxInputCharsPerWord: options.maxInputCharsPerWord ?? 100,
    specialTokens: options.specialTokens ?? Object.values(DEFAULT_SPECIAL_TOKENS),
    neverSplit: options.neverSplit ?? resolveTokenizerConfig().neverSplit,
  };
  if (!Number.isInteger(resolved.vocabSize) || resolved.vocabSize < 1 || resolved.vocabSize >= MAX_SYMBOLS) {
    throw new Error(`buildWordPieceVocab: vocabSize must be an integer in [1, ${MAX_SYMBOLS}), got ${resolved.vocabSize}`);
  }
  if (!(resolved.minFrequency >= 0)) {
    throw new Error(`buildWordPieceVocab: minFrequency must be >= 0, got ${resolved.minFrequency}`);
  }
  if (new Set(resolved.specialTokens).size !== resolved.specialTokens.length) {
    throw new Error('buildWordPieceVocab: specialTokens has duplicates');
  }
  // Same checks on the shared fields as the tokenizer config.
  resolveTokenizerConfig(toTokenizerConfig(resolved));
  return resolved;
}

/** The tokenizer settings that match a vocab built with these options. */
export function toTokenizerConfig(options: BuildVocabOptions): TokenizerConfigInput {
  return {
    lowercase: options.lowercase,
    stripAccents: options.stripAccents,
    tokenizeChineseChars: options.tokenizeChineseChars,
    continuingSubwordPrefix: options.continuingSubwordPrefix,
    maxInputCharsPerWord: options.maxInputCharsPerWord,
    neverSplit: options.neverSplit,
  };
}

function neverSplitPattern(words: readonly string[]): RegExp | null {
  if (words.length === 0) return null;
  return new RegExp([...words].sort((a, b) => b.length - a.length).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu');
}

// Pair keys pack two symbol ids into one safe integer.
const MAX_SYMBOLS = 2 ** 21;
const pairKey = (a: number, b: number): number => a * MAX_SYMBOLS + b;

interface HeapEntry {
  key: number;
  count: number;
}

/**
 * Trains a WordPiece vocab: special tokens, then the alphabet (every
 * character, then `##c` for characters seen inside words, each sorted by code
 * point), then merged pieces in merge order. Every word of the corpus up to
 * `maxInputCharsPerWord` long encodes without [UNK], since its single
 * characters are all in the vocab.
 * @param corpus texts (reports, sentences); iterated once
 * @returns tokens, index = id; write them with `writeVocabFile`
 * @example buildWordPieceVocab(['no effusion', 'small effusion'], { vocabSize: 60, minFrequency: 1 })
 */
export function buildWordPieceVocab(corpus: Iterable<string>, options: Partial<BuildVocabOptions> = {}): string[] {
  const opts = resolveBuildVocabOptions(options);
  const prefix = opts.continuingSubwordPrefix;

  // Never-split words are cut out of the text first, as the tokenizer does, so their characters are not counted.
  const neverSplit = neverSplitPattern(opts.neverSplit);
  const wordCounts = new Map<string, number>();
  for (const text of corpus) {
    for (const word of basicTokenize(neverSplit ? text.replace(neverSplit, ' ') : text, opts)) {
      if ([...word].length > opts.maxInputCharsPerWord) continue;
      wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
    }
  }

  const vocab: string[] = [];
  const idOf = new Map<string, number>();
  const add = (token: string): number => {
    let id = idOf.get(token);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(token);
      idOf.set(token, id);
    }
    return id;
  };
  opts.specialTokens.forEach(add);
  opts.neverSplit.forEach(add);

  const initial = new Set<string>();
  const inner = new Set<string>();
  for (const word of wordCounts.keys()) {
    [...word].forEach((ch, i) => (i === 0 ? initial : inner).add(ch));
  }
  const byCodePoint = (a: string, b: string): number => (a.codePointAt(0) as number) - (b.codePointAt(0) as number);
  [...new Set([...initial, ...inner])].sort(byCodePoint).forEach(add);
  [...inner].sort(byCodePoint).forEach((ch) => add(prefix + ch));

  // Words as symbol-id sequences; counts, and which words hold each pair.
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push([...word].map((ch, i) => idOf.get(i === 0 ? ch : prefix + ch) as number));
    counts.push(count);
  }
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1, changed: Set<number> | null): void => {
    const symbols = words[w] as number[];
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i] as number, symbols[i + 1] as number);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * (counts[w] as number));
      if (sign > 0) {
        let holders = pairWords.get(key);
        if (!holders) pairWords.set(key, (holders = new Set()));
        holders.add(w);
        changed?.add(key);
      }
    }
  };
  words.forEach((_, w) => addPairs(w, 1, null));

  const before = (x: HeapEntry, y: HeapEntry): boolean => {
    if (x.count !== y.count) return x.count > y.count;
    return comparePairs(x.key, y.key, vocab) < 0;
  };
  const heap = new BinaryHeap<HeapEntry>(before);
  for (const [key, count] of pairCounts) heap.push({ key, count });

  while (vocab.length < opts.vocabSize && heap.size > 0) {
    const top = heap.pop() as HeapEntry;
    const current = pairCounts.get(top.key) ?? 0;
    if (top.count !== current) {
      // Stale: counts that fell are re-queued; counts that rose were pushed afresh.
      if (current > 0 && current < top.count) heap.push({ key: top.key, count: current });
      continue;
    }
    if (current <= 0 || current < opts.minFrequency) break;
    const a = Math.floor(top.key / MAX_SYMBOLS);
    const b = top.key % MAX_SYMBOLS;
    const right = vocab[b] as string;
    const merged = add((vocab[a] as string) + (right.startsWith(prefix) ? right.slice(prefix.length) : right));

    const changed = new Set<number>();
    for (const w of pairWords.get(top.key) ?? []) {
      const symbols = words[w] as number[];
      if (!containsPair(symbols, a, b)) continue;
      addPairs(w, -1, null);
      const next: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          next.push(merged);
          i++;
        } else {
          next.push(symbols[i] as number);
        }
      }
      words[w] = next;
      addPairs(w, 1, changed);
    }
    pairWords.delete(top.key);
    for (const key of changed) {
      const count = pairCounts.get(key) ?? 0;
      if (count > 0) heap.push({ key, count });
    }
  }
  return vocab;
}

function containsPair(symbols: readonly number[], a: number, b: number): boolean {
  for (let i = 0; i + 1 < symbols.length; i++) if (symbols[i] === a && symbols[i + 1] === b) return true;
  return false;
}

/** Orders pairs by (left string, right string), code-unit order. */
function comparePairs(x: number, y: number, vocab: readonly string[]): number {
  const xl = vocab[Math.floor(x / MAX_SYMBOLS)] as string;
  const yl = vocab[Math.floor(y / MAX_SYMBOLS)] as string;
  if (xl !== yl) return xl < yl ? -1 : 1;
  const xr = vocab[x % MAX_SYMBOLS] as string;
  const yr = vocab[y % MAX_SYMBOLS] as string;
  return xr === yr ? 0 : xr < yr ? -1 : 1;
}

/** Minimal binary heap; `before(x, y)` is true when x should come out first. */
class BinaryHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (x: T, y: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i] as T, items[parent] as T)) break;
      [items[i], items[parent]] = [items[parent] as T, items[i] as T];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && this.before(items[l] as T, items[best] as T)) best = l;
        if (r < items.length && this.before(items[r] as T, items[best] as T)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best] as T, items[i] as T];
        i = best;
      }
    }
    return top;
  }
}
