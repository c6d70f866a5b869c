/**
 * `decode-resize`: film-size JPEG → 256 px, as `npm run prepare` does it —
 * medst's `preprocessImage` (libjpeg-turbo through TensorFlow at the DCT
 * scale just above the target, then the exact area resample in WebAssembly)
 * against Pillow at its best (`Image.draft` + BOX, bench/pillow_decode_resize.py)
 * on the same synthetic MIMIC-size films (2544×3056, one grey component,
 * quality 95), in the same run; each side's fastest of 3 passes after a warm-up.
 *
 * Figures: one core each (medst on the main thread vs one Pillow process) —
 * the headline, PASS when ≥ 0.8 —, all cores each (medst's decode-worker pool
 * vs one Pillow process per core), the decode alone on each side (where the
 * rest goes), the pixel difference from Pillow's output and from medst's own
 * full decode, and the projected time to prepare all 377,110 MIMIC-CXR-JPG
 * images on this machine and on N machines with `prepare --shard i/N`.
 *
 * Python with Pillow is looked for in this order: $MEDST_BENCH_PYTHON,
 * .venv-bench/bin/python, .venv/bin/python; when none has Pillow, the bench
 * creates .venv-bench from requirements-bench.txt (`python3 -m venv` +
 * `pip install --retries 0`), and prints a skip line if that fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { dctScaleFor, decodeJpegGray8 } from '../lib/data/jpeg_decode.ts';
import { letterboxGeometry, preprocessImage } from '../lib/data/preprocess.ts';
import { PreprocessPool } from '../lib/data/preprocess_pool.ts';
import { forEachSettledInOrder } from '../lib/util/ordered_pool.ts';
import { Rng } from '../lib/util/rng.ts';
import type { BenchCase } from './case.ts';
import { findBenchPython } from './python.ts';

const SIZE = 256;
const REPEATS = 3;
/** A typical MIMIC-CXR-JPG film (portrait, quality 95) for the projection to the real dataset. */
const MIMIC = { files: 24, width: 2544, height: 3056, quality: 95, datasetImages: 377_110 };
/** Machine counts for the sharded projection. */
const MACHINES = [4, 16];
const PER_CORE_TARGET = 0.8;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A chest-film-like test card: smooth gradients, two "lungs", ribs, noise (scaled to the film). */
function syntheticRadiograph(rng: Rng, width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height);
  const scale = width / 1024;
  const cx = width / 2 + rng.range(-40, 40) * scale;
  const ribPhase = rng.range(0, Math.PI * 2);
  const [sx, sy] = [90 * scale, 220 * (height / 1024)];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = Math.abs(x - cx) - width * 0.2;
      const dy = y - height * 0.5;
      const lung = Math.exp(-(dx * dx) / (2 * sx * sx) - (dy * dy) / (2 * sy * sy));
      const ribs = 0.15 * Math.sin(y / (22 * scale) + ribPhase + (0.002 * (x - cx) * (x - cx)) / (40 * scale * scale));
      const value = 200 - 150 * lung + 30 * ribs * lung + ((x + y) * 0.02) / scale + rng.normal(0, 6);
      pixels[y * width + x] = Math.max(0, Math.min(255, Math.round(value)));
    }
  }
  return pixels;
}

/** `count` 1-component grey JPEGs of `width×height`: eight base films, each copy shifted so every file's bytes differ. */
async function writeJpegs(dir: string, count: number, width: number, height: number, quality: number): Promise<string[]> {
  const rng = new Rng(2024);
  const bases = Array.from({ length: Math.min(8, count) }, () => syntheticRadiograph(rng, width, height));
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const base = bases[i % bases.length]!;
    const shift = Math.floor(i / bases.length);
    const pixels = new Uint8Array(width * height);
    pixels.set(base.subarray(shift * width), 0);
    pixels.set(base.subarray(0, shift * width), (height - shift) * width);
    const file = join(dir, `film-${width}x${height}-${String(i).padStart(3, '0')}.jpg`);
    // toColourspace('b-w'): without it sharp writes a 3-component YCbCr JPEG of the grey film.
    await sharp(pixels, { raw: { width, height, channels: 1 } }).toColourspace('b-w').jpeg({ quality }).toFile(file);
    files.push(file);
  }
  return files;
}

/** Fastest of REPEATS passes over `files` with `inFlight` images at a time through the ordered pool `prepare` uses; images/s. */
async function rate(files: string[], inFlight: number, work: (file: string) => Promise<unknown>): Promise<number> {
  const pass = (list: string[]): Promise<void> =>
    forEachSettledInOrder(list, inFlight, work, (file, result) => {
      if (result.status === 'rejected') throw new Error(`decode-resize: ${file}: ${(result.reason as Error).message}`);
    });
  await pass(files.slice(0, 8));
  let best = Infinity;
  for (let r = 0; r < REPEATS; r++) {
    const started = performance.now();
    await pass(files);
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  return files.length / best;
}

/** The DCT-scaled decode alone, as preprocessImage does it (no resample). */
async function decodeOnly(file: string): Promise<unknown> {
  const bytes = new Uint8Array(await readFile(file));
  const scale = dctScaleFor(MIMIC.width, MIMIC.height, letterboxGeometry(MIMIC.width, MIMIC.height, SIZE));
  return decodeJpegGray8(bytes, file, scale);
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

export const decodeResizeCase: BenchCase = {
  name: 'decode-resize',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'medst-bench-jpeg-'));
    const cores = availableParallelism();
    const label = `${MIMIC.files} films ${MIMIC.width}×${MIMIC.height} grey q${MIMIC.quality} → ${SIZE}`;
    const figures: Record<string, number | string> = { files: label, 'CPU cores': cores };
    try {
      const files = await writeJpegs(dir, MIMIC.files, MIMIC.width, MIMIC.height, MIMIC.quality);
      const scale = dctScaleFor(MIMIC.width, MIMIC.height, letterboxGeometry(MIMIC.width, MIMIC.height, SIZE));
      figures['DCT scale used'] = `1/${scale}`;
      const medstOne = await rate(files, 1, (file) => preprocessImage(file, SIZE));
      const medstDecode = await rate(files, 1, decodeOnly);
      const medstFull = await rate(files, 1, (file) => preprocessImage(file, SIZE, { jpeg: 'full' }));
      const pool = await PreprocessPool.start(cores);
      let medstAll: number;
      try {
        medstAll = await rate(files, 2 * cores, (file) => pool.run(file, SIZE));
      } finally {
        await pool.close();
      }
      figures['medst images/s, one core (main thread)'] = round(medstOne, 1);
      figures[`medst images/s, ${cores} decode workers`] = round(medstAll, 1);
      figures['medst DCT-scaled decode alone images/s, one core'] = round(medstDecode, 1);
      figures['medst with full JPEG decode images/s, one core'] = round(medstFull, 1);
      // How far the DCT-scaled output is from the full decode's.
      let maxFull = 0;
      let sumFull = 0;
      let count = 0;
      for (const file of files.slice(0, 8)) {
        const [scaled, full] = [await preprocessImage(file, SIZE), await preprocessImage(file, SIZE, { jpeg: 'full' })];
        for (let i = 0; i < scaled.length; i++) {
          const d = Math.abs(scaled[i]! - full[i]!);
          maxFull = Math.max(maxFull, d);
          sumFull += d;
          count++;
        }
      }
      figures['DCT-scaled vs full decode: max |difference| (grey levels, 8 films)'] = maxFull;
      figures['DCT-scaled vs full decode: mean |difference|'] = round(sumFull / count, 3);
      const project = (imagesPerSecond: number, machines = 1) => round(MIMIC.datasetImages / imagesPerSecond / machines / 3600, 1);
      figures[`hours to prepare all ${MIMIC.datasetImages} MIMIC-CXR-JPG images, this machine (${cores} cores)`] = project(medstAll);
      for (const machines of MACHINES) figures[`hours on ${machines} such machines (prepare --shard i/${machines}, then --merge)`] = project(medstAll, machines);

      const { python, note } = findBenchPython('decode-resize', ['PIL', 'numpy']);
      if (!python) {
        console.log(`decode-resize: SKIP Pillow comparison (${note}); set MEDST_BENCH_PYTHON to a Python with Pillow`);
        figures['Pillow'] = `skipped: ${note}`;
        return figures;
      }
      const dump = join(dir, 'pillow-first.raw');
      const script = join(ROOT, 'bench', 'pillow_decode_resize.py');
      const pillowRate = (processes: number, extra: string[] = []): { imagesPerSecond: number; pillow: string } => {
        const args = [script, '--size', String(SIZE), '--repeats', String(REPEATS), '--processes', String(processes), '--dump', dump, ...extra, ...files];
        const result = spawnSync(python, args, { encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`decode-resize: ${script} failed:\n${result.stderr}`);
        return JSON.parse(result.stdout.trim().split('\n').pop()!) as { imagesPerSecond: number; pillow: string };
      };
      const pillowFull = pillowRate(1).imagesPerSecond;
      const pillowDecode = pillowRate(1, ['--draft', '--decode-only']).imagesPerSecond;
      const pillowAll = cores > 1 ? pillowRate(cores, ['--draft']).imagesPerSecond : NaN;
      const pillow = pillowRate(1, ['--draft']); // last: its dump is file 0 at the draft scale
      figures[`Pillow ${pillow.pillow} draft + BOX images/s, one process (${note})`] = round(pillow.imagesPerSecond, 1);
      if (cores > 1) figures[`Pillow draft + BOX images/s, ${cores} processes`] = round(pillowAll, 1);
      figures['Pillow draft decode alone images/s, one process'] = round(pillowDecode, 1);
      figures['Pillow full decode + BOX images/s, one process'] = round(pillowFull, 1);
      const perCore = medstOne / pillow.imagesPerSecond;
      figures['ratio medst/Pillow, one core each (target ≥ 0.8)'] = round(perCore);
      if (cores > 1) figures['ratio medst/Pillow, all cores each'] = round(medstAll / pillowAll);
      // Where the rest goes: the decode itself (TensorFlow's op returns int32 samples, read back and narrowed to
      // bytes, where Pillow fills 8-bit rows in place), and per image the time beyond the decode on each side.
      figures['ratio decode alone, medst/Pillow'] = round(medstDecode / pillowDecode);
      figures['ms per image beyond the decode, medst'] = round(1000 / medstOne - 1000 / medstDecode);
      figures['ms per image beyond the decode, Pillow'] = round(1000 / pillow.imagesPerSecond - 1000 / pillowDecode);
      // Pillow's output is the resized film without the padding: compare it with that region of ours.
      const ours = await preprocessImage(files[0]!, SIZE);
      const theirs = readFileSync(dump);
      const geometry = letterboxGeometry(MIMIC.width, MIMIC.height, SIZE);
      if (theirs.length !== geometry.width * geometry.height) throw new Error(`decode-resize: Pillow wrote ${theirs.length} bytes, expected ${geometry.width}×${geometry.height}`);
      let maxPillow = 0;
      for (let y = 0; y < geometry.height; y++) {
        for (let x = 0; x < geometry.width; x++) {
          maxPillow = Math.max(maxPillow, Math.abs(ours[(y + geometry.top) * SIZE + x + geometry.left]! - theirs[y * geometry.width + x]!));
        }
      }
      figures['max |medst − Pillow draft + BOX| on file 0 (grey levels)'] = maxPillow;
      const verdict = perCore >= PER_CORE_TARGET ? 'PASS' : 'FAIL';
      console.log(
        `decode-resize: ${verdict}: medst ${medstOne.toFixed(1)} vs Pillow (draft + BOX) ${pillow.imagesPerSecond.toFixed(1)} films/s on one core each, ratio ${perCore.toFixed(2)} (target ≥ ${PER_CORE_TARGET}); ` +
          `decode alone ${(medstDecode / pillowDecode).toFixed(2)}; all cores ${cores > 1 ? (medstAll / pillowAll).toFixed(2) : 'n/a'}; ` +
          `${project(medstAll)} h for MIMIC-CXR-JPG on this machine`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
