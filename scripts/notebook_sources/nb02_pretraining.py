NAME = "02-pretraining.ipynb"
CELLS = [
("md", """
# 02 · Staged pre-training: Med-ST, then PRIOR and IMITATE

Pre-train Med-ST on the synthetic cohort through the simple-to-complex schedule —
global + local alignment, then + forward mapping classification (FMC), then +
reverse mapping regression (RMR) — watching every loss term live with the stage
boundaries, the throughput, and then look inside the model: where words attend
on the image, and how a patient's studies align in time. The last sections train PRIOR through
the same method slot and show its reconstructions and prototype usage, then
IMITATE: its two augmented views and which reports its clinical-informed loss
treats as soft positives.

`MEDST_NOTEBOOK_PROFILE=test` (used by `npm test`) shrinks everything to a
minute; the default profile trains the `cpu` regime (64 px, VGG-stem ViT-MoVE,
32 pairs per step) like the demo's Med-ST row, and measures a linear probe and
the temporal accuracy after every epoch, so you can see it learn.
"""),
("code", """
import * as medst from "./dist/index.js";
import * as tf from "@tensorflow/tfjs-core";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

await medst.initBackend({ log: console.log });
const test = (process.env.MEDST_NOTEBOOK_PROFILE ?? "full") === "test";
const workDir = path.resolve("out", "notebooks", "02-pretraining");
// The `cpu` regime (lib/train/regime.ts) is what learns on a 2-core machine; the test profile shrinks it.
const regime = test ? medst.REGIMES.quick : medst.REGIMES.cpu;
const S = regime.imageSize;             // stored image side
const C = regime.crop;                  // crop = ViT input
const overrides = { ...regime.models.medst.overrides, seed: 1 };
const lr = regime.learningRate;
const epochs = test ? 1 : regime.epochsPerSlot;
const stages = [
  { name: "align", epochs: epochs, losses: { global: 1, local: 1 }, chunkLength: 2, learningRate: lr, warmupFraction: 0.1 },
  { name: "align+fmc", epochs: epochs, losses: { global: 1, local: 1, fmc: 1 }, chunkLength: 3, learningRate: lr / 2, warmupFraction: 0.1 },
  { name: "align+fmc+rmr", epochs: epochs, losses: { global: 1, local: 1, fmc: 1, rmr: 1 }, chunkLength: 4, learningRate: lr / 4, warmupFraction: 0.1 },
];
console.log(medst.describeSchedule(stages));
"""),
("md", "## Data: a cohort, prepared"),
("code", """
fs.rmSync(workDir, { recursive: true, force: true });
execFileSync(process.execPath, ["--import=tsx", "data-prep/synth.ts", "--out", path.join(workDir, "cohort"), "--patients", test ? "24" : "400", "--size", test ? "128" : "256", "--seed", "1"], { stdio: ["ignore", "pipe", "pipe"] });
const prepared = await medst.prepareDataset({ mimicRoot: path.join(workDir, "cohort"), outDir: path.join(workDir, "prepared"), size: S });
console.log(`${prepared.info.records} records, ${prepared.info.splits.train} for training, ${prepared.info.withLateral} with a lateral view`);
"""),
("md", """
## Train, watching every term

A progress bar per stage (steps, loss terms, pairs/s, time left), each loss term
per step (unweighted) with the stage boundaries, the throughput in image–report
pairs per second, and the learning curve after each epoch. The plots redraw while
the cell runs. **Kernel › Interrupt** stops training before its next step and
saves a checkpoint; running the cell again resumes from it (to start over, delete
the run folder or re-run the data cell).
"""),
("code", """
// The progress bar first: it shows above the plots.
const progress = medst.trainingProgress();
const curvePlot = medst.liveFigure({ data: [], layout: { title: { text: "Probe AUROC and temporal macro accuracy after each epoch" }, height: 320 } });
const curve = [];
const drawCurve = () => curvePlot.update({
  data: [
    { x: curve.map((p) => p.epoch), y: curve.map((p) => p.metrics.probe_auroc_100?.value), type: "scatter", mode: "lines+markers", name: "probe AUROC (100 %)" },
    { x: curve.map((p) => p.epoch), y: curve.map((p) => p.metrics.temporal_macro_acc?.value), type: "scatter", mode: "lines+markers", name: "temporal macro acc" },
  ],
  layout: { title: { text: "Learning curve (held-out images / pairs)" }, xaxis: { title: { text: "epoch" } }, height: 320 },
});
const lossPlot = medst.liveFigure({ data: [], layout: { title: { text: "Loss terms" }, height: 380 } });
const speedPlot = medst.liveFigure({ data: [], layout: { title: { text: "Throughput" }, height: 260 } });
const steps = [];
const boundaries = [];
const draw = () => {
  const terms = ["global", "local", "fmc", "rmr"];
  const shapes = boundaries.map((b) => ({ type: "line", x0: b.step, x1: b.step, yref: "paper", y0: 0, y1: 1, line: { dash: "dot", color: "#888" } }));
  const annotations = boundaries.map((b) => ({ x: b.step, y: 1, yref: "paper", text: b.name, showarrow: false, xanchor: "left", yanchor: "bottom", font: { size: 10 } }));
  lossPlot.update({
    data: terms.map((k) => ({ x: steps.filter((s) => s.terms[k] !== undefined).map((s) => s.step), y: steps.filter((s) => s.terms[k] !== undefined).map((s) => s.terms[k]), type: "scatter", mode: "lines", name: k })),
    layout: { title: { text: "Loss terms (unweighted)" }, xaxis: { title: { text: "step" } }, shapes, annotations, height: 380 },
  });
  speedPlot.update({ data: [{ x: steps.map((s) => s.step), y: steps.map((s) => s.pairsPerSecond), type: "scatter", mode: "lines", name: "pairs/s" }], layout: { title: { text: "Throughput (pairs/s)" }, shapes, height: 260 } });
};
const run = {
  data: path.join(workDir, "prepared"), imageSize: S, vocabSize: regime.vocabSize,
  // (no shorthand properties for variables of other cells: tslab does not rewrite them)
  model: { preset: regime.models.medst.preset, overrides: overrides }, stages: stages,
  trainer: { rowsPerBatch: regime.rowsPerBatch, crop: C, maxTokens: regime.maxTokens, seed: 1, gradClipNorm: 1, checkpointEvery: 1000 },
  out: path.join(workDir, "run"),
};
const started = Date.now();
const { result, method: trained, tokenizer } = await medst.runPretraining(run, medst.composeHooks(progress, {
  onStageStart: (stage, index) => boundaries.push({ step: steps.length, name: stage.name }),
  onStep: (record) => { steps.push(record); if (record.step % 5 === 0) draw(); },
  onEpochEnd: ({ epochsDone, step, method: m }) => {
    const features = medst.imageFeatureMatrix((f) => m.imageFeatures(f), medst.imageStoreDir(path.join(workDir, "prepared"), S), prepared.records, C);
    curve.push({ epoch: epochsDone, step: step, metrics: medst.evaluateImageFeatures(features, prepared.records, path.join(workDir, "cohort"), { curve: true }).metrics });
    drawCurve();
  },
})).finally(() => progress.stop());
// Med-ST's own parts (attention, alignment maps) are read below.
const method = medst.methodAs(trained, medst.MedST);
draw();
drawCurve();
console.log(`${result.position.step} steps in ${((Date.now() - started) / 1000).toFixed(0)} s; final model in ${medst.finalModelDir(run.out)}`);
"""),
("code", """
// Did each term fall within each stage? Mean of the first and last quarter of the stage's steps.
const rows = [];
for (const [index, stage] of stages.entries()) {
  const mine = steps.filter((s) => s.stage === index);
  const q = Math.max(1, Math.floor(mine.length / 4));
  for (const term of medst.activeLosses(stage)) {
    const mean = (part) => { const v = part.map((s) => s.terms[term]).filter((x) => x !== undefined); return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length); };
    rows.push({ stage: stage.name, term, first: mean(mine.slice(0, q)), last: mean(mine.slice(-q)), fell: mean(mine.slice(-q)) < mean(mine.slice(0, q)) ? "yes" : "no" });
  }
}
medst.showTable(rows, { caption: "Loss per stage: first vs last quarter of its steps" });
"""),
("md", """
## Where do words look?

The word→patch attention of the local alignment objective (the same function the
loss uses), for one test study: for the words of a chosen finding sentence,
the attention over the frontal patches (and the lateral ones, when the study has
a lateral view), next to the image.
"""),
("code", """
const testRecords = prepared.records.filter((r) => r.split !== "train");
const pick = testRecords.find((r) => r.lateral && /effusion|consolidation|opacity|pneumothorax/.test(r.report.text)) ?? testRecords[0];
const loader = new medst.BatchLoader(medst.imageStoreDir(run.data, S), [pick], tokenizer, { chunkLength: 1, chunksPerBatch: 1, crop: C, augment: false, shuffle: false, seed: 0, maxTokens: run.trainer.maxTokens, useWorker: false });
let one;
for await (const b of loader.epoch(0)) one = b;
await loader.close();
const sentence = pick.report.sentences.find((s) => /effusion|consolidation|opacity|pneumothorax/.test(s)) ?? pick.report.sentences[0];
const words = medst.basicTokenize(pick.report.text, { lowercase: true, stripAccents: true, tokenizeChineseChars: true });
const sentenceWords = new Set(sentence.split(" "));
const grid = C / method.image.config.patchSize;
const maps = tf.tidy(() => {
  const tensors = medst.toTensors(one);
  const e = method.encode(one, tensors, false);
  const out = medst.localAlignmentLoss(e.textLocal, e.imageLocal, method.heads.localWeighting, { temperature: method.config.temperatures.local, wordMask: e.wordMask, patchMask: e.patchMask, returnAttention: true });
  return out.wordToPatch.arraySync()[0];
});
const chosen = words.map((w, i) => (sentenceWords.has(w) ? i : -1)).filter((i) => i >= 0 && i < maps.length);
const attention = maps[0].map((_, p) => chosen.reduce((a, i) => a + maps[i][p], 0) / Math.max(1, chosen.length));
const toGrid = (values) => Array.from({ length: grid }, (_, r) => values.slice(r * grid, (r + 1) * grid));
const image = Array.from(one.frontal.subarray(0, C * C));
const views = [{ name: "frontal", pixels: image, att: attention.slice(0, grid * grid) }];
if (one.lateralPresent[0] === 1) views.push({ name: "lateral", pixels: Array.from(one.lateral.subarray(0, C * C)), att: attention.slice(grid * grid, 2 * grid * grid) });
const traces = [];
views.forEach((v, i) => {
  const ax = i === 0 ? "" : String(i + 1);
  traces.push(medst.radiographTrace(v.pixels, C, C, { xaxis: `x${ax}`, yaxis: `y${ax}` }));
  traces.push({ z: toGrid(v.att).reverse(), x0: C / grid / 2, dx: C / grid, y0: C / grid / 2, dy: C / grid, type: "heatmap", colorscale: "Hot", opacity: 0.45, showscale: i === 0, xaxis: `x${ax}`, yaxis: `y${ax}` });
});
medst.showFigure({
  data: traces,
  layout: { title: { text: `"${sentence}"` }, grid: { rows: 1, columns: views.length, pattern: "independent" }, height: 420, width: 420 * views.length },
});
console.log("report:", pick.report.text);
"""),
("md", """
## A patient's studies in time

For a patient with four studies: FMC's forward map (which report each image
picks — the diagonal is right) and RMR's round trip (image → soft nearest
report → back to the images), with the recovered time of each step.
"""),
("code", """
const byPatient = medst.patientSequences(prepared.records.filter((r) => r.split === "train"));
const [, history] = [...byPatient].find(([, s]) => s.length >= 4) ?? [...byPatient].sort((a, b) => b[1].length - a[1].length)[0];
const T = Math.min(4, history.length);
const seqLoader = new medst.BatchLoader(medst.imageStoreDir(run.data, S), history.slice(0, T), tokenizer, { chunkLength: T, chunksPerBatch: 1, crop: C, augment: false, shuffle: false, seed: 0, maxTokens: run.trainer.maxTokens, useWorker: false });
let seq;
for await (const b of seqLoader.epoch(0)) seq = b;
await seqLoader.close();
const aligned = tf.tidy(() => {
  const tensors = medst.toTensors(seq);
  const e = method.encode(seq, tensors, false);
  const d = e.imageGlobal.shape[1];
  const m = medst.temporalAlignmentMaps(tf.reshape(e.imageGlobal, [1, T, d]), tf.reshape(e.textGlobal, [1, T, d]), method.config.temperatures.temporal);
  return { forward: m.forward.arraySync()[0], roundTrip: m.roundTrip.arraySync()[0], time: m.recoveredTime.arraySync()[0] };
});
const labels = seq.records.map((r, i) => `${i + 1}: ${r.studyDate}`);
medst.showFigure({
  data: [
    { z: aligned.forward, x: labels, y: labels, type: "heatmap", colorscale: "Blues", zmin: 0, zmax: 1, xaxis: "x", yaxis: "y" },
    { z: aligned.roundTrip, x: labels, y: labels, type: "heatmap", colorscale: "Blues", zmin: 0, zmax: 1, showscale: false, xaxis: "x2", yaxis: "y2" },
  ],
  layout: {
    grid: { rows: 1, columns: 2, pattern: "independent", xgap: 0.15 }, height: 420,
    title: { text: "FMC forward (image → report) · RMR round trip (image → report → image)" },
    xaxis: { title: { text: "report" }, automargin: true }, yaxis: { title: { text: "image" }, autorange: "reversed", automargin: true },
    // The second panel shares the first one's rows: its own row labels would sit over the first panel.
    xaxis2: { title: { text: "image (round trip)" }, automargin: true }, yaxis2: { autorange: "reversed", showticklabels: false },
  },
});
medst.showTable(seq.records.map((r, i) => ({ step: i + 1, date: r.studyDate, "true time": i / T, "recovered time": aligned.time[i] })), { caption: "RMR: time recovered through the round trip" });
method.dispose();
"""),
("md", """
## PRIOR in the same slot

The same `runPretraining` with `method: "prior"` and the rows of the method
comparison (`configs/experiments/methods.json`): PRIOR's three stages — global
and local alignment, + the sentence prototype bank, + cross-modal conditional
reconstruction — in the same budget as Med-ST above. Then what its stage-3
decoders give back: the image reconstructed from the (text-conditioned) patch
map next to the input, and how the report's sentences and the decoder's
generated sentences use the prototype bank.
"""),
("code", """
const priorRow = medst.methodComparison().variants.find((v) => v.name === "prior");
const priorStages = medst.variantStages(priorRow, epochs, lr);
const priorRun = {
  method: "prior", data: path.join(workDir, "prepared"), imageSize: S, vocabSize: regime.vocabSize,
  model: { preset: regime.models.prior.preset, overrides: { ...regime.models.prior.overrides, seed: 1 } }, stages: priorStages,
  trainer: { rowsPerBatch: regime.rowsPerBatch, maxTokens: regime.maxTokens, seed: 1, gradClipNorm: 1, checkpointEvery: 1000 },
  out: path.join(workDir, "prior-run"),
};
console.log(medst.describeSchedule(priorStages));
const priorProgress = medst.trainingProgress();
const priorSteps = [];
const priorCurve = [];
const priorStarted = Date.now();
const { method: priorTrained, tokenizer: priorTokenizer } = await medst.runPretraining(priorRun, medst.composeHooks(priorProgress, {
  onStep: (record) => priorSteps.push(record),
  onEpochEnd: ({ epochsDone, method: m }) => {
    const features = medst.imageFeatureMatrix((f) => m.imageFeatures(f), medst.imageStoreDir(path.join(workDir, "prepared"), S), prepared.records, C);
    priorCurve.push({ epoch: epochsDone, metrics: medst.evaluateImageFeatures(features, prepared.records, path.join(workDir, "cohort"), { curve: true }).metrics });
  },
})).finally(() => priorProgress.stop());
const prior = medst.methodAs(priorTrained, medst.Prior);
console.log(`PRIOR: ${priorSteps.length} steps in ${((Date.now() - priorStarted) / 1000).toFixed(0)} s`);
const priorTerms = [...new Set(priorSteps.flatMap((s) => Object.keys(s.terms)))];
medst.showFigure({
  data: [
    ...priorTerms.map((k) => ({ x: priorSteps.filter((s) => s.terms[k] !== undefined).map((s) => s.step), y: priorSteps.filter((s) => s.terms[k] !== undefined).map((s) => s.terms[k]), type: "scatter", mode: "lines", name: k, xaxis: "x", yaxis: "y" })),
    { x: priorCurve.map((p) => p.epoch), y: priorCurve.map((p) => p.metrics.probe_auroc_100?.value), type: "scatter", mode: "lines+markers", name: "probe AUROC", xaxis: "x2", yaxis: "y2" },
    { x: curve.map((p) => p.epoch), y: curve.map((p) => p.metrics.probe_auroc_100?.value), type: "scatter", mode: "lines+markers", name: "Med-ST probe AUROC", line: { dash: "dot" }, xaxis: "x2", yaxis: "y2" },
  ],
  layout: {
    grid: { rows: 1, columns: 2, pattern: "independent", xgap: 0.12 }, height: 380,
    title: { text: "PRIOR: loss terms (unweighted) · probe AUROC per epoch beside Med-ST's" },
    xaxis: { title: { text: "step" } }, yaxis: { title: { text: "loss" } }, xaxis2: { title: { text: "epoch" } }, yaxis2: { title: { text: "AUROC" } },
  },
});
"""),
("code", """
// Stage-3 reconstructions of four held-out studies: input (top) and the decoder's image (bottom).
const shown = prepared.records.filter((r) => r.split !== "train").slice(0, 4);
const priorLoader = new medst.BatchLoader(medst.imageStoreDir(priorRun.data, S), shown, priorTokenizer, { chunkLength: 1, chunksPerBatch: shown.length, crop: C, augment: false, shuffle: false, seed: 0, maxTokens: priorRun.trainer.maxTokens, useWorker: false, lateral: false, sentences: prior.batchContents.sentences });
let shownBatch;
for await (const b of priorLoader.epoch(0)) shownBatch = b;
await priorLoader.close();
const rebuilt = tf.tidy(() => {
  const out = prior.reconstruct(shownBatch, medst.toTensors(shownBatch).frontal);
  return { image: out.image.dataSync(), generated: out.generatedPrototypes.arraySync(), report: out.reportPrototypes.arraySync(), mask: out.sentenceMask.arraySync() };
});
const panels = [];
shown.forEach((r, i) => {
  const cell = (row) => String(row * shown.length + i + 1);
  panels.push(medst.radiographTrace(Array.from(shownBatch.frontal.subarray(i * C * C, (i + 1) * C * C)), C, C, { xaxis: `x${cell(0)}`, yaxis: `y${cell(0)}` }));
  panels.push(medst.radiographTrace(Array.from(rebuilt.image.subarray(i * C * C, (i + 1) * C * C)), C, C, { xaxis: `x${cell(1)}`, yaxis: `y${cell(1)}` }));
});
medst.showFigure({ data: panels, layout: { title: { text: "Input (top) and PRIOR's reconstruction (bottom)" }, grid: { rows: 2, columns: shown.length, pattern: "independent" }, height: 520, width: 220 * shown.length } });
"""),
("code", """
// Prototype usage: which prototypes the held-out reports' sentences pick (deterministic softmax), and how many of them the decoder generates.
const heldOut = prepared.records.filter((r) => r.split !== "train");
const usageLoader = new medst.BatchLoader(medst.imageStoreDir(priorRun.data, S), heldOut, priorTokenizer, { chunkLength: 1, chunksPerBatch: 32, crop: C, augment: false, shuffle: false, seed: 0, maxTokens: priorRun.trainer.maxTokens, useWorker: false, lateral: false, sentences: prior.batchContents.sentences });
const used = new Map();
let recovered = 0;
let sentencesSeen = 0;
for await (const b of usageLoader.epoch(0)) {
  const out = tf.tidy(() => {
    const r = prior.reconstruct(b, medst.toTensors(b).frontal);
    return { generated: r.generatedPrototypes.arraySync(), report: r.reportPrototypes.arraySync(), mask: r.sentenceMask.arraySync() };
  });
  out.report.forEach((row, i) => row.forEach((k, s) => {
    if (out.mask[i][s] !== 1) return;
    used.set(k, (used.get(k) ?? 0) + 1);
    sentencesSeen++;
    if (out.generated[i].includes(k)) recovered++;
  }));
}
await usageLoader.close();
const ranked = [...used].sort((a, b) => b[1] - a[1]);
medst.showFigure({
  data: [{ x: ranked.map(([k]) => `#${k}`), y: ranked.map(([, n]) => n), type: "bar" }],
  layout: { title: { text: `Sentence prototypes in use: ${used.size} of ${prior.config.prototypes} by ${sentencesSeen} held-out sentences` }, xaxis: { title: { text: "prototype" }, type: "category" }, yaxis: { title: { text: "sentences" } }, height: 340 },
});
console.log(`${(100 * recovered / Math.max(1, sentencesSeen)).toFixed(1)} % of the held-out sentences' prototypes are among the ${prior.config.maxSentences} the report decoder generates from the image`);
prior.dispose();
"""),
("md", """
## IMITATE in the same slot

The `imitate` row of the method comparison: a ResNet whose pooled layer4 feeds
an impression head and whose four stages feed the multi-level findings branch;
the findings and the impression are encoded separately; the clinical-informed
contrastive loss (CICL) aligns each image branch with its section for two
augmented views of every image, and the two views with each other. One stage,
the same budget as the rows above.
"""),
("code", """
const imitateRow = medst.methodComparison().variants.find((v) => v.name === "imitate");
const imitateStages = medst.variantStages(imitateRow, epochs, lr);
const imitateRun = {
  method: "imitate", data: path.join(workDir, "prepared"), imageSize: S, vocabSize: regime.vocabSize,
  model: { preset: regime.models.imitate.preset, overrides: { ...regime.models.imitate.overrides, seed: 1 } }, stages: imitateStages,
  trainer: { rowsPerBatch: regime.rowsPerBatch, maxTokens: regime.maxTokens, seed: 1, gradClipNorm: 1, checkpointEvery: 1000 },
  out: path.join(workDir, "imitate-run"),
};
console.log(medst.describeSchedule(imitateStages));
const imitateProgress = medst.trainingProgress();
const imitateSteps = [];
const imitateCurve = [];
const imitateStarted = Date.now();
const { method: imitateTrained, tokenizer: imitateTokenizer } = await medst.runPretraining(imitateRun, medst.composeHooks(imitateProgress, {
  onStep: (record) => imitateSteps.push(record),
  onEpochEnd: ({ epochsDone, method: m }) => {
    const features = medst.imageFeatureMatrix((f) => m.imageFeatures(f), medst.imageStoreDir(path.join(workDir, "prepared"), S), prepared.records, C);
    imitateCurve.push({ epoch: epochsDone, metrics: medst.evaluateImageFeatures(features, prepared.records, path.join(workDir, "cohort"), { curve: true }).metrics });
  },
})).finally(() => imitateProgress.stop());
const imitate = medst.methodAs(imitateTrained, medst.Imitate);
console.log(`IMITATE: ${imitateSteps.length} steps in ${((Date.now() - imitateStarted) / 1000).toFixed(0)} s`);
const probeTrace = (points, name, dash) => ({ x: points.map((p) => p.epoch), y: points.map((p) => p.metrics.probe_auroc_100?.value), type: "scatter", mode: "lines+markers", name: name, line: { dash: dash }, xaxis: "x2", yaxis: "y2" });
medst.showFigure({
  data: [
    ...medst.IMITATE_LOSS_NAMES.map((k) => ({ x: imitateSteps.map((s) => s.step), y: imitateSteps.map((s) => s.terms[k]), type: "scatter", mode: "lines", name: k, xaxis: "x", yaxis: "y" })),
    probeTrace(imitateCurve, "IMITATE probe AUROC", "solid"),
    probeTrace(priorCurve, "PRIOR probe AUROC", "dash"),
    probeTrace(curve, "Med-ST probe AUROC", "dot"),
  ],
  layout: {
    grid: { rows: 1, columns: 2, pattern: "independent", xgap: 0.12 }, height: 380,
    title: { text: "IMITATE: loss terms · probe AUROC per epoch beside Med-ST's and PRIOR's" },
    xaxis: { title: { text: "step" } }, yaxis: { title: { text: "loss" } }, xaxis2: { title: { text: "epoch" } }, yaxis2: { title: { text: "AUROC" } },
  },
});
"""),
("code", """
// Four held-out crops (top) and the two views CICL's image–image terms contrast (flips, rotation, perspective, autocontrast; seeded).
const viewRecords = prepared.records.filter((r) => r.split !== "train").slice(0, 4);
const viewLoader = new medst.BatchLoader(medst.imageStoreDir(imitateRun.data, S), viewRecords, imitateTokenizer, { chunkLength: 1, chunksPerBatch: viewRecords.length, crop: C, augment: false, shuffle: false, seed: 0, maxTokens: imitateRun.trainer.maxTokens, useWorker: false, lateral: false, sections: true });
let viewBatch;
for await (const b of viewLoader.epoch(0)) viewBatch = b;
await viewLoader.close();
const viewSets = [viewBatch.frontal, ...[1, 2].map((seed) => medst.augmentView(viewBatch.frontal, viewBatch.rows, C, imitate.config.augment, new medst.Rng(seed)))];
const viewPanels = [];
viewSets.forEach((pixels, row) => viewRecords.forEach((_, i) => {
  const cell = String(row * viewRecords.length + i + 1);
  viewPanels.push(medst.radiographTrace(Array.from(pixels.subarray(i * C * C, (i + 1) * C * C)), C, C, { xaxis: `x${cell}`, yaxis: `y${cell}` }));
}));
medst.showFigure({ data: viewPanels, layout: { title: { text: "Crops (top) and IMITATE's two augmented views" }, grid: { rows: 3, columns: viewRecords.length, pattern: "independent" }, height: 700, width: 220 * viewRecords.length } });
"""),
("code", """
// CICL's soft positives among 24 held-out reports: I + τ·(1 − exp(−0.2·C⁺)) from the trained text encoder's impression features.
const softRecords = prepared.records.filter((r) => r.split !== "train" && r.report.impression !== null).slice(0, 24);
const softLoader = new medst.BatchLoader(medst.imageStoreDir(imitateRun.data, S), softRecords, imitateTokenizer, { chunkLength: 1, chunksPerBatch: softRecords.length, crop: C, augment: false, shuffle: false, seed: 0, maxTokens: imitateRun.trainer.maxTokens, useWorker: false, lateral: false, sections: true });
let softBatch;
for await (const b of softLoader.epoch(0)) softBatch = b;
await softLoader.close();
const impressionRows = { ...softBatch.sections.impression, rows: softBatch.rows, maxTokens: softBatch.maxTokens };
const targets = tf.tidy(() => imitate.clinicalTargets(impressionRows).arraySync());
const soft = targets.map((row, i) => row.map((v, j) => (i === j ? null : v / imitate.config.loss.textTemperature)));
const labelOf = (r) => (medst.cleanedSections(r.report).impression ?? "").slice(0, 60);
const offDiagonal = soft.flat().filter((v) => v !== null);
medst.showFigure({
  data: [{ z: soft, type: "heatmap", colorscale: "Viridis", text: softRecords.map((a) => softRecords.map((b) => `${labelOf(a)}<br>vs ${labelOf(b)}`)), hovertemplate: "%{text}<br>1 − exp(−0.2·C⁺) = %{z:.3f}<extra></extra>" }],
  layout: { title: { text: `Soft positives between held-out impressions: ${(100 * offDiagonal.filter((v) => v > 0).length / offDiagonal.length).toFixed(0)} % of pairs correlate` }, xaxis: { title: { text: "report" } }, yaxis: { title: { text: "report" }, autorange: "reversed" }, height: 460, width: 560 },
});
imitate.dispose();
"""),
("md", """
## MPMA in the same slot

The `mpma` row of the method comparison, the project's reading of the paper
(there is no public code): the ViT encodes the visible 25 % of each image's
patches and the BERT a report with 15 % of its tokens masked; the report is
reconstructed through cross-modal fusion whose text queries attend to the
visible visual tokens plus learnable memory slots (MA-CMF), the image through a
light pixel decoder whose queries attend to the masked report; global and local
alignment (GLA) run on the unmasked pair. One stage, the same budget as above.
"""),
("code", """
const mpmaRow = medst.methodComparison().variants.find((v) => v.name === "mpma");
const mpmaStages = medst.variantStages(mpmaRow, epochs, lr);
const mpmaRun = {
  method: "mpma", data: path.join(workDir, "prepared"), imageSize: S, vocabSize: regime.vocabSize,
  model: { preset: regime.models.mpma.preset, overrides: { ...regime.models.mpma.overrides, seed: 1 } }, stages: mpmaStages,
  trainer: { rowsPerBatch: regime.rowsPerBatch, maxTokens: regime.maxTokens, seed: 1, gradClipNorm: 1, checkpointEvery: 1000 },
  out: path.join(workDir, "mpma-run"),
};
console.log(medst.describeSchedule(mpmaStages));
const mpmaProgress = medst.trainingProgress();
const mpmaSteps = [];
const mpmaCurve = [];
const mpmaStarted = Date.now();
const { method: mpmaTrained, tokenizer: mpmaTokenizer } = await medst.runPretraining(mpmaRun, medst.composeHooks(mpmaProgress, {
  onStep: (record) => mpmaSteps.push(record),
  onEpochEnd: ({ epochsDone, method: m }) => {
    const features = medst.imageFeatureMatrix((f) => m.imageFeatures(f), medst.imageStoreDir(path.join(workDir, "prepared"), S), prepared.records, C);
    mpmaCurve.push({ epoch: epochsDone, metrics: medst.evaluateImageFeatures(features, prepared.records, path.join(workDir, "cohort"), { curve: true }).metrics });
  },
})).finally(() => mpmaProgress.stop());
const mpma = medst.methodAs(mpmaTrained, medst.Mpma);
console.log(`MPMA: ${mpmaSteps.length} steps in ${((Date.now() - mpmaStarted) / 1000).toFixed(0)} s`);
medst.showFigure({
  data: [
    ...medst.MPMA_LOSS_NAMES.map((k) => ({ x: mpmaSteps.map((s) => s.step), y: mpmaSteps.map((s) => s.terms[k]), type: "scatter", mode: "lines", name: k, xaxis: "x", yaxis: "y" })),
    probeTrace(mpmaCurve, "MPMA probe AUROC", "solid"),
    probeTrace(imitateCurve, "IMITATE probe AUROC", "dash"),
    probeTrace(curve, "Med-ST probe AUROC", "dot"),
  ],
  layout: {
    grid: { rows: 1, columns: 2, pattern: "independent", xgap: 0.12 }, height: 380,
    title: { text: "MPMA: loss terms · probe AUROC per epoch beside IMITATE's and Med-ST's" },
    xaxis: { title: { text: "step" } }, yaxis: { title: { text: "loss" } }, xaxis2: { title: { text: "epoch" } }, yaxis2: { title: { text: "AUROC" } },
  },
});
"""),
("code", """
// Four held-out pairs, masked with a fixed seed: the masked input, the reconstruction (predicted masked patches, visible ones kept) and the original.
const maskRecords = prepared.records.filter((r) => r.split !== "train").slice(0, 4);
const maskLoader = new medst.BatchLoader(medst.imageStoreDir(mpmaRun.data, S), maskRecords, mpmaTokenizer, { chunkLength: 1, chunksPerBatch: maskRecords.length, crop: C, augment: false, shuffle: false, seed: 0, maxTokens: mpmaRun.trainer.maxTokens, useWorker: false, lateral: false });
let maskBatch;
for await (const b of maskLoader.epoch(0)) maskBatch = b;
await maskLoader.close();
const maskFrontal = tf.tensor4d(maskBatch.frontal, [maskBatch.rows, C, C, 1]);
const shown = mpma.reconstructPairs(maskFrontal, maskBatch, new medst.Rng(7));
maskFrontal.dispose();
const maskPanels = [];
[shown.masked, shown.reconstructed, shown.original].forEach((pixels, row) => maskRecords.forEach((_, i) => {
  const cell = String(row * maskRecords.length + i + 1);
  maskPanels.push(medst.radiographTrace(Array.from(pixels.subarray(i * C * C, (i + 1) * C * C)), C, C, { xaxis: `x${cell}`, yaxis: `y${cell}` }));
}));
medst.showFigure({ data: maskPanels, layout: { title: { text: "MPMA: masked input, reconstruction, original" }, grid: { rows: 3, columns: maskRecords.length, pattern: "independent" }, height: 700, width: 220 * maskRecords.length } });
// The same reports: the masked tokens, the MLM head's prediction and the truth at every chosen position.
const L = shown.maxTokens;
const word = (id) => mpmaTokenizer.vocab[id];
let right = 0;
let chosenCount = 0;
medst.showTable(maskRecords.map((record, i) => {
  const at = Array.from({ length: L }, (_, t) => t).filter((t) => shown.labels[i * L + t] >= 0);
  right += at.filter((t) => shown.predictedIds[i * L + t] === shown.labels[i * L + t]).length;
  chosenCount += at.length;
  const masked = Array.from(shown.maskedIds.subarray(i * L, (i + 1) * L)).filter((id, t) => maskBatch.attentionMask[i * L + t] === 1).map(word).join(" ");
  return { study: record.studyId, "masked report": masked, predicted: at.map((t) => word(shown.predictedIds[i * L + t])).join(" · "), true: at.map((t) => word(shown.labels[i * L + t])).join(" · ") };
}), { caption: "MPMA's masked language modelling on held-out reports (tokens chosen for prediction, in order)" });
console.log(`MLM: ${right} of ${chosenCount} chosen tokens predicted exactly`);
mpma.dispose();
"""),
]
