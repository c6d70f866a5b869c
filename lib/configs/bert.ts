/**
 * Typed configuration of the BERT-style text encoder (Med-ST §1.2). Defaults
 * live only in `resolveBertConfig`.
 */

/** Architecture of a BERT encoder (post-LN, exact GELU, absolute positions). */
export interface BertConfig {
  /** Discriminant for the encoder registry. */
  kind: 'bert';
  /** Word-piece vocabulary size (use the tokenizer's `vocabSize`). */
  vocabSize: number;
  /** Hidden width W. */
  width: number;
  /** Transformer layers actually built (Med-ST keeps the first 6 of Bio_ClinicalBERT's 12). */
  layers: number;
  /** Attention heads (width must be divisible by it). */
  heads: number;
  /** Feed-forward hidden width. */
  intermediateSize: number;
  /** Position-embedding table size (longest sequence L). */
  maxPositions: number;
  /** Token-type vocabulary (BERT: 2). */
  typeVocabSize: number;
  /** LayerNorm epsilon (BERT: 1e-12). */
  layerNormEps: number;
  /** Std of the truncated-normal init (BERT: 0.02). */
  initStd: number;
}

/** Overrides accepted by `resolveBertConfig`. */
export type BertConfigInput = Partial<BertConfig>;

/**
 * CPU-trainable preset: width 128, 2 layers, 2 heads. `vocabSize` is
 * Bio_ClinicalBERT's; override it with a smaller tokenizer's `vocabSize`.
 */
export const BERT_TINY = {
  kind: 'bert',
  vocabSize: 28996,
  width: 128,
  layers: 2,
  heads: 2,
  intermediateSize: 512,
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  initStd: 0.02,
} as const satisfies BertConfig;

/** Paper preset: Bio_ClinicalBERT shape (bert-base-cased vocab), first 6 of 12 layers. */
export const BERT_PAPER = {
  ...BERT_TINY,
  width: 768,
  layers: 6,
  heads: 12,
  intermediateSize: 3072,
} as const satisfies BertConfig;

/** The BERT presets by name. */
export const BERT_PRESETS = { tiny: BERT_TINY, paper: BERT_PAPER } as const;

/**
 * Fills defaults (the `tiny` preset) and validates.
 * @example resolveBertConfig({ vocabSize: tokenizer.vocabSize }).layers // 2
 */
export function resolveBertConfig(input: BertConfigInput = {}): BertConfig {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as BertConfigInput;
  const config: BertConfig = { ...BERT_TINY, ...defined, kind: 'bert' };
  for (const key of ['vocabSize', 'width', 'layers', 'heads', 'intermediateSize', 'maxPositions', 'typeVocabSize'] as const) {
    const v = config[key];
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`resolveBertConfig: ${key} must be a positive integer, got ${v}`);
  }
  if (config.width % config.heads !== 0) throw new Error(`resolveBertConfig: width ${config.width} is not divisible by heads ${config.heads}`);
  if (!(config.layerNormEps > 0) || !(config.initStd > 0)) throw new Error('resolveBertConfig: layerNormEps and initStd must be positive');
  return config;
}
