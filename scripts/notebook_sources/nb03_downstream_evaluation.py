import sys, pathlib
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from common import FIND_RUN

NAME = "03-downstream-evaluation.ipynb"
CELLS = [
("md", """
# 03 · Downstream evaluation

Every evaluation of a pre-trained Med-ST (the `+ RMR (Med-ST, staged)` model of
`npm run reproduce`, seed 1) on the synthetic cohort, with its plots: temporal
image classification (MS-CXR-T protocol), temporal sentence similarity,
zero-shot classification, linear probes at 1/10/100 % of the labels, retrieval
and segmentation with a frozen encoder. The same functions back `npm run reproduce`.
The last section puts PRIOR's and IMITATE's checkpoints from the same
comparison through the same evaluation, beside Med-ST's.
"""),
("code", FIND_RUN),
("code", """
const started = Date.now();
const result = await medst.evaluateSuite(model, { cohortDir: cohortDir, preparedDir: preparedDir, imageSize: setup.regime.imageSize, records: records }, { quick: test });
console.log(`evaluated in ${((Date.now() - started) / 1000).toFixed(0)} s`);
// Reference rows beside the model: the feature-free predictor, raw pixels, the same model at random init.
const majority = medst.majorityMetrics(records, cohortDir);
const rawPixels = medst.rawPixelMetrics(medst.imageStoreDir(preparedDir, setup.regime.imageSize), records, cohortDir, { crop: model.crop }, { quick: test });
const randomInit = medst.restoreMethod(model.description, "the model"); // the same architecture at its initial weights
const random = await medst.evaluateSuite({ ...model, method: randomInit }, { cohortDir: cohortDir, preparedDir: preparedDir, imageSize: setup.regime.imageSize, records: records }, { quick: test });
randomInit.dispose();
const cell = (m) => (m === undefined ? "–" : m.value.toFixed(3));
medst.showTable(medst.HEADLINE_METRICS.filter((m) => result.headline[m.key] !== undefined).map((m) => ({ metric: m.label, "Med-ST": cell(result.headline[m.key]), "majority / chance": cell(majority[m.key]), "raw pixels": cell(rawPixels[m.key]), "random init": cell(random.headline[m.key]), n: result.headline[m.key].n })), { caption: "Headline metrics beside the reference rows (n = evaluation-set size)" });
"""),
("md", "## Temporal image classification (MS-CXR-T protocol)"),
("code", """
const cv = result.temporalCv;
if (cv) {
  const findings = cv.findings.filter((f) => f.pairs > 0);
  medst.showTable(findings.map((f) => ({ finding: f.finding, pairs: f.pairs, "improving/stable/worsening": f.classCounts.join(" / "), accuracy: medst.formatMeanStd(f.accuracy), "macro accuracy": medst.formatMeanStd(f.macroAccuracy) })), { caption: `${cv.folds}-fold CV by patient, seeds ${cv.seeds.join(", ")}` });
  medst.showFigure({
    data: [{ type: "bar", x: findings.map((f) => f.finding), y: findings.map((f) => f.accuracy.mean), error_y: { type: "data", array: findings.map((f) => f.accuracy.std), visible: true }, name: "accuracy" }],
    layout: { title: { text: "Temporal classification accuracy (mean ± std over seeds)" }, yaxis: { range: [0, 1] }, height: 340 },
  });
}
const split = result.temporalSplit;
if (split) {
  const classes = ["improving", "stable", "worsening"];
  const shown = split.findings.filter((f) => f.test > 0);
  // Up to three panels a row, class names on the first column's y axis only, so no labels run into a neighbour.
  const columns = Math.min(3, Math.max(1, shown.length));
  const rows = Math.ceil(shown.length / columns);
  const axis = (i) => (i ? String(i + 1) : "");
  const layout = {
    title: { text: `Confusion matrices on the fixed split (rows true, columns predicted)<br>mean macro accuracy ${split.meanMacroAccuracy.toFixed(3)}` },
    grid: { rows: rows, columns: columns, pattern: "independent", xgap: 0.25, ygap: 0.35 }, height: 110 + 260 * rows, margin: { l: 90, t: 100 },
    annotations: shown.map((f, i) => ({ text: `${f.finding} (n=${f.test})`, xref: `x${axis(i)} domain`, yref: `y${axis(i)} domain`, x: 0.5, y: 1.12, showarrow: false })),
  };
  shown.forEach((_, i) => {
    layout[`xaxis${axis(i)}`] = { automargin: true, tickangle: -20 };
    layout[`yaxis${axis(i)}`] = { automargin: true, showticklabels: i % columns === 0, autorange: "reversed" };
  });
  medst.showFigure({
    data: shown.map((f, i) => ({ type: "heatmap", z: f.confusion, x: classes, y: classes, colorscale: "Blues", showscale: i === 0, xaxis: `x${axis(i)}`, yaxis: `y${axis(i)}` })),
    layout: layout,
  });
}
"""),
("md", "## Temporal sentence similarity and zero-shot pneumonia: ROC curves"),
("code", """
const curves = [];
if (result.sentence) curves.push({ x: result.sentence.roc.fpr, y: result.sentence.roc.tpr, type: "scatter", mode: "lines", name: `sentence similarity (AUC ${result.sentence.rocAuc.toFixed(3)})` });
if (result.zeroShotPneumonia) curves.push({ x: result.zeroShotPneumonia.roc.fpr, y: result.zeroShotPneumonia.roc.tpr, type: "scatter", mode: "lines", name: `zero-shot pneumonia (AUC ${result.zeroShotPneumonia.rocAuc.toFixed(3)})` });
curves.push({ x: [0, 1], y: [0, 1], type: "scatter", mode: "lines", line: { dash: "dot", color: "#999" }, name: "chance" });
medst.showFigure({ data: curves, layout: { title: { text: "ROC curves" }, xaxis: { title: { text: "false positive rate" } }, yaxis: { title: { text: "true positive rate" } }, height: 420, width: 560 } });
if (result.sentence) console.log(`sentence similarity accuracy (threshold from training folds): ${medst.formatMeanStd(result.sentence.accuracy)}; the test-leaking threshold would give ${result.sentence.leakyAccuracy.toFixed(3)}`);
if (result.zeroShotFiveClass) {
  const classes = medst.CHEXPERT_COMPETITION_LABELS;
  medst.showFigure({
    data: [{ type: "heatmap", z: result.zeroShotFiveClass.confusion, x: [...classes], y: [...classes], colorscale: "Blues" }],
    layout: {
      title: { text: `Zero-shot 5-class confusion (accuracy ${result.zeroShotFiveClass.accuracy.toFixed(3)})` }, height: 460, width: 620,
      // Long class names ("Pleural Effusion") need the room: automargin grows the margins to fit them.
      xaxis: { title: { text: "predicted" }, automargin: true, tickangle: -30 }, yaxis: { title: { text: "true" }, automargin: true, autorange: "reversed" },
    },
  });
}
"""),
("md", "## Linear probes and retrieval"),
("code", """
const fractions = [1, 10, 100];
medst.showFigure({
  data: [
    { x: fractions.map((f) => `${f}%`), y: fractions.map((f) => result.headline[`probe_auroc_${f}`]?.value), type: "scatter", mode: "lines+markers", name: "Med-ST" },
    { x: fractions.map((f) => `${f}%`), y: fractions.map((f) => rawPixels[`probe_auroc_${f}`]?.value), type: "scatter", mode: "lines+markers", name: "raw pixels" },
    { x: fractions.map((f) => `${f}%`), y: fractions.map((f) => random.headline[`probe_auroc_${f}`]?.value), type: "scatter", mode: "lines+markers", name: "random init" },
  ],
  layout: { title: { text: "Linear probe on the 5 CheXpert competition labels" }, yaxis: { title: { text: "macro AUROC" } }, xaxis: { title: { text: "training labels used" } }, height: 320 },
});
const k = result.retrieval.imageToText.curve.map((_, i) => i + 1);
medst.showFigure({
  data: [
    { x: k, y: result.retrieval.imageToText.curve, type: "scatter", mode: "lines", name: "image → text" },
    { x: k, y: result.retrieval.textToImage.curve, type: "scatter", mode: "lines", name: "text → image" },
  ],
  layout: { title: { text: `Recall@k over ${result.retrieval.images} held-out pairs (identical reports count as correct)` }, xaxis: { title: { text: "k" } }, yaxis: { title: { text: "recall" }, range: [0, 1] }, height: 340 },
});
"""),
("md", "## Segmentation with a frozen encoder"),
("code", """
const seg = result.segmentation;
if (seg) {
  medst.showFigure({ data: [{ x: seg.dice, type: "histogram", nbinsx: 20 }], layout: { title: { text: `Dice per test image: ${medst.formatMeanStd(seg.summary)} (all), ${result.headline.seg_dice_pos?.value.toFixed(3)} (with pneumothorax, n=${result.headline.seg_dice_pos?.n})` }, height: 300 } });
  const { height: h, width: w } = seg.predictions;
  const positives = seg.positive.map((p, i) => (p ? i : -1)).filter((i) => i >= 0).slice(0, 4);
  await medst.showImages(positives.map((i) => ({ pixels: seg.predictions.data.subarray(i * h * w, (i + 1) * h * w).map((v) => v * 255), width: w, height: h, caption: `predicted, Dice ${seg.dice[i].toFixed(2)}` })), { columns: 4, tileWidth: 160, title: "Predicted pneumothorax masks (test images with a pneumothorax)" });
  medst.showFigure({ data: [{ y: seg.losses, type: "scatter", mode: "lines" }], layout: { title: { text: "Decoder training loss" }, height: 260 } });
}
model.method.dispose();
"""),
("md", """
## PRIOR, IMITATE and MPMA through the same evaluation

Any registered method's checkpoint loads and evaluates the same way:
`loadFrozenModel` reads which method built it from its `config.json`. The PRIOR,
IMITATE and MPMA rows of the comparison (seed 1) beside Med-ST's, each with the
random initialisation of its own encoder as its reference.
"""),
("code", """
const others = [{ label: "PRIOR", run: "prior-s1" }, { label: "IMITATE", run: "imitate-s1" }, { label: "MPMA", run: "mpma-s1" }];
const data = { cohortDir: cohortDir, preparedDir: preparedDir, imageSize: setup.regime.imageSize, records: records };
const probeTraces = [
  { x: fractions.map((f) => `${f}%`), y: fractions.map((f) => result.headline[`probe_auroc_${f}`]?.value), type: "scatter", mode: "lines+markers", name: "Med-ST" },
  { x: fractions.map((f) => `${f}%`), y: fractions.map((f) => rawPixels[`probe_auroc_${f}`]?.value), type: "scatter", mode: "lines+markers", name: "raw pixels", line: { dash: "dash" } },
];
for (const other of others) {
  const dir = path.join(work, "runs", other.run, "final");
  if (!fs.existsSync(path.join(dir, "model.safetensors"))) {
    console.log(`no ${other.label} run in ${work} (a comparison made before ${other.label} joined): run npm run reproduce again`);
    continue;
  }
  const otherModel = await medst.loadFrozenModel(dir, { maxTokens: setup.regime.maxTokens });
  const otherResult = await medst.evaluateSuite(otherModel, data, { quick: test });
  const otherInit = medst.restoreMethod(otherModel.description, other.label);
  const otherRandom = await medst.evaluateSuite({ ...otherModel, method: otherInit }, data, { quick: test });
  otherInit.dispose();
  const width = otherModel.method.featureWidth;
  otherModel.method.dispose();
  medst.showTable(medst.HEADLINE_METRICS.filter((m) => otherResult.headline[m.key] !== undefined).map((m) => ({
    metric: m.label, [other.label]: cell(otherResult.headline[m.key]), [`${other.label} random init`]: cell(otherRandom.headline[m.key]), "Med-ST": cell(result.headline[m.key]), "raw pixels": cell(rawPixels[m.key]), "majority / chance": cell(majority[m.key]), n: otherResult.headline[m.key].n,
  })), { caption: `${other.label} (${width}-wide image features) beside Med-ST and the reference rows` });
  probeTraces.push({ x: fractions.map((f) => `${f}%`), y: fractions.map((f) => otherResult.headline[`probe_auroc_${f}`]?.value), type: "scatter", mode: "lines+markers", name: other.label });
  probeTraces.push({ x: fractions.map((f) => `${f}%`), y: fractions.map((f) => otherRandom.headline[`probe_auroc_${f}`]?.value), type: "scatter", mode: "lines+markers", name: `${other.label} random init`, line: { dash: "dot" } });
}
medst.showFigure({
  data: probeTraces,
  layout: { title: { text: "Linear probe: PRIOR, IMITATE and MPMA beside Med-ST" }, yaxis: { title: { text: "macro AUROC" } }, xaxis: { title: { text: "training labels used" } }, height: 340 },
});
"""),
]
