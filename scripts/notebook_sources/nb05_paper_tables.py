NAME = "05-paper-tables.ipynb"
CELLS = [
("md", """
# 05 · The paper's tables

Reads `results/` written by `npm run reproduce` (the reference rows — majority /
chance, raw pixels, random init, supervised ceiling — and the five pre-trained
variants on the synthetic cohort) and shows the table, the learning curves
(probe AUROC and temporal macro accuracy after each epoch) and one bar chart per
metric, mean ± std over seeds. Without results it runs the quick comparison first.
"""),
("code", """
import * as medst from "./dist/index.js";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

await medst.initBackend({ log: console.log });
const candidates = [path.resolve("results"), path.resolve("out", "reproduce-quick", "results")];
let dir = candidates.find((d) => fs.existsSync(path.join(d, medst.RESULTS_JSON)) && JSON.parse(fs.readFileSync(path.join(d, medst.RESULTS_JSON), "utf8")).version === 2);
if (!dir) {
  dir = candidates[1];
  execFileSync(process.execPath, ["--import=tsx", "scripts/reproduce.ts", "--quick", "--work", path.resolve("out", "reproduce-quick"), "--out", dir], { stdio: ["ignore", "pipe", "pipe"] });
}
const results = medst.readComparison(dir);
console.log(`results from ${dir}: ${results.runs.length} runs`, results.setup);
"""),
("code", """
const rows = medst.aggregate(results);
const metrics = results.metrics.filter(({ key }) => rows.some((r) => r.metrics[key]));
const nOf = (key) => Math.max(...rows.map((r) => r.metrics[key]?.n ?? 0));
medst.showTable(rows.map((r) => Object.fromEntries([["row", r.kind === "reference" ? `(ref) ${r.label}` : r.label], ["seeds", r.seeds.filter((s) => s !== null).length || "–"], ...metrics.map(({ key, label }) => [`${label} (n=${nOf(key)})`, r.metrics[key] ? medst.formatMeanStd(r.metrics[key], 3, { omitZeroStd: true }) : "–"])])), { caption: "Mean ± std over seeds; (ref) = reference rows" });
"""),
("md", "## Learning curves: probe AUROC and temporal macro accuracy after each epoch"),
("code", """
for (const { heading, figure } of medst.learningCurveFigures(results.curves)) medst.showFigure({ ...figure, layout: { ...figure.layout, title: { text: heading }, margin: { t: 50 } } });
"""),
("code", """
for (const { key, label } of metrics) {
  medst.showFigure({
    data: [{ type: "bar", x: rows.map((r) => r.label), y: rows.map((r) => r.metrics[key]?.mean ?? null), marker: { color: rows.map((r) => (r.kind === "reference" ? "#aaaaaa" : "#1f77b4")) }, error_y: { type: "data", array: rows.map((r) => r.metrics[key]?.std ?? 0), visible: true } }],
    // automargin: the row names under the bars ("+ RMR (Med-ST, staged)") get the room they need.
    layout: { title: { text: `${label} (n=${nOf(key)}; grey = reference rows)` }, height: 340, margin: { t: 40 }, xaxis: { automargin: true, tickangle: -30 } },
  });
}
"""),
("code", """
// Do the temporal objectives beat the references and the global-only baseline on temporal classification?
const byRow = new Map(rows.map((r) => [r.name, r]));
const compare = ["majority", "raw_pixels", "random", "supervised", "global", "fmc", "medst"].map((v) => byRow.get(v)).filter(Boolean);
const fmt = (m) => (m ? medst.formatMeanStd(m, 3, { omitZeroStd: true }) : "–");
medst.showTable(compare.map((r) => ({ row: r.label, "macro acc (fixed split)": fmt(r.metrics.temporal_macro_acc), "acc (fixed split)": fmt(r.metrics.temporal_acc), "acc (CV)": fmt(r.metrics.temporal_cv_acc) })), { caption: "Temporal classification: references, global-only and the temporal objectives" });
"""),
]
