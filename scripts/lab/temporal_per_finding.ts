// Lab helper: the fixed-split temporal task per finding for one feature matrix (row i ↔
// records[i]), on the findings with held-out and training pairs, as the suite scores it.
import type { ManifestRecord } from '../../lib/data/manifest.ts';
import { temporalSplitInput } from '../../lib/eval/image_evaluation.ts';
import type { LinearProbeConfig } from '../../lib/eval/linear_probe.ts';
import type { Matrix } from '../../lib/eval/matrix.ts';
import { fixedSplitTemporal, type TemporalSplitResult } from '../../lib/eval/temporal_classification.ts';

export function temporalPerFinding(x: Matrix, records: readonly ManifestRecord[], cohortDir: string, probe: Partial<LinearProbeConfig> = {}): TemporalSplitResult {
  const { input, isTest, findings } = temporalSplitInput(x, records, cohortDir);
  return fixedSplitTemporal(input, isTest, { findings, probe });
}

/** Per-finding macro accuracy, rounded for a results line. */
export function macroByFinding(split: TemporalSplitResult): Record<string, number> {
  return Object.fromEntries(split.findings.map((f) => [f.finding, +f.macroAccuracy.toFixed(3)]));
}
