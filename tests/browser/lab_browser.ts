/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The notebooks as a user runs them: JupyterLab (`npm run lab`) driven by
 * Playwright in Debian's Chromium. For every notebook: open it, Run All on the
 * small settings (MEDST_NOTEBOOK_PROFILE=test), wait until every code cell has
 * run, then check
 *   - no cell shows an error;
 *   - at least the expected number of Plotly graphs is drawn;
 *   - 02's live training plots hold data points after training;
 *   - grey radiographs under overlays are drawn as positives (dark air, bright bone);
 *   - tick labels are not cut off and do not lie over another panel;
 *   - the kernel reads busy while Run All still has cells queued;
 * then (a notebook written by the test) Kernel › Interrupt during training stops it
 * with a checkpoint at that step and leaves the kernel alive;
 * and save a screenshot per notebook under out/browser-test/ (ignored by git).
 *
 * The notebooks run from copies in out/browser-test/notebooks/, so JupyterLab's
 * autosave never touches the tracked files. Usage: `npm run test:browser [-- NAME...]`.
 * Chromium: $MEDST_CHROMIUM, else /usr/bin/chromium (`apt-get install chromium`;
 * never downloaded). A failure names the notebook and the cell.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'out', 'browser-test');
const COPIES = path.join(OUT, 'notebooks');
const CELL_TIMEOUT_MS = Number(process.env.MEDST_BROWSER_NOTEBOOK_TIMEOUT_MS ?? 15 * 60 * 1000);

/** The least number of Plotly graphs each notebook draws on the small settings. */
const EXPECTED_GRAPHS: Record<string, number> = {
  '00-environment.ipynb': 0,
  '01-data-preparation.ipynb': 5,
  '02-pretraining.ipynb': 13, // Med-ST's 5, PRIOR's 3 (losses and curve, reconstructions, prototype usage), IMITATE's 3 (losses and curve, views, soft positives), MPMA's 2 (losses and curve, masked / reconstructed / original)
  '03-downstream-evaluation.ipynb': 6, // + the probe curves of PRIOR, IMITATE and MPMA
  '04-error-analysis.ipynb': 3,
  '05-paper-tables.ipynb': 2,
};

/** Notebooks with a filters cell: after a full run, a user changes a filter and runs that cell and all below, same kernel. */
const RERUN_FROM: Record<string, RegExp> = { '04-error-analysis.ipynb': /Filters/ };

/** A notebook-level failure, naming the notebook and (when known) the cell. */
class NotebookFailure extends Error {}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts `npm run lab`'s server (scripts/lab.mjs) on a free port with a known token; resolves when it answers. */
async function startLab(): Promise<{ child: ChildProcess; base: string; token: string }> {
  const port = await freePort();
  const token = `medst-browser-${process.pid}`;
  // Settings of this test's JupyterLab only: every cell stays in the page (no windowing), so
  // graphs can be counted and a screenshot shows the whole notebook; no news pop-up.
  const settings = path.join(OUT, 'lab-settings');
  const write = (plugin: string, value: unknown) => {
    const file = path.join(settings, `${plugin}.jupyterlab-settings`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(value));
  };
  write('@jupyterlab/notebook-extension/tracker', { windowingMode: 'none' });
  write('@jupyterlab/apputils-extension/notification', { fetchNews: 'false', checkForUpdates: false });
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'lab.mjs'), `--ServerApp.token=${token}`, `--LabApp.user_settings_dir=${settings}`, '--LabApp.news_url=None', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate'], {
    cwd: ROOT,
    env: { ...process.env, MEDST_LAB_PORT: String(port), MEDST_NOTEBOOK_PROFILE: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = fs.createWriteStream(path.join(OUT, 'lab-server.log'));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm run lab exited with code ${child.exitCode}; see ${path.join(OUT, 'lab-server.log')}`);
    try {
      const response = await fetch(`${base}/api/status?token=${token}`);
      if (response.ok) return { child, base, token };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  child.kill();
  throw new Error('JupyterLab did not answer within 120 s');
}

/** Index (1-based), first source line and error text of the first code cell showing an error, or null. */
async function firstErrorCell(page: Page): Promise<{ index: number; source: string; error: string } | null> {
  return page.evaluate(() => {
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
    for (const [i, cell] of cells.entries()) {
      const error = cell.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"].jp-RenderedText pre, .jp-OutputArea-output .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]');
      const traceback = [...cell.querySelectorAll('.jp-OutputArea-output')].find((o) => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr' && /Error|error TS|Exception/.test(o.textContent ?? ''));
      const found = traceback ?? (error && /Error|Exception/.test(error.textContent ?? '') ? error : null);
      if (found) {
        const source = (cell.querySelector('.jp-InputArea-editor')?.textContent ?? '').trim().split('\n')[0] ?? '';
        return { index: i + 1, source: source.slice(0, 120), error: (found.textContent ?? '').trim().slice(0, 800) };
      }
    }
    return null;
  });
}

/** Waits until the cells from the one matching `from` down have run again. */
async function waitForCellsBelow(page: Page, notebook: string, from: RegExp): Promise<void> {
  const deadline = Date.now() + CELL_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const done = await page.evaluate((source) => {
      const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
      const start = cells.findIndex((c) => new RegExp(source).test(c.textContent ?? ''));
      return cells.slice(start).every((c) => /^\[\d+\]:$/.test((c.querySelector('.jp-InputPrompt')?.textContent ?? '').trim()));
    }, from.source);
    if (done) return;
    const error = await firstErrorCell(page);
    if (error) throw new NotebookFailure(`${notebook}, cell ${error.index} (${error.source}), run again after a full run: ${error.error}`);
    await page.waitForTimeout(1000);
  }
  throw new NotebookFailure(`${notebook}: cells below the filters still running after ${CELL_TIMEOUT_MS / 1000} s`);
}

/**
 * Waits until every code cell has an execution count (none queued or running). Returns
 * whether the kernel was shown idle while cells were still queued (seen twice in a row).
 */
async function waitForAllCells(page: Page, notebook: string): Promise<boolean> {
  const deadline = Date.now() + CELL_TIMEOUT_MS;
  let idleWhileRunning = 0;
  while (Date.now() < deadline) {
    const state = await page.evaluate(() => {
      const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map((p) => (p.textContent ?? '').trim());
      const status = document.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status');
      return { prompts, done: prompts.length > 0 && prompts.every((p) => /^\[\d+\]:$/.test(p)), idleWhileQueued: status === 'idle' && prompts.some((p) => p === '[*]:') };
    });
    if (state.done) return idleWhileRunning >= 2;
    idleWhileRunning = state.idleWhileQueued ? idleWhileRunning + 1 : idleWhileRunning >= 2 ? idleWhileRunning : 0;
    const error = await firstErrorCell(page);
    if (error) throw new NotebookFailure(`${notebook}, cell ${error.index} (${error.source}): ${error.error}`);
    await page.waitForTimeout(1000);
  }
  throw new NotebookFailure(`${notebook}: cells still running after ${CELL_TIMEOUT_MS / 1000} s`);
}

/**
 * What the drawn Plotly graphs hold: per graph, its title, point counts, greyscale heatmaps'
 * colour at the darkest value, and axis tick labels cut off by the figure's edge or lying
 * over another panel's plot area.
 */
async function graphs(page: Page): Promise<Array<{ title: string; points: number; greyPositive: boolean[]; clippedLabels: string[]; overlappingLabels: string[] }>> {
  return page.evaluate(() => {
    const luminance = (color: string): number => {
      const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/.exec(color) ?? /#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(color);
      if (!m) return NaN;
      const [r, g, b] = color.startsWith('#') ? [1, 2, 3].map((k) => parseInt(m[k]!, 16)) : [1, 2, 3].map((k) => Number(m[k]));
      return 0.299 * r! + 0.587 * g! + 0.114 * b!;
    };
    return [...document.querySelectorAll('.jp-Notebook .js-plotly-plot')].map((element) => {
      const gd = element as unknown as { data?: Array<Record<string, unknown>>; _fullData?: Array<Record<string, unknown>>; layout?: { title?: { text?: string } | string } };
      const data = gd.data ?? [];
      const points = data.reduce((sum, trace) => {
        const x = trace['x'] as unknown[] | undefined;
        const y = trace['y'] as unknown[] | undefined;
        const z = trace['z'] as unknown[] | undefined;
        const image = trace['type'] === 'image' && typeof trace['source'] === 'string' ? 1 : 0;
        return sum + (x?.length ?? y?.length ?? z?.length ?? image);
      }, 0);
      // A greyscale heatmap (every stop r = g = b) is a radiograph: its lowest value must be drawn dark.
      const greyPositive = (gd._fullData ?? [])
        .filter((trace) => trace['type'] === 'heatmap' && Array.isArray(trace['colorscale']))
        .filter((trace) => (trace['colorscale'] as Array<[number, string]>).every(([, c]) => {
          const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/.exec(c);
          return m !== null && m[1] === m[2] && m[2] === m[3];
        }))
        .map((trace) => {
          const scale = trace['colorscale'] as Array<[number, string]>;
          const low = trace['reversescale'] ? scale[scale.length - 1]![1] : scale[0]![1];
          return luminance(low) < 128;
        });
      const title = typeof gd.layout?.title === 'string' ? gd.layout.title : (gd.layout?.title?.text ?? '');
      const svg = element.querySelector('svg.main-svg')?.getBoundingClientRect();
      const areas = [...element.querySelectorAll('.draglayer .nsewdrag')].map((drag) => ({ rect: drag.getBoundingClientRect(), subplot: drag.getAttribute('data-subplot') ?? '' }));
      const clippedLabels: string[] = [];
      const overlappingLabels: string[] = [];
      for (const tick of element.querySelectorAll('.xaxislayer-above text, .yaxislayer-above text, .g-gtitle text')) {
        const r = tick.getBoundingClientRect();
        const label = tick.textContent ?? '';
        if (r.width === 0 || label === '') continue;
        if (svg && (r.left < svg.left - 1 || r.right > svg.right + 1 || r.top < svg.top - 1 || r.bottom > svg.bottom + 1)) clippedLabels.push(label);
        // The subplot a tick belongs to is named by its axis group's class (e.g. "x2y2"); a label over another subplot's area overlaps it.
        const own = tick.closest('[class*="subplot"]')?.getAttribute('class')?.match(/subplot (\S+)/)?.[1] ?? '';
        const inside = (a: DOMRect) => r.left < a.right - 1 && r.right > a.left + 1 && r.top < a.bottom - 1 && r.bottom > a.top + 1;
        if (areas.some((area) => area.subplot !== own && inside(area.rect))) overlappingLabels.push(label);
      }
      return { title, points, greyPositive, clippedLabels, overlappingLabels };
    });
  });
}

async function waitForKernel(base: string, token: string, notebook: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const sessions = (await (await fetch(`${base}/api/sessions?token=${token}`)).json()) as Array<{ path: string; kernel?: { execution_state?: string } }>;
    if (sessions.some((s) => s.path.endsWith(notebook) && s.kernel?.execution_state === 'idle')) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new NotebookFailure(`${notebook}: its kernel did not start within 120 s`);
}

/** Run › Run All Cells, to the end; true when the kernel showed idle while cells still ran. */
async function runAll(page: Page, notebook: string): Promise<boolean> {
  await page.getByRole('menuitem', { name: 'Run', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Run All Cells/ }).click();
  return waitForAllCells(page, notebook);
}

/** A screenshot of the whole notebook: JupyterLab scrolls inside its panel, so the viewport grows to fit it. */
async function screenshot(page: Page, notebook: string): Promise<void> {
  const height = await page.evaluate(() => {
    const panel = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer') ?? document.querySelector('.jp-Notebook');
    return panel ? panel.scrollHeight + 300 : 1000;
  });
  await page.setViewportSize({ width: 1100, height: Math.min(Math.max(height, 1000), 30000) });
  await page.evaluate(() => document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer')?.scrollTo(0, 0));
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(OUT, `${notebook.replace(/\.ipynb$/, '')}.png`) });
  await page.setViewportSize({ width: 1100, height: 1000 });
}

async function runNotebook(page: Page, base: string, token: string, notebook: string): Promise<string[]> {
  const problems: string[] = [];
  const url = `${base}/lab/tree/${path.relative(ROOT, path.join(COPIES, notebook)).split(path.sep).join('/')}?token=${token}&reset`;
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.locator('.jp-Notebook .jp-Cell').first().waitFor({ timeout: 120_000 });
  // The kernel must be up before Run All, or the run is dropped: wait until the server
  // reports this notebook's kernel idle and the page shows it idle too.
  await waitForKernel(base, token, notebook);
  await page.waitForFunction(() => document.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status') === 'idle', null, { timeout: 60_000 });
  if (await runAll(page, notebook)) problems.push(`${notebook}: the kernel showed "Idle" while Run All still had cells to run`);
  const rerunFrom = RERUN_FROM[notebook];
  if (rerunFrom) {
    // As a user does after changing a filter: that cell and every cell below it again, same kernel.
    const cell = page.locator('.jp-Notebook .jp-CodeCell').filter({ hasText: rerunFrom }).first();
    await cell.locator('.jp-InputPrompt').click();
    await page.evaluate(() => document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt').forEach((p) => (p.textContent = '[ ]:')));
    await page.getByRole('menuitem', { name: 'Run', exact: true }).click();
    await page.getByRole('menuitem', { name: /^Run Selected Cell and All Below/ }).click();
    await waitForCellsBelow(page, notebook, rerunFrom);
  }
  // Give renderers a moment to draw the last outputs.
  await page.waitForTimeout(1500);
  const error = await firstErrorCell(page);
  if (error) problems.push(`${notebook}, cell ${error.index} (${error.source}): ${error.error}`);
  const drawn = await graphs(page);
  const expected = EXPECTED_GRAPHS[notebook] ?? 0;
  if (drawn.length < expected) problems.push(`${notebook}: ${drawn.length} Plotly graph(s) drawn, expected at least ${expected}`);
  const empty = drawn.filter((g) => g.points === 0);
  if (empty.length > 0) problems.push(`${notebook}: ${empty.length} graph(s) drawn without data: ${empty.map((g) => `"${g.title}"`).join(', ')}`);
  for (const g of drawn.filter((g) => g.clippedLabels.length > 0)) problems.push(`${notebook}: "${g.title}" cuts off tick labels ${g.clippedLabels.slice(0, 3).map((l) => `"${l}"`).join(', ')}`);
  for (const g of drawn.filter((g) => g.overlappingLabels.length > 0)) problems.push(`${notebook}: "${g.title}" has tick labels over another panel: ${g.overlappingLabels.slice(0, 3).map((l) => `"${l}"`).join(', ')}`);
  const negatives = drawn.filter((g) => g.greyPositive.some((positive) => !positive));
  if (negatives.length > 0) problems.push(`${notebook}: radiograph drawn as a negative in ${negatives.map((g) => `"${g.title}"`).join(', ')}`);
  if (notebook.startsWith('02-')) {
    const live = drawn.filter((g) => /Loss terms|Throughput/.test(g.title));
    if (live.length < 2 || live.some((g) => g.points === 0)) problems.push(`${notebook}: the live training plots hold no data after training (${live.map((g) => `"${g.title}": ${g.points} points`).join(', ') || 'not drawn'})`);
  }
  await screenshot(page, notebook);
  return problems;
}

const INTERRUPT_NOTEBOOK = 'interrupt-check.ipynb';
const INTERRUPT_RUN = path.join(OUT, 'interrupt-work');

/** A notebook (written by this test) whose training runs long enough to be interrupted from the Kernel menu. */
function writeInterruptNotebook(): void {
  const cell = (source: string) => ({ cell_type: 'code', metadata: {}, source, outputs: [], execution_count: null });
  const work = JSON.stringify(INTERRUPT_RUN);
  const nb = {
    cells: [
      cell(`import * as medst from "./dist/index.js";
import { execFileSync } from "node:child_process";
import path from "node:path";
await medst.initBackend({ log: () => {} });
const work = ${work};
execFileSync(process.execPath, ["--import=tsx", "data-prep/synth.ts", "--out", path.join(work, "cohort"), "--patients", "12", "--size", "64", "--seed", "3"], { stdio: "ignore" });
const prepared = await medst.prepareDataset({ mimicRoot: path.join(work, "cohort"), outDir: path.join(work, "prepared"), size: 40 });
console.log(prepared.info.records, "records");`),
      cell(`// Long enough to be interrupted: Kernel › Interrupt must stop it before its next step, with a checkpoint.
const progress = medst.trainingProgress();
await medst.runPretraining({
  data: path.join(work, "prepared"), imageSize: 40, vocabSize: 300,
  model: { preset: "cpu", overrides: { ...medst.REGIMES.quick.models.medst.overrides, seed: 1 } },
  stages: [{ name: "long", epochs: 500, losses: { global: 1 }, chunkLength: 2, learningRate: 1e-3, warmupFraction: 0.1 }],
  trainer: { rowsPerBatch: 8, crop: 32, maxTokens: 48, seed: 1, gradClipNorm: 1, checkpointEvery: 100000 },
  out: path.join(work, "run"),
}, progress).finally(() => progress.stop());`),
    ],
    metadata: { kernelspec: { name: 'medst', display_name: 'TypeScript (medst)', language: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(path.join(COPIES, INTERRUPT_NOTEBOOK), JSON.stringify(nb));
}

/** Lines of the run's metrics log (0 when there is none yet). */
function metricLines(): number {
  const file = path.join(INTERRUPT_RUN, 'run', 'metrics.jsonl');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '').length : 0;
}

/**
 * Kernel › Interrupt during training: the run stops within a few seconds, leaves a
 * checkpoint at the step where it stopped, and the kernel stays alive (a new cell runs).
 */
async function checkInterrupt(page: Page, base: string, token: string): Promise<string[]> {
  writeInterruptNotebook();
  const url = `${base}/lab/tree/${path.relative(ROOT, path.join(COPIES, INTERRUPT_NOTEBOOK)).split(path.sep).join('/')}?token=${token}&reset`;
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.locator('.jp-Notebook .jp-Cell').first().waitFor({ timeout: 120_000 });
  await waitForKernel(base, token, INTERRUPT_NOTEBOOK);
  await page.getByRole('menuitem', { name: 'Run', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Run All Cells/ }).click();
  const deadline = Date.now() + 180_000;
  while (metricLines() < 5) {
    if (Date.now() > deadline) return [`${INTERRUPT_NOTEBOOK}: training did not start within 180 s`];
    const error = await firstErrorCell(page);
    if (error) return [`${INTERRUPT_NOTEBOOK}, cell ${error.index}: ${error.error}`];
    await page.waitForTimeout(500);
  }
  await page.getByRole('menuitem', { name: 'Kernel', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Interrupt Kernel/ }).click();
  await page.waitForTimeout(5000);
  const stoppedAt = metricLines();
  await page.waitForTimeout(4000);
  const problems: string[] = [];
  if (metricLines() !== stoppedAt) problems.push(`${INTERRUPT_NOTEBOOK}: training went on after Kernel › Interrupt (${stoppedAt} → ${metricLines()} steps)`);
  const checkpoints = path.join(INTERRUPT_RUN, 'run', 'checkpoints');
  const saved = fs.existsSync(checkpoints) ? fs.readdirSync(checkpoints).filter((name) => /^step-\d{8}$/.test(name)) : [];
  if (!saved.some((name) => Number(name.slice(5)) === stoppedAt)) problems.push(`${INTERRUPT_NOTEBOOK}: no checkpoint at step ${stoppedAt} after the interrupt (found ${saved.join(', ') || 'none'})`);
  const sessions = (await (await fetch(`${base}/api/sessions?token=${token}`)).json()) as Array<{ path: string; kernel?: { execution_state?: string } }>;
  const state = sessions.find((s) => s.path.endsWith(INTERRUPT_NOTEBOOK))?.kernel?.execution_state;
  if (state !== 'idle') problems.push(`${INTERRUPT_NOTEBOOK}: the kernel is "${state}" after the interrupt, not idle`);
  await screenshot(page, INTERRUPT_NOTEBOOK);
  return problems;
}

async function main(): Promise<void> {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(COPIES, { recursive: true });
  const wanted = process.argv.slice(2);
  const notebooks = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((name) => name.endsWith('.ipynb')).filter((name) => wanted.length === 0 || wanted.some((w) => name.includes(w))).sort();
  for (const name of notebooks) fs.copyFileSync(path.join(ROOT, 'notebooks', name), path.join(COPIES, name));
  const executablePath = process.env.MEDST_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: install Debian's (apt-get install chromium) or set MEDST_CHROMIUM`);
  const lab = await startLab();
  // A new notebook or console gets the medst kernel: it is the only one offered.
  const specs = (await (await fetch(`${lab.base}/api/kernelspecs?token=${lab.token}`)).json()) as { default: string; kernelspecs: Record<string, unknown> };
  const kernelProblems = specs.default === 'medst' && Object.keys(specs.kernelspecs).join() === 'medst' ? [] : [`JupyterLab offers kernels ${Object.keys(specs.kernelspecs).join(', ')} (default ${specs.default}); only medst expected`];
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const problems: string[] = [...kernelProblems];
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
    // tsx compiles the functions handed to page.evaluate with esbuild's name-keeping helper.
    await context.addInitScript('window.__name = (fn) => fn;');
    for (const notebook of notebooks) {
      const page = await context.newPage();
      const started = Date.now();
      try {
        const found = await runNotebook(page, lab.base, lab.token, notebook);
        problems.push(...found);
        console.log(`[browser] ${notebook}: ${found.length === 0 ? 'ok' : `${found.length} problem(s)`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } catch (error) {
        problems.push(error instanceof NotebookFailure ? error.message : `${notebook}: ${(error as Error).message}`);
        console.log(`[browser] ${notebook}: failed`);
        await screenshot(page, notebook).catch(() => {});
      }
      // Shut the notebook's kernel down before the next one.
      await shutDownKernels(lab.base, lab.token);
      await page.close();
    }
    if (wanted.length === 0 || wanted.includes('interrupt')) {
      const page = await context.newPage();
      const found = await checkInterrupt(page, lab.base, lab.token).catch((error: Error) => [`${INTERRUPT_NOTEBOOK}: ${error.message}`]);
      problems.push(...found);
      console.log(`[browser] Kernel › Interrupt during training: ${found.length === 0 ? 'ok' : `${found.length} problem(s)`}`);
      await page.close();
    }
  } finally {
    await browser.close();
    // Kernels first, then the server: on SIGINT with kernels running Jupyter asks for a confirmation nobody gives.
    await shutDownKernels(lab.base, lab.token);
    await stopLab(lab.child);
  }
  if (problems.length > 0) {
    console.error(`\n[browser] ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}\nscreenshots: ${OUT}`);
    process.exit(1);
  }
  console.log(`[browser] ${notebooks.length} notebook(s) ok; screenshots in ${OUT}`);
  // Nothing of the server may keep this process alive (a kernel outliving it would hold its log pipe).
  process.exit(0);
}

/** Deletes every session, which shuts its kernel down. */
async function shutDownKernels(base: string, token: string): Promise<void> {
  const sessions = (await (await fetch(`${base}/api/sessions?token=${token}`)).json().catch(() => [])) as Array<{ id: string }>;
  await Promise.all(sessions.map((s) => fetch(`${base}/api/sessions/${s.id}?token=${token}`, { method: 'DELETE' }))).catch(() => {});
}

/** SIGTERM (no confirmation prompt), then SIGKILL if the server is still up after 15 s. */
async function stopLab(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
  child.stdout?.destroy();
  child.stderr?.destroy();
}

await main();
