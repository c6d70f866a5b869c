// Lab: the 100 % probe's AUROC per label (the five competition labels and Pneumonia, zero-shot's
// label) for a model's frozen encoder feature, beside the raw-pixel reference's: which findings
// a pre-trained encoder misses that the pixels carry.
// usage: tsx scripts/lab/per_label.ts PREPARED SIZE (RUN_FINAL | 'JSON {method, model}')
import fs from 'node:fs';
import { initBackend } from '../../lib/backend.ts';
import { CHEXPERT_COMPETITION_LABELS } from '../../lib/data/labels.ts';
import { readManifest, type ManifestRecord } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { embedRecords } from '../../lib/eval/embed.ts';
import { competitionTargets } from '../../lib/eval/image_evaluation.ts';
import { fitLinearProbe, probeScores } from '../../lib/eval/linear_probe.ts';
import { selectRows, type Matrix } from '../../lib/eval/matrix.ts';
import { rocAucMultiLabel } from '../../lib/eval/metrics.ts';
import { rawPixelFeatures } from '../../lib/eval/raw_pixels.ts';
import { frozenModelFrom } from './model_source.ts';

await initBackend({ log: () => {} });
const [prepared, size, source] = process.argv.slice(2) as [string, string, string];
const { records } = readManifest(prepared);
const store = imageStoreDir(prepared, Number(size));
const LABELS = [...CHEXPERT_COMPETITION_LABELS, 'Pneumonia'] as const;
const targets = (r: ManifestRecord) => [...competitionTargets(r), r.labels?.Pneumonia === 1 ? 1 : 0];

/** Test AUROC per label of a probe fitted on the training split (one multi-label probe). */
function perLabel(features: Matrix): Record<string, number> {
  const rows = (keep: (split: string) => boolean) => records.flatMap((r, i) => (keep(r.split) ? [i] : []));
  const train = rows((s) => s === 'train');
  const test = rows((s) => s !== 'train');
  const y = (idx: number[]) => Float32Array.from(idx.flatMap((i) => targets(records[i]!)));
  const probe = fitLinearProbe(selectRows(features, train), { data: y(train), rows: train.length, cols: LABELS.length }, { loss: 'sigmoid' });
  const auc = rocAucMultiLabel(y(test), probeScores(probe, selectRows(features, test)).data, LABELS.length, { onUndefined: 'skip' });
  return Object.fromEntries(LABELS.map((l, c) => [l, +auc.perClass[c]!.toFixed(3)]));
}

const model = await frozenModelFrom(source, records);
const encoder = perLabel((await embedRecords(model, store, records)).imageFeatures);
model.method.dispose();
const raw = perLabel(rawPixelFeatures(store, records, { crop: model.crop }));
for (const [row, values] of [['raw_pixels', raw], ['encoder', encoder]] as const) {
  const line = { script: 'per_label', source: source.slice(0, 80), row, ...values };
  console.log('RESULT', JSON.stringify(line));
  fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
}
