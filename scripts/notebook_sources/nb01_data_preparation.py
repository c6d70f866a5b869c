NAME = "01-data-preparation.ipynb"
CELLS = [
("md", """
# 01 · Data preparation

From nothing to training-ready data: generate a small synthetic longitudinal
two-view cohort in the MIMIC-CXR-JPG / MS-CXR-T layouts, prepare it into a
manifest and an image store, and look at what is inside — one patient's studies
over time, label and progression statistics, report lengths, temporal chunks —
and push a few real public images (PNG and DICOM) through the same preprocessing.

Under `npm test` (`MEDST_NOTEBOOK_PROFILE=test`) the cohort is tiny; open it in
JupyterLab (`npm run lab`) for the larger default.
"""),
("code", """
import * as medst from "./dist/index.js";
import * as dfd from "danfojs-node";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

await medst.initBackend({ log: console.log });
const profile = process.env.MEDST_NOTEBOOK_PROFILE ?? "full";
const settings = profile === "test" ? { patients: 12, size: 128, storeSize: 128 } : { patients: 80, size: 256, storeSize: 256 };
const workDir = path.resolve("out", "notebooks", "01-data-preparation");
const cohortDir = path.join(workDir, "cohort");
const preparedDir = path.join(workDir, "prepared");
console.log(`profile ${profile}:`, settings, "\\nwork folder:", workDir);
"""),
("md", """
## Generate the cohort

`npm run synth` does the same from a shell. The generator is deterministic: the
same arguments give byte-identical files.
"""),
("code", """
fs.rmSync(workDir, { recursive: true, force: true });
const synthLog = execFileSync(process.execPath, [
  "--import=tsx", "data-prep/synth.ts", "--out", cohortDir,
  "--patients", String(settings.patients), "--size", String(settings.size), "--seed", "7",
], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
console.log(synthLog.trim().split("\\n").slice(-6).join("\\n"));
console.log(fs.readdirSync(cohortDir));
"""),
("md", """
## Prepare: manifest and image store

One record per frontal image with its study time, paired lateral, cleaned report,
split and labels; images resized (longest side, area interpolation), zero-padded
to a square and stored so that training never decodes a JPEG again.
"""),
("code", """
const prepared = await medst.prepareDataset({ mimicRoot: cohortDir, outDir: preparedDir, size: settings.storeSize });
const info = prepared.info;
medst.showTable([
  { quantity: "frontal records", value: info.records },
  { quantity: "with a lateral", value: info.withLateral },
  { quantity: "patients", value: info.patients },
  { quantity: "studies", value: info.studies },
  { quantity: "train / validate / test", value: `${info.splits.train} / ${info.splits.validate} / ${info.splits.test}` },
  { quantity: "images decoded", value: prepared.imagesDecoded },
  { quantity: "data issues", value: prepared.issues.total },
], { caption: "Prepared dataset" });
const records = prepared.records;
"""),
("md", """
## One patient over time

The patient with the longest history (preferring studies with a lateral view): frontal and lateral side by side (as stored,
before cropping), with the date, view and the report's impression and findings.
The plot below shows the generator's ground truth — the latent severity of each
finding — which the report language and the MS-CXR-T labels were derived from.
"""),
("code", """
const byPatient = medst.patientSequences(records);
// The longest history, preferring studies that have a lateral view.
const score = (steps) => steps.length + steps.filter((r) => r.lateral).length;
const [subjectId, steps] = [...byPatient].sort((a, b) => score(b[1]) - score(a[1]))[0];
const store = medst.ImageStore.open(medst.imageStoreDir(preparedDir, settings.storeSize));
const S = store.size;
const blank = new Uint8Array(S * S);
const tiles = steps.flatMap((r) => [
  { pixels: store.read(r.id), width: S, height: S, caption: `${r.studyDate} ${r.viewPosition}` },
  { pixels: r.lateral ? store.read(r.lateral.id) : blank, width: S, height: S, caption: r.lateral ? "LATERAL" : "(no lateral)" },
]);
await medst.showImages(tiles, { columns: 4, tileWidth: 200, title: `Patient ${subjectId}: ${steps.length} studies (frontal | lateral)` });
medst.showTable(steps.map((r) => ({ date: r.studyDate, view: r.viewPosition, impression: r.report.impression ?? "—", findings: r.report.findings ?? "—" })), { caption: "Reports" });
"""),
("code", """
const truth = fs.readFileSync(path.join(cohortDir, "ground_truth.jsonl"), "utf8").trim().split("\\n").map((l) => JSON.parse(l)).filter((g) => g.subject_id === subjectId);
const findingNames = Object.keys(truth[0].findings);
medst.showFigure({
  data: findingNames.filter((f) => truth.some((g) => g.findings[f].severity > 0)).map((f) => ({
    x: truth.map((g) => g.hours_from_first / 24), y: truth.map((g) => g.findings[f].severity),
    type: "scatter", mode: "lines+markers", name: f,
  })),
  layout: { title: { text: `Latent severity, patient ${subjectId}` }, xaxis: { title: { text: "days since first study" } }, yaxis: { title: { text: "severity" }, range: [0, 1] }, height: 380 },
});
"""),
("md", """
## Labels and progression

CheXpert-style labels per study (1 positive, 0 negative, −1 uncertain — hedged
language), and the MS-CXR-T temporal labels of consecutive frontal pairs.
"""),
("code", """
const labelRows = medst.CHEXPERT_LABELS.map((label) => {
  const values = records.map((r) => r.labels?.[label] ?? null);
  return { label, positive: values.filter((v) => v === 1).length, negative: values.filter((v) => v === 0).length, uncertain: values.filter((v) => v === -1).length, blank: values.filter((v) => v === null).length };
});
const labelFrame = new dfd.DataFrame(labelRows);
medst.showTable(labelFrame, { caption: "CheXpert labels over frontal records" });
medst.showFigure({
  data: ["positive", "uncertain", "negative"].map((kind) => ({ x: labelRows.map((r) => r.label), y: labelRows.map((r) => r[kind]), type: "bar", name: kind })),
  layout: { barmode: "stack", title: { text: "Label distribution" }, height: 420, xaxis: { automargin: true, tickangle: -30 } },
});
"""),
("code", """
const pairs = medst.readMsCxrTImagePairs(path.join(cohortDir, "MS_CXR_T_temporal_image_classification_v1.0.0.csv")).rows;
const progressionRows = medst.MS_CXR_T_FINDINGS.map((finding) => {
  const row = { finding };
  for (const cls of medst.PROGRESSION_CLASSES) row[cls] = pairs.filter((p) => p.progression[finding] === cls).length;
  return row;
});
medst.showTable(progressionRows, { caption: `MS-CXR-T temporal labels over ${pairs.length} image pairs` });
medst.showFigure({
  data: medst.PROGRESSION_CLASSES.map((cls) => ({ x: progressionRows.map((r) => r.finding), y: progressionRows.map((r) => r[cls]), type: "bar", name: cls })),
  layout: { barmode: "group", title: { text: "Progression labels" }, height: 360 },
});
"""),
("md", """
## Reports and sequences

Report lengths after cleaning (what the text encoder reads; the paper truncates
at 112 tokens), and how the patients' histories cut into temporal chunks.
"""),
("code", """
medst.showFigure({
  data: [
    { x: records.map((r) => r.report.tokenCount), type: "histogram", name: "words", opacity: 0.7 },
  ],
  layout: { title: { text: "Report length (words after cleaning)" }, xaxis: { title: { text: "words" } }, yaxis: { title: { text: "reports" } }, height: 320 },
});
medst.showFigure({
  data: [{ x: records.map((r) => r.report.sentences.length), type: "histogram", name: "sentences" }],
  layout: { title: { text: "Sentences per report" }, height: 300 },
});
medst.showTable([2, 3, 4].map((T) => ({ T, ...medst.chunkStats(medst.chunkSequences(records, T)) })), { caption: "Temporal chunks by chunk length T" });
"""),
("md", """
## Real images through the same preprocessing

Public sample images (NIH PNG, TBX11K RGB PNG, SIIM DICOM and its MONOCHROME1
twin) read and preprocessed exactly like the cohort. The MONOCHROME1 file stores
inverted grey levels; after reading it looks like its MONOCHROME2 original.
"""),
("code", """
const fixtures = ["nih-00000001_000.png", "tbx11k-h0001.png", "siim-sample.dcm", "monochrome1-sample.dcm"].map((f) => path.resolve("..", "shared", "fixtures", "real", f));
const available = fixtures.filter((f) => fs.existsSync(f));
const realTiles = [];
for (const file of available) realTiles.push({ pixels: await medst.preprocessImage(file, settings.storeSize), width: settings.storeSize, height: settings.storeSize, caption: path.basename(file) });
await medst.showImages(realTiles, { columns: 4, tileWidth: 200, title: "Real fixtures, preprocessed" });
store.close();
console.log(`${available.length} of ${fixtures.length} real fixtures found`);
"""),
]
