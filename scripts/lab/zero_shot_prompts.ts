// Lab: is zero-shot pneumonia limited by the prompts' wording or by the joint space?
// Scores the held-out studies three ways: the suite's prompts, prompts worded as the
// reports word pneumonia (chosen from the report phrasing before measuring), and, as
// an upper bound for any prompt, the mean report embedding of the training studies
// with and without pneumonia used as the two class embeddings.
// usage: tsx scripts/lab/zero_shot_prompts.ts RUN_FINAL_DIR PREPARED SIZE
import fs from 'node:fs';
import { initBackend } from '../../lib/backend.ts';
import { readManifest } from '../../lib/data/manifest.ts';
import { imageStoreDir } from '../../lib/data/prepare.ts';
import { embedRecords, embedTexts, loadFrozenModel } from '../../lib/eval/embed.ts';
import { REGIMES } from '../../lib/train/regime.ts';
import { matrix, type Matrix } from '../../lib/eval/matrix.ts';
import { PNEUMONIA_PROMPTS } from '../../lib/eval/suite.ts';
import { zeroShotBinary } from '../../lib/eval/zero_shot.ts';
await initBackend({ log: () => {} });
const [finalDir, prepared, size] = process.argv.slice(2);
// The text length the model was trained with; the regime's by default.
const maxTokens = Number(process.env.MAX_TOKENS ?? REGIMES.cpu.maxTokens);
const model = await loadFrozenModel(finalDir!, { maxTokens });
const store = imageStoreDir(prepared!, Number(size));
const all = readManifest(prepared!).records;
const heldOut = all.filter((r) => r.split !== 'train');
const train = all.filter((r) => r.split === 'train');
const pneumonia = (r: (typeof all)[number]) => (r.labels?.Pneumonia === 1 ? 1 : 0);
const labels = heldOut.map(pneumonia);
const emb = await embedRecords(model, store, heldOut);
const REPORT_WORDING = {
  positive: ['airspace opacity concerning for pneumonia', 'consolidative opacity consistent with pneumonia', 'findings compatible with pneumonia', 'right lower lobe pneumonia', 'left lower lobe pneumonia'],
  negative: ['no focal consolidation', 'there is no focal consolidation to suggest pneumonia', 'no consolidation concerning for pneumonia', 'no acute cardiopulmonary process', 'no acute intrathoracic abnormality'],
};
const result: Record<string, number> = {};
for (const [name, prompts] of [['suite_prompts', PNEUMONIA_PROMPTS], ['report_wording', REPORT_WORDING]] as const) {
  result[name] = zeroShotBinary(emb.image, { negative: embedTexts(model, prompts.negative), positive: embedTexts(model, prompts.positive) }, labels).rocAuc;
}
const trainText = (await embedRecords(model, store, train)).text;
const rowsWith = (want: number): Matrix => {
  const rows = train.map((r, i) => (pneumonia(r) === want ? i : -1)).filter((i) => i >= 0);
  const d = trainText.cols;
  const out = new Float32Array(rows.length * d);
  rows.forEach((row, k) => out.set(trainText.data.subarray(row * d, (row + 1) * d), k * d));
  return matrix(out, rows.length, d);
};
result['training_reports'] = zeroShotBinary(emb.image, { negative: rowsWith(0), positive: rowsWith(1) }, labels).rocAuc;
const line = { run: finalDir, n: labels.length, positives: labels.filter((l) => l === 1).length, ...Object.fromEntries(Object.entries(result).map(([k, v]) => [k, +v.toFixed(4)])) };
console.log('RESULT', JSON.stringify(line));
fs.appendFileSync(process.env.LAB_RESULTS ?? 'lab-results.jsonl', JSON.stringify({ kind: 'zero_shot_prompts', ...line }) + '\n');
