import sys, pathlib
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from common import FIND_RUN

NAME = "04-error-analysis.ipynb"
CELLS = [
("md", """
# 04 · Error analysis

Dig into what the model gets wrong: the misclassified temporal pairs with both
images and both reports, where a sentence's words attend on the image, an
embedding map coloured by finding severity and by time, and one patient's
trajectory through embedding space.

Two ways to choose what you see:
- **In the figures** (no code): the error browser has a slider over every
  misclassified pair, and the embedding map has menus for the colouring (the
  severity of each finding, or time) and the projection (UMAP or PCA).
- **In the filters cell**: the finding and error type of the static gallery and
  of the attention map. Change them and run that cell and every cell below it
  (*Run › Run Selected Cell and All Below*); any cell can be run again after a
  full run. A misspelt value names the valid ones.
"""),
("code", FIND_RUN),
("code", """
// Filters. finding: one of medst.MS_CXR_T_FINDINGS; errorType: "any" or "truth→predicted" (medst.TEMPORAL_ERROR_TYPES).
const finding: medst.MsCxrTFinding = "pleural_effusion";
const errorType: medst.TemporalErrorType = "any";
const maxShown = test ? 3 : 8;
medst.checkTemporalFilter(finding, errorType); // names the valid values when a filter is misspelt
"""),
("md", "## Misclassified temporal pairs"),
("code", """
const storeDir = medst.imageStoreDir(preparedDir, setup.regime.imageSize);
const emb = await medst.embedRecords(model, storeDir, records);
const rowOf = new Map(emb.ids.map((id, i) => [id, i]));
const pairs = medst.readMsCxrTImagePairs(path.join(cohortDir, "MS_CXR_T_temporal_image_classification_v1.0.0.csv")).rows.filter((p) => rowOf.has(p.dicomId) && rowOf.has(p.previousDicomId));
const features = medst.pairFeatures(medst.selectRows(emb.imageFeatures, pairs.map((p) => rowOf.get(p.dicomId))), medst.selectRows(emb.imageFeatures, pairs.map((p) => rowOf.get(p.previousDicomId))));
const split = medst.fixedSplitTemporal({ features: features, ...medst.temporalLabelsFromPairs(pairs) }, pairs.map((p) => records[rowOf.get(p.dicomId)].split !== "train"));
const classes = ["improving", "stable", "worsening"];
const errors = split.findings.flatMap((f) => f.predictions.filter((p) => p.truth !== p.predicted).map((p) => ({ finding: f.finding, pair: p.pair, type: `${classes[p.truth]}→${classes[p.predicted]}`, confidence: Math.max(...p.probabilities) })));
medst.showTable(Object.entries(errors.reduce((acc, e) => { const k = `${e.finding} ${e.type}`; acc[k] = (acc[k] ?? 0) + 1; return acc; }, {})).map(([k, n]) => ({ "finding, error": k, count: n })), { caption: `${errors.length} misclassified pairs on the fixed split` });
const byId = new Map(records.map((r) => [r.id, r]));
const store = medst.ImageStore.open(storeDir);
const S = store.size;
const reportOf = (r) => r.report.impression ?? r.report.findings ?? "";
// Every misclassified pair in one figure: the slider steps through them (most confident mistakes first, by finding).
const browsed = [...errors].sort((a, b) => a.finding.localeCompare(b.finding) || b.confidence - a.confidence).slice(0, test ? 12 : 60);
if (browsed.length > 0) {
  const items = [];
  for (const e of browsed) {
    const p = pairs[e.pair];
    const previous = byId.get(p.previousDicomId);
    const current = byId.get(p.dicomId);
    items.push({
      label: `${e.finding} · ${e.type} · ${e.confidence.toFixed(2)}`,
      left: { png: await medst.grayPng(store.read(previous.id), S, S), caption: `previous ${previous.studyDate}: ${reportOf(previous)}` },
      right: { png: await medst.grayPng(store.read(current.id), S, S), caption: `current ${current.studyDate}: ${reportOf(current)}` },
    });
  }
  medst.showFigure(medst.pairBrowserFigure(items, { title: "Misclassified pair" }));
}
// The filters' gallery.
const chosen = errors.filter((e) => e.finding === finding && (errorType === "any" || e.type === errorType)).sort((a, b) => b.confidence - a.confidence).slice(0, maxShown);
for (const e of chosen) {
  const p = pairs[e.pair];
  const previous = byId.get(p.previousDicomId);
  const current = byId.get(p.dicomId);
  await medst.showImages([
    { pixels: store.read(previous.id), width: S, height: S, caption: `previous ${previous.studyDate}\\n${reportOf(previous)}` },
    { pixels: store.read(current.id), width: S, height: S, caption: `current ${current.studyDate}\\n${reportOf(current)}` },
  ], { columns: 2, tileWidth: 260, title: `${e.finding}: ${e.type} (confidence ${e.confidence.toFixed(2)})` });
}
store.close();
if (chosen.length === 0) console.log(`no ${errorType} errors for ${finding} (findings with errors: ${[...new Set(errors.map((e) => e.finding))].join(", ") || "none"}); try another filter`);
"""),
("md", "## Where a sentence looks"),
("code", """
// A held-out study whose report mentions the filter's finding.
const findingWords = new RegExp(finding.split("_").pop());
const pick = records.find((r) => r.split !== "train" && findingWords.test(r.report.text)) ?? records.find((r) => r.split !== "train") ?? records[0];
const sentence = pick.report.sentences.find((s) => findingWords.test(s)) ?? pick.report.sentences[0];
const loader = new medst.BatchLoader(storeDir, [pick], model.tokenizer, { chunkLength: 1, chunksPerBatch: 1, crop: model.crop, augment: false, shuffle: false, seed: 0, maxTokens: model.maxTokens, useWorker: false });
let one;
for await (const b of loader.epoch(0)) one = b;
await loader.close();
const words = medst.basicTokenize(pick.report.text, { lowercase: true, stripAccents: true, tokenizeChineseChars: true });
// Med-ST's own parts (its local alignment's word→patch attention).
const medstModel = medst.methodAs(model.method, medst.MedST);
const attention = tf.tidy(() => {
  const tensors = medst.toTensors(one);
  const e = medstModel.encode(one, tensors, false);
  return medst.localAlignmentLoss(e.textLocal, e.imageLocal, medstModel.heads.localWeighting, { temperature: medstModel.config.temperatures.local, wordMask: e.wordMask, patchMask: e.patchMask, returnAttention: true }).wordToPatch.arraySync()[0];
});
const grid = model.crop / medstModel.image.config.patchSize;
const wanted = new Set(sentence.split(" "));
const idx = words.map((w, i) => (wanted.has(w) ? i : -1)).filter((i) => i >= 0 && i < attention.length);
const frontalAttention = Array.from({ length: grid * grid }, (_, p) => idx.reduce((a, i) => a + attention[i][p], 0) / Math.max(1, idx.length));
const C = model.crop;
const pixels = Array.from(one.frontal.subarray(0, C * C));
medst.showFigure({
  data: [
    medst.radiographTrace(pixels, C, C),
    { z: Array.from({ length: grid }, (_, r) => frontalAttention.slice(r * grid, (r + 1) * grid)).reverse(), x0: C / grid / 2, dx: C / grid, y0: C / grid / 2, dy: C / grid, type: "heatmap", colorscale: "Hot", opacity: 0.45 },
  ],
  layout: { title: { text: `"${sentence}"` }, height: 460, width: 520 },
});
"""),
("md", """
## The embedding map

Image embeddings of every study projected to 2-D: choose the projection (UMAP keeps
neighbourhoods; PCA is linear) and the colouring (the true severity of each finding,
from the generator's latent state, or the time since the patient's first study) in
the menus above the figure. The line traces one patient's trajectory.
"""),
("code", """
const truth = new Map(fs.readFileSync(path.join(cohortDir, "ground_truth.jsonl"), "utf8").trim().split("\\n").map((l) => JSON.parse(l)).map((g) => [g.frontal.dicom_id, g]));
const severityKeys = { pleural_effusion: "effusionRight", consolidation: "consolidation", pneumonia: "pneumonia", pneumothorax: "pneumothorax", edema: "edema" };
const umap = medst.umap2d(emb.image.data, emb.image.rows, emb.image.cols, { seed: 0 });
const pcaMap = medst.pca2d(emb.image.data, emb.image.rows, emb.image.cols);
const projections = [
  { name: "UMAP", x: umap.x, y: umap.y },
  { name: `PCA (${(100 * (pcaMap.explained[0] + pcaMap.explained[1])).toFixed(0)}% of variance)`, x: pcaMap.x, y: pcaMap.y },
];
const colourings = [
  // The filter's finding first.
  ...Object.entries(severityKeys).sort(([a], [b]) => (a === finding ? -1 : b === finding ? 1 : 0)).map(([name, key]) => ({ name: `severity: ${name}`, values: records.map((r) => truth.get(r.id)?.findings?.[key]?.severity ?? 0) })),
  { name: "days since first study", values: records.map((r) => (truth.get(r.id)?.hours_from_first ?? 0) / 24), colorscale: "Plasma" },
];
const label = records.map((r) => `${r.subjectId} ${r.studyDate}<br>${r.report.impression ?? ""}`);
const [trajectoryId, trajectory] = [...medst.patientSequences(records)].sort((a, b) => b[1].length - a[1].length)[0];
const at = (r) => rowOf.get(r.id);
const trajectoryTrace = (p) => ({ x: trajectory.map((r) => p.x[at(r)]), y: trajectory.map((r) => p.y[at(r)]), mode: "lines+markers+text", text: trajectory.map((_, i) => String(i + 1)), textposition: "top center", type: "scatter", line: { color: "black" }, name: `patient ${trajectoryId}` });
medst.showFigure(medst.scatterMenuFigure({
  projections: projections, colourings: colourings, text: label,
  extra: projections.map((p) => [trajectoryTrace(p)]),
  title: "Image embeddings: choose the colouring and the map",
}));
"""),
]