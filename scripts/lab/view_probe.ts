// Lab: is a two-view (MoVE) model's frontal-only encoder feature, which every downstream
// probe reads, worse than its two-view feature? Embeds every study both ways (centre
// crops; the two-view feature of a study without a lateral is its frontal-only one) and
// scores each with the suite's 100 % probe and fixed-split temporal task (lab notebook §37).
// usage: tsx scripts/lab/view_probe.ts RUN_FINAL_DIR PREPARED COHORT SIZE
import fs from 'node:fs';
import { initBackend } from '../../lib/backend.ts';
import { BatchLoader } from '../../lib/data/batches.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { loadFrozenModel } from '../../lib/eval/embed.ts';
import { evaluateImageFeatures } from '../../lib/eval/image_evaluation.ts';
import { matrix } from '../../lib/eval/matrix.ts';
import { REGIMES } from '../../lib/train/regime.ts';
import type { MedST } from '../../lib/methods/medst.ts';
import { twoViewEmbeddings } from './two_view.ts';

await initBackend({ log: () => {} });
const [finalDir, prepared, cohort, size] = process.argv.slice(2) as [string, string, string, string];
const maxTokens = Number(process.env.MAX_TOKENS ?? REGIMES.cpu.maxTokens);
const model = await loadFrozenModel(finalDir, { maxTokens });
const method = model.method as MedST;
if (!method.config.useLateral) throw new Error(`${finalDir}: a frontal-only model has one feature per study; this compares two-view models`);
const { records } = readManifest(prepared);
const loader = new BatchLoader(imageStoreDir(prepared, Number(size)), records, model.tokenizer, { chunkLength: 1, chunksPerBatch: 64, crop: model.crop, augment: false, shuffle: false, seed: 0, maxTokens, useWorker: false, lateral: true, sentences: 0 });
const byId = new Map<string, { single: Float32Array; both: Float32Array }>();
let width = 0;
for await (const { batch, frontalOnly, twoView } of twoViewEmbeddings(method, loader, 'imageFeatures')) {
  width = frontalOnly.length / batch.rows;
  batch.records.forEach((r, i) => byId.set(r.id, { single: frontalOnly.slice(i * width, (i + 1) * width), both: twoView.slice(i * width, (i + 1) * width) }));
}
await loader.close();
for (const view of ['single', 'both'] as const) {
  const data = new Float32Array(records.length * width);
  records.forEach((r, i) => data.set(byId.get(r.id)![view], i * width));
  const m = evaluateImageFeatures(matrix(data, records.length, width), records, cohort, { curve: true }).metrics;
  const line = { script: 'view_probe', source: finalDir, features: view === 'single' ? 'frontal_only' : 'frontal+lateral', probe_auroc_100: +m.probe_auroc_100!.value.toFixed(4), temporal_macro_acc: +(m.temporal_macro_acc?.value ?? Number.NaN).toFixed(4) };
  console.log('RESULT', JSON.stringify(line));
  fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify(line) + '\n');
}
method.dispose();
