# Shared first cells of the evaluation notebooks: find a trained Med-ST and its data.
FIND_RUN = """
import * as medst from "./dist/index.js";
import * as tf from "@tensorflow/tfjs-core";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

await medst.initBackend({ log: console.log });
const test = (process.env.MEDST_NOTEBOOK_PROFILE ?? "full") === "test";
// A comparison run made by `npm run reproduce` (full or --quick); without one, make the quick one.
const workDirs = [path.resolve("out", "reproduce"), path.resolve("out", "reproduce-quick")];
// Only comparisons made by this version (their setup.json names the regime).
const current = (w) => fs.existsSync(path.join(w, "runs", "medst-s1", "final", "model.safetensors")) && JSON.parse(fs.readFileSync(path.join(w, "setup.json"), "utf8")).regime !== undefined;
let work = workDirs.find(current);
if (!work) {
  work = workDirs[1];
  console.log("no comparison run yet: running `npm run reproduce -- --quick` (a few minutes)");
  execFileSync(process.execPath, ["--import=tsx", "scripts/reproduce.ts", "--quick", "--work", work, "--out", path.join(work, "results")], { stdio: ["ignore", "pipe", "pipe"] });
}
const setup = JSON.parse(fs.readFileSync(path.join(work, "setup.json"), "utf8"));
const cohortDir = path.join(work, "cohort");
const preparedDir = path.join(work, "prepared");
const { records } = medst.readManifest(preparedDir);
const model = await medst.loadFrozenModel(path.join(work, "runs", "medst-s1", "final"), { maxTokens: setup.regime.maxTokens });
console.log(`model: ${path.join(work, "runs", "medst-s1", "final")} (${setup.quick ? "quick" : "full"} comparison run), ${records.length} records`);
"""
