/** Mean ± std summaries of repeated evaluations (seeds, folds), for tables and JSON. */

/** A summary of repeated values. `std` is the population std (ddof 0, numpy's default). */
export interface MeanStd {
  mean: number;
  std: number;
  /** The values summarised, in order. */
  values: number[];
}

/** Mean and population standard deviation (NaN for an empty list). */
export function meanStd(values: ArrayLike<number>): MeanStd {
  const list = Array.from(values);
  if (list.length === 0) return { mean: NaN, std: NaN, values: [] };
  const mean = list.reduce((a, b) => a + b, 0) / list.length;
  const variance = list.reduce((a, b) => a + (b - mean) ** 2, 0) / list.length;
  return { mean, std: Math.sqrt(variance), values: list };
}

/**
 * "0.812 ± 0.013": mean ± population std of `values` (or of a `MeanStd`), with
 * `digits` decimals. A single value prints without "± …" only if `omitZeroStd`.
 */
export function formatMeanStd(values: ArrayLike<number> | MeanStd, digits = 3, options: { omitZeroStd?: boolean } = {}): string {
  const summary = isMeanStd(values) ? values : meanStd(values);
  if (Number.isNaN(summary.mean)) return 'n/a';
  const mean = summary.mean.toFixed(digits);
  if (options.omitZeroStd && summary.values.length <= 1) return mean;
  return `${mean} ± ${summary.std.toFixed(digits)}`;
}

function isMeanStd(x: ArrayLike<number> | MeanStd): x is MeanStd {
  return typeof (x as MeanStd).mean === 'number' && Array.isArray((x as MeanStd).values);
}
