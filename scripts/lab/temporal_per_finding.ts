// Lab helper: the fixed-split temporal task per finding for one feature matrix (row i ↔
// records[i]), on the findings with held-out and training pairs, as the suite scores it.
import type { ManifestRecord } from '../../lib/data/manifest.ts';
import { temporalPairsOf } from '../../lib/eval/image_evaluation.ts';
import type { LinearProbeConfig } from '../../lib/eval/linear_probe.ts';
import { selectRows, type Matrix } from '../../lib/eval/matrix.ts';
import { fixedSplitTemporal, pairFeatures, temporalLabelsFromPairs, type TemporalSplitResult } from '../../lib/eval/temporal_classification.ts';

export function temporalPerFinding(x: Matrix, records: readonly ManifestRecord[], cohortDir: string, probe: Partial<LinearProbeConfig> = {}): TemporalSplitResult {
  const rowOf = new Map(records.map((r, i) => [r.id, i]));
  const splitOf = new Map(records.map((r) => [r.id, r.split]));
  const pairs = temporalPairsOf(cohortDir, new Set(rowOf.keys()));
  const isTest = pairs.map((p) => splitOf.get(p.dicomId) !== 'train');
  const input = { features: pairFeatures(selectRows(x, pairs.map((p) => rowOf.get(p.dicomId)!)), selectRows(x, pairs.map((p) => rowOf.get(p.previousDicomId)!))), ...temporalLabelsFromPairs(pairs) };
  const findings = Object.entries(input.labels)
    .filter(([, labels]) => labels.some((v, i) => v !== null && isTest[i]) && labels.some((v, i) => v !== null && !isTest[i]))
    .map(([finding]) => finding);
  return fixedSplitTemporal(input, isTest, { findings, probe });
}

/** Per-finding macro accuracy, rounded for a results line. */
export function macroByFinding(split: TemporalSplitResult): Record<string, number> {
  return Object.fromEntries(split.findings.map((f) => [f.finding, +f.macroAccuracy.toFixed(3)]));
}
