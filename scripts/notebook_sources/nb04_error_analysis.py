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
trajectory through embedding space. Change the filters in the next cell and
re-run the cells below it.
"""),
("code", FIND_RUN),
("code", """
// Filters: a finding of MS-CXR-T and an error type ("any", or "truth→predicted", e.g. "worsening→stable").
const finding = "pleural_effusion";
const errorType = "any";
const maxShown = test ? 3 : 8;
// The embedding map: "umap" keeps neighbourhoods (clusters, a patient's nearby studies); "pca" is linear, with explained variance.
const mapMethod = "umap" as "umap" | "pca";
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
const chosen = errors.filter((e) => e.finding === finding && (errorType === "any" || e.type === errorType)).sort((a, b) => b.confidence - a.confidence).slice(0, maxShown);
const byId = new Map(records.map((r) => [r.id, r]));
const store = medst.ImageStore.open(storeDir);
const S = store.size;
for (const e of chosen) {
  const p = pairs[e.pair];
  const previous = byId.get(p.previousDicomId);
  const current = byId.get(p.dicomId);
  await medst.showImages([
    { pixels: store.read(previous.id), width: S, height: S, caption: `previous ${previous.studyDate}\\n${previous.report.impression ?? previous.report.findings ?? ""}` },
    { pixels: store.read(current.id), width: S, height: S, caption: `current ${current.studyDate}\\n${current.report.impression ?? current.report.findings ?? ""}` },
  ], { columns: 2, tileWidth: 260, title: `${e.finding}: ${e.type} (confidence ${e.confidence.toFixed(2)})` });
}
if (chosen.length === 0) console.log(`no ${errorType} errors for ${finding}; try another filter`);
"""),
("md", "## Where a sentence looks"),
("code", """
const pick = records.find((r) => r.split !== "train" && /effusion|consolidation|pneumothorax|opacity/.test(r.report.text)) ?? records[0];
const sentence = pick.report.sentences.find((s) => /effusion|consolidation|pneumothorax|opacity/.test(s)) ?? pick.report.sentences[0];
const loader = new medst.BatchLoader(storeDir, [pick], model.tokenizer, { chunkLength: 1, chunksPerBatch: 1, crop: model.crop, augment: false, shuffle: false, seed: 0, maxTokens: model.maxTokens, useWorker: false });
let one;
for await (const b of loader.epoch(0)) one = b;
await loader.close();
const words = medst.basicTokenize(pick.report.text, { lowercase: true, stripAccents: true, tokenizeChineseChars: true });
const attention = tf.tidy(() => {
  const tensors = medst.toTensors(one);
  const e = model.method.encode(one, tensors, false);
  return medst.localAlignmentLoss(e.textLocal, e.imageLocal, model.method.localWeighting, { temperature: model.method.config.temperatures.local, wordMask: e.wordMask, patchMask: e.patchMask, returnAttention: true }).wordToPatch.arraySync()[0];
});
const grid = model.crop / model.method.image.config.patchSize;
const wanted = new Set(sentence.split(" "));
const idx = words.map((w, i) => (wanted.has(w) ? i : -1)).filter((i) => i >= 0 && i < attention.length);
const frontalAttention = Array.from({ length: grid * grid }, (_, p) => idx.reduce((a, i) => a + attention[i][p], 0) / Math.max(1, idx.length));
const C = model.crop;
const pixels = Array.from(one.frontal.subarray(0, C * C));
medst.showFigure({
  data: [
    { z: Array.from({ length: C }, (_, r) => pixels.slice(r * C, (r + 1) * C)).reverse(), type: "heatmap", colorscale: "Greys", reversescale: true, showscale: false },
    { z: Array.from({ length: grid }, (_, r) => frontalAttention.slice(r * grid, (r + 1) * grid)).reverse(), x0: C / grid / 2, dx: C / grid, y0: C / grid / 2, dy: C / grid, type: "heatmap", colorscale: "Hot", opacity: 0.45 },
  ],
  layout: { title: { text: `"${sentence}"` }, height: 460, width: 520 },
});
"""),
("md", """
## The embedding map

Image embeddings of every study projected to 2-D (UMAP by default, or PCA: `mapMethod`
in the filters cell), coloured by the true
severity of the chosen finding (the generator's latent state) and by time since
the patient's first study; lines trace one patient's trajectory.
"""),
("code", """
const truth = new Map(fs.readFileSync(path.join(cohortDir, "ground_truth.jsonl"), "utf8").trim().split("\\n").map((l) => JSON.parse(l)).map((g) => [g.frontal.dicom_id, g]));
const severityKey = { pleural_effusion: "effusionRight", consolidation: "consolidation", pneumonia: "pneumonia", pneumothorax: "pneumothorax", edema: "edema" }[finding] ?? "effusionRight";
const map = mapMethod === "pca" ? medst.pca2d(emb.image.data, emb.image.rows, emb.image.cols) : medst.umap2d(emb.image.data, emb.image.rows, emb.image.cols, { seed: 0 });
const mapName = mapMethod === "pca" ? `PCA, ${(100 * (map.explained[0] + map.explained[1])).toFixed(0)}% of variance` : "UMAP";
const severity = records.map((r) => truth.get(r.id)?.findings?.[severityKey]?.severity ?? 0);
const days = records.map((r) => (truth.get(r.id)?.hours_from_first ?? 0) / 24);
const label = records.map((r) => `${r.subjectId} ${r.studyDate}<br>${r.report.impression ?? ""}`);
const patient = medst.patientSequences(records);
const [trajectoryId, trajectory] = [...patient].sort((a, b) => b[1].length - a[1].length)[0];
const at = (r) => rowOf.get(r.id);
for (const [colour, values, title] of [["Viridis", severity, `severity of ${severityKey}`], ["Plasma", days, "days since first study"]]) {
  medst.showFigure({
    data: [
      { x: Array.from(map.x), y: Array.from(map.y), text: label, mode: "markers", type: "scatter", marker: { color: values, colorscale: colour, showscale: true, size: 6 }, name: "studies" },
      { x: trajectory.map((r) => map.x[at(r)]), y: trajectory.map((r) => map.y[at(r)]), mode: "lines+markers+text", text: trajectory.map((_, i) => String(i + 1)), textposition: "top center", type: "scatter", line: { color: "black" }, name: `patient ${trajectoryId}` },
    ],
    layout: { title: { text: `Image embeddings (${mapName}), coloured by ${title}` }, height: 520, legend: { orientation: "h", y: -0.12 } },
  });
}
store.close();
model.method.dispose();
"""),
]
