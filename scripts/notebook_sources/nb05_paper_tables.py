NAME = "05-paper-tables.ipynb"
CELLS = [
("md", """
# 05 · The paper's tables

Reads `results/` written by `npm run reproduce` (the six-variant comparison on the
synthetic cohort) and shows the table and one bar chart per metric, mean ± std
over seeds. Without results it runs the quick comparison first.
"""),
("code", """
import * as medst from "./dist/index.js";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

await medst.initBackend({ log: console.log });
const candidates = [path.resolve("results"), path.resolve("out", "reproduce-quick", "results")];
let dir = candidates.find((d) => fs.existsSync(path.join(d, medst.RESULTS_JSON)));
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
medst.showTable(rows.map((r) => Object.fromEntries([["method", r.label], ["seeds", r.seeds], ...metrics.map(({ key, label }) => [label, r.metrics[key] ? medst.formatMeanStd(r.metrics[key]) : "–"])])), { caption: "Mean ± std over seeds" });
"""),
("code", """
for (const { key, label } of metrics) {
  medst.showFigure({
    data: [{ type: "bar", x: rows.map((r) => r.label), y: rows.map((r) => r.metrics[key]?.mean ?? null), error_y: { type: "data", array: rows.map((r) => r.metrics[key]?.std ?? 0), visible: true } }],
    layout: { title: { text: label }, height: 300, margin: { t: 40 } },
  });
}
"""),
("code", """
// Do the temporal objectives beat the global-only baseline on temporal classification?
const byVariant = new Map(rows.map((r) => [r.variant, r]));
const compare = ["global", "fmc", "medst"].map((v) => byVariant.get(v)).filter(Boolean);
medst.showTable(compare.map((r) => ({ method: r.label, "temporal acc": r.metrics.temporal_acc ? medst.formatMeanStd(r.metrics.temporal_acc) : "–", "macro acc (split)": r.metrics.temporal_macro_split ? medst.formatMeanStd(r.metrics.temporal_macro_split) : "–" })), { caption: "Temporal classification: global-only vs the temporal objectives" });
"""),
]
