/**
 * Radiology report text: sectioning of MIMIC-style free text and the text
 * cleaning of methods §1.6 (impression + findings, lower-cased, sentences,
 * word tokens, ASCII only, one-token sentences dropped, studies with fewer
 * than 3 tokens dropped).
 *
 * De-identification: MIMIC writes removed words as `___`, IU X-ray as `XXXX`
 * (also inside words, e.g. `x-XXXX`). Both become the single token `___`
 * (`DEID_TOKEN`), split off from neighbouring letters, so the two corpora share
 * one placeholder that a tokenizer can keep as one never-split word, and a run
 * like `XXXX XXXX` stays a run of placeholders instead of nonsense word pieces.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DataError, DataIssues, type DataLocation } from './errors.ts';

/** The token that replaces de-identified words (`___` in MIMIC, `XXXX` in IU X-ray). */
export const DEID_TOKEN = '___';

/** One section of a report, in document order. */
export interface ReportSection {
  /** Canonical key: findings, impression, comparison, indication, history, technique,
   * examination, wet_read, final_report, or the header lower-cased with underscores. */
  key: string;
  /** The header as written, without the colon (e.g. `CLINICAL HISTORY`). */
  header: string;
  /** Section text (the rest of the header line and the following lines), trimmed. */
  text: string;
}

/** A report split into sections. */
export interface SectionedReport {
  /** Text before the first header (often empty). */
  preamble: string;
  sections: ReportSection[];
  /** Section texts by key; repeated sections are joined with a newline. */
  byKey: Record<string, string>;
}

// Header spellings that mean the same section.
const SECTION_ALIASES: Record<string, string> = {
  FINDINGS: 'findings',
  FINDING: 'findings',
  IMPRESSION: 'impression',
  IMPRESSIONS: 'impression',
  CONCLUSION: 'impression',
  COMPARISON: 'comparison',
  COMPARISONS: 'comparison',
  INDICATION: 'indication',
  INDICATIONS: 'indication',
  'CLINICAL INDICATION': 'indication',
  'REASON FOR EXAM': 'indication',
  'REASON FOR EXAMINATION': 'indication',
  HISTORY: 'history',
  'CLINICAL HISTORY': 'history',
  TECHNIQUE: 'technique',
  EXAMINATION: 'examination',
  EXAM: 'examination',
  'WET READ': 'wet_read',
  WETREAD: 'wet_read',
  'FINAL REPORT': 'final_report',
  // Further spellings of the MIMIC-CXR section parser (MIT-LCP mimic-cxr, section_parser.py):
  // combined headers count as the impression, as there.
  'FINDINGS AND IMPRESSION': 'impression',
  'FINDINGS/IMPRESSION': 'impression',
  'FINDINGS / IMPRESSION': 'impression',
  'IMPRESSION AND FINDINGS': 'impression',
  'IMPRESSION/FINDINGS': 'impression',
  'CHEST, TWO VIEWS': 'findings',
  'REFERENCE FINDINGS': 'findings',
  'REFERENCE EXAM': 'comparison',
  'COMPARISON EXAM': 'comparison',
  'COMPARISON FILM': 'comparison',
  'CLINICAL INFORMATION': 'history',
  'PATIENT HISTORY': 'history',
  'TYPE OF EXAMINATION': 'examination',
  RECOMMENDATION: 'recommendations',
  RECOMMENDATIONS: 'recommendations',
  'RECOMMENDATION(S)': 'recommendations',
};

// Sections about the request or the procedure, never the reading: a report without
// findings and impression falls back to the rest (see `reportContent`).
const NON_CONTENT_KEYS = new Set(['comparison', 'indication', 'history', 'technique', 'examination', 'wet_read', 'notification', 'recommendations', 'addendum', 'date']);

// An upper-case header at line start followed by a colon; text may follow on the same line.
const COLON_HEADER = /^\s*([A-Z][A-Z0-9 ,&/()'#-]{0,60}?)\s*:(.*)$/;
// Headers written without a colon.
const BARE_HEADER = /^\s*(FINAL REPORT|WET READ)\b[ \t]*(.*)$/;

function sectionKey(header: string): string {
  const normalised = header.replace(/\s+/g, ' ').replace(/\s*\/\s*/g, '/').trim();
  return SECTION_ALIASES[normalised] ?? normalised.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
}

function matchHeader(line: string): { header: string; rest: string } | null {
  const bare = BARE_HEADER.exec(line);
  if (bare) return { header: bare[1]!, rest: bare[2]!.replace(/^:\s*/, '') };
  const colon = COLON_HEADER.exec(line);
  // Require two letters and no lower case, so "Dr. Smith: ..." or "1:30" never start a section.
  if (colon && /[A-Z].*[A-Z]/.test(colon[1]!) && !/[a-z]/.test(colon[1]!)) return { header: colon[1]!.trim(), rest: colon[2]! };
  return null;
}

/**
 * Split report text into sections at upper-case headers (`FINDINGS:`,
 * `IMPRESSION:`, ..., `FINAL REPORT`, `WET READ`) found at line start.
 *
 * @example
 * sectionReport('FINDINGS: Clear lungs.\nIMPRESSION: Normal.').byKey
 * // → { findings: 'Clear lungs.', impression: 'Normal.' }
 */
export function sectionReport(reportText: string): SectionedReport {
  const lines = stripMarkup(reportText).replace(/\r\n?/g, '\n').split('\n');
  const preambleLines: string[] = [];
  const open: Array<{ key: string; header: string; lines: string[] }> = [];
  for (const line of lines) {
    const header = matchHeader(line);
    if (header) {
      open.push({ key: sectionKey(header.header), header: header.header.replace(/\s+/g, ' '), lines: [header.rest] });
    } else if (open.length > 0) {
      open[open.length - 1]!.lines.push(line);
    } else {
      preambleLines.push(line);
    }
  }
  const sections = open.map(({ key, header, lines: body }) => ({ key, header, text: body.join('\n').trim() }));
  const byKey: Record<string, string> = {};
  for (const section of sections) {
    if (section.text === '') continue;
    byKey[section.key] = byKey[section.key] ? `${byKey[section.key]}\n${section.text}` : section.text;
  }
  return { preamble: preambleLines.join('\n').trim(), sections, byKey };
}

// HTML tags (`<BR>`, `</p>`, `<br/>`) that some exports leave in the text; only these names,
// so that a comparison like `< 5 mm >` stays text.
const MARKUP_TAG = /<\/?(br|p|div|li|ul|ol|span|font|b|i|u|em|strong|hr)\b[^<>]*>/gi;

/** Remove HTML-style tags: `<BR>` and `<P>` become line breaks, others a space; nothing of them is left as words. */
export function stripMarkup(text: string): string {
  return text.replace(MARKUP_TAG, (_tag, name: string) => (/^(br|p|div|li)$/i.test(name) ? '\n' : ' '));
}

/** Where the cleaned text of a report comes from when it has no findings and no impression. */
export type ReportFallback =
  /** The last paragraph of the content (as the MIMIC-CXR section parser's `last_paragraph`). */
  | 'last-paragraph'
  /** All of the content. */
  | 'whole-text'
  /** Nothing: such a report is dropped as empty. */
  | 'none';

/** What `reportContent` returns: the impression and findings to clean, and where they came from. */
export interface ReportContent {
  impression: string | null;
  findings: string | null;
  source: 'sections' | ReportFallback;
}

/**
 * The text a report is cleaned from: its impression and findings when it has
 * either. Otherwise (only `FINAL REPORT`, no headers at all, only unknown
 * headers) the report's paragraphs, less the first paragraph of each request or
 * procedure section (indication, history, comparison, technique, examination,
 * wet read, ...), without header words: the last of them, as the
 * MIMIC-CXR section parser's `last_paragraph`, or all of them, by `fallback`
 * (default 'last-paragraph'). The fallback text is passed on as findings.
 */
export function reportContent(reportText: string, fallback: ReportFallback = 'last-paragraph'): ReportContent {
  const { preamble, sections, byKey } = sectionReport(reportText);
  const impression = byKey['impression'] ?? null;
  const findings = byKey['findings'] ?? null;
  if (impression !== null || findings !== null || fallback === 'none') return { impression, findings, source: 'sections' };
  const paragraphs: string[] = [];
  for (const { key, text } of [{ key: 'preamble', text: preamble }, ...sections]) {
    const parts = text.split(/\n[ \t]*\n/).map((part) => part.trim()).filter((part) => part !== '');
    // A request/procedure header owns its first paragraph; what follows a blank line is the reading again.
    paragraphs.push(...(NON_CONTENT_KEYS.has(key) ? parts.slice(1) : parts));
  }
  if (paragraphs.length === 0) return { impression: null, findings: null, source: fallback };
  return { impression: null, findings: fallback === 'whole-text' ? paragraphs.join('\n\n') : paragraphs[paragraphs.length - 1]!, source: fallback };
}

/** Replace `XXXX` (IU) and `___` (MIMIC) runs by a space-separated `DEID_TOKEN`. */
export function normaliseDeidentification(text: string): string {
  return text.replace(/X{3,}|_{2,}/g, ` ${DEID_TOKEN} `);
}

const BOUNDARY = '\u0001';

// A list marker candidate: a 1–2 digit number with `.` or `)` and a space, not inside a word or a decimal.
const LIST_MARKER = /(^|[^\p{L}\p{N}_.])(\d{1,2})[.)][ \t\n]+(?=\S)/gu;

/**
 * Cut numbered-list markers out of text, leaving a sentence boundary in their
 * place. A marker counts at the start of a line or after punctuation, or
 * anywhere when it continues the list (`2.` after `1.`), so `1. Edema 2. Stable
 * cardiomegaly` splits the same whether or not the report wraps before `2.`.
 */
function cutListMarkers(text: string): string {
  let previous = 0;
  return text.replace(LIST_MARKER, (match: string, before: string, digits: string, offset: number) => {
    const number = Number(digits);
    const preceding = text.slice(0, offset + before.length).replace(/[ \t]+$/, '');
    const atBoundary = preceding === '' || /[.:;!?\n]$/.test(preceding);
    // A list starts at a boundary; only its continuation (2 after 1, ...) may follow a word.
    if (!atBoundary && !(previous >= 1 && number === previous + 1)) return match;
    previous = number;
    return `${before}${BOUNDARY}`;
  });
}

/**
 * Split text into sentences: at `.`, `!` or `?` followed by white space or the
 * end, at numbered-list markers (see `cutListMarkers`; the marker itself is
 * removed) and at blank lines. Decimals like `2.5` stay whole; single line
 * breaks (report line wrapping) do not split.
 */
export function splitSentences(text: string): string[] {
  const marked = cutListMarkers(text.replace(/\r\n?/g, '\n'))
    .replace(/\n[ \t]*\n/g, BOUNDARY)
    .replace(/([.!?])(?=\s|$)/g, `$1${BOUNDARY}`);
  return marked
    .split(BOUNDARY)
    .map((sentence) => sentence.replace(/\s+/g, ' ').trim())
    .filter((sentence) => sentence !== '');
}

// Decimal numbers, or runs of letters, marks, digits and underscores (Python's `\w+`).
const WORD = /\d+\.\d+|[\p{L}\p{M}\p{N}_]+/gu;

/**
 * Word-tokenise one sentence: lower-cased word tokens with non-ASCII characters
 * removed (tokens left empty are dropped). `DEID_TOKEN` stays one token.
 *
 * @example tokenizeWords('No pleural effusion, 2.5 cm.') // → ['no', 'pleural', 'effusion', '2.5', 'cm']
 */
export function tokenizeWords(sentence: string): string[] {
  const tokens: string[] = [];
  for (const match of normaliseDeidentification(sentence).toLowerCase().matchAll(WORD)) {
    const ascii = match[0].replace(/[^\x00-\x7f]/g, '');
    if (ascii !== '') tokens.push(ascii);
  }
  return tokens;
}

/** A report after §1.6 cleaning. */
export interface CleanedReport {
  /** Kept sentences as word tokens (each with at least 2 tokens). */
  sentences: string[][];
  /** Kept sentences as space-joined tokens. */
  sentenceTexts: string[];
  /** All kept sentences, joined as `s1. s2.` */
  text: string;
  /** Total number of tokens over the kept sentences. */
  tokenCount: number;
}

/** Options for `cleanReportText`. */
export interface CleanReportOptions {
  /** What a report without findings and impression is cleaned from (default 'last-paragraph'; see `reportContent`). */
  fallback?: ReportFallback;
  /** Sentences with fewer tokens are dropped (default 2: one-token sentences go). */
  minSentenceTokens?: number;
  /** Reports with fewer tokens after cleaning are dropped (default 3). */
  minReportTokens?: number;
  /** Where 'empty-report' / 'short-report' issues go (strict mode throws). */
  issues?: DataIssues;
  /** Location for issue messages (file, row). */
  where?: DataLocation;
}

/**
 * Clean a report by methods §1.6: impression then findings, sentences,
 * word tokens, short sentences and short reports dropped.
 *
 * @param impression Impression text or null/blank.
 * @param findings Findings text or null/blank.
 * @returns the cleaned report, or null (with an 'empty-report' or 'short-report'
 *   issue) when both sections are blank or fewer than 3 tokens remain.
 */
export function cleanReportText(
  impression: string | null | undefined,
  findings: string | null | undefined,
  options: CleanReportOptions = {},
): CleanedReport | null {
  const minSentenceTokens = options.minSentenceTokens ?? 2;
  const minReportTokens = options.minReportTokens ?? 3;
  const issues = options.issues ?? new DataIssues();
  const parts = [impression, findings].map((part) => (part ?? '').trim()).filter((part) => part !== '');
  if (parts.length === 0) {
    issues.report(new DataError('empty-report', 'no impression and no findings', options.where));
    return null;
  }
  // Sections are split separately so a missing final period cannot glue impression to findings.
  const sentences = parts
    .flatMap((part) => splitSentences(part))
    .map((sentence) => tokenizeWords(sentence))
    .filter((tokens) => tokens.length >= minSentenceTokens);
  const tokenCount = sentences.reduce((sum, tokens) => sum + tokens.length, 0);
  if (tokenCount < minReportTokens) {
    issues.report(
      new DataError('short-report', `only ${tokenCount} token(s) after cleaning (need ${minReportTokens})`, options.where),
    );
    return null;
  }
  const sentenceTexts = sentences.map((tokens) => tokens.join(' '));
  return { sentences, sentenceTexts, text: sentenceTexts.map((sentence) => `${sentence}.`).join(' '), tokenCount };
}

/** Section and clean one MIMIC-style report text (impression + findings of `sectionReport`). */
export function cleanSectionedReport(reportText: string, options: CleanReportOptions = {}): CleanedReport | null {
  const { impression, findings } = reportContent(reportText, options.fallback);
  return cleanReportText(impression, findings, options);
}

/** A report file read from disk: its sections and the cleaned text (null when dropped). */
export interface ReportFile {
  path: string;
  sectioned: SectionedReport;
  cleaned: CleanedReport | null;
}

/**
 * Read a MIMIC-CXR report file (`files/pNN/p<subject>/s<study>.txt`), section and clean it.
 * @throws DataError 'bad-file' when the file cannot be read.
 */
export function readReportFile(path: string, options: CleanReportOptions = {}): ReportFile {
  let reportText: string;
  try {
    reportText = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DataError('bad-file', `cannot read report: ${(error as Error).message}`, { file: path });
  }
  const sectioned = sectionReport(reportText);
  const cleaned = cleanSectionedReport(reportText, { ...options, where: options.where ?? { file: basename(path) } });
  return { path, sectioned, cleaned };
}
