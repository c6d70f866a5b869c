/**
 * BERT basic tokenisation: text clean-up, CJK spacing, accent stripping,
 * lower-casing, then splitting on whitespace and punctuation.
 *
 * Written here rather than taken from `@huggingface/tokenizers` (0.2.0): its
 * BertNormalizer walks UTF-16 code units, so CJK ideographs outside the BMP
 * (U+20000…) are not spaced and a word like "a𠀀b" becomes one [UNK] where HF
 * gives "a [UNK] b"; it lower-cases whole strings (JS final-sigma rule) where
 * HF's Rust normalizer maps each code point on its own; and its encodings carry
 * no word boundaries, which medst needs for `wordIds`. The rules below follow
 * the Rust `BertNormalizer` / `BertPreTokenizer` that `transformers` (>= 5)
 * runs for `BertTokenizer`; the parity tests in tests/data/tokenizer.test.ts
 * check them against it.
 */

/** Normalisation switches (a subset of `TokenizerConfig`). */
export interface BasicTokenizerOptions {
  lowercase: boolean;
  /** `null` follows `lowercase`. */
  stripAccents: boolean | null;
  tokenizeChineseChars: boolean;
}

// Rust char::is_whitespace (Unicode White_Space), minus nothing: controls among
// them (\v \f \x85) are removed before this test is reached.
const WHITESPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;
// Other categories except unassigned (Cn): HF's Rust normalizer keeps
// unassigned code points (they become [UNK]); the legacy Python one drops them.
const CONTROL = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u;
// ASCII punctuation plus every Unicode P* category, as BERT defines it.
const PUNCTUATION = /^[!-/:-@[-`{-~\p{P}]$/u;
const NONSPACING_MARK = /\p{Mn}/gu;

/**
 * Whether `cp` is a CJK ideograph in BERT's sense (not Hangul, kana). The
 * range starting at 0x2B920 (not 0x2B820 as in Google's BERT and HF's legacy
 * Python tokenizer) is what HF's Rust normalizer uses, so we follow it.
 */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Whether `ch` (one code point) is BERT punctuation. */
export function isPunctuation(ch: string): boolean {
  return PUNCTUATION.test(ch);
}

/** Whether `ch` (one code point) is whitespace after clean-up rules. */
export function isWhitespace(ch: string): boolean {
  return WHITESPACE.test(ch);
}

function isControl(ch: string): boolean {
  // Tab, newline and carriage return are Cc but count as whitespace.
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return CONTROL.test(ch);
}

/**
 * BERT normalisation of one piece of text, in the Rust order: clean
 * (drop NUL, U+FFFD and controls; map whitespace to ' '), space CJK, strip
 * accents, lower-case.
 */
export function normalizeBert(text: string, options: BasicTokenizerOptions): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    if (isWhitespace(ch)) out += ' ';
    else if (options.tokenizeChineseChars && isChineseChar(cp)) out += ` ${ch} `;
    else out += ch;
  }
  if (options.stripAccents ?? options.lowercase) {
    out = out.normalize('NFD').replace(NONSPACING_MARK, '');
  }
  if (options.lowercase) out = lowercasePerCodePoint(out);
  return out;
}

/**
 * Lower-cases code point by code point, as Rust's `char::to_lowercase` does:
 * String#toLowerCase would apply the final-sigma context rule (Σ → ς).
 */
function lowercasePerCodePoint(text: string): string {
  if (!text.includes('\u03a3')) return text.toLowerCase(); // only Σ is context-dependent
  let out = '';
  for (const ch of text) out += ch.toLowerCase();
  return out;
}

/**
 * Splits normalised text into words: on whitespace (dropped) and around each
 * punctuation character (kept as its own word).
 * @example preTokenizeBert('1.5 cm') // ['1', '.', '5', 'cm']
 */
export function preTokenizeBert(normalized: string): string[] {
  const words: string[] = [];
  let current = '';
  for (const ch of normalized) {
    if (isWhitespace(ch)) {
      if (current) words.push(current);
      current = '';
    } else if (isPunctuation(ch)) {
      if (current) words.push(current);
      words.push(ch);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) words.push(current);
  return words;
}

/** Normalises and pre-tokenises `text` into BERT words. */
export function basicTokenize(text: string, options: BasicTokenizerOptions): string[] {
  return preTokenizeBert(normalizeBert(text, options));
}
