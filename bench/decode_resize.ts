/**
 * `decode-resize`: JPEG decode + grayscale + longest side to 256 with area
 * averaging, raw bytes out — medst's `preprocessImage` (sharp decodes, the
 * area resample is WebAssembly SIMD) versus Pillow (`bench/pillow_decode_resize.py`)
 * on the same 200 synthetic 1024×1024 grayscale JPEGs (quality 90, one
 * component, as MIMIC-CXR-JPG) in the same run. Each side reports its fastest
 * of 3 passes after a warm-up.
 *
 * Headline: sharp with `CONCURRENCY` images in flight (libuv threadpool, through the same
 * ordered pool as `npm run prepare`) against Pillow in one process; the verdict line is PASS
 * when the best sharp rate ≥ that Pillow rate. Beside it, the ratios at equal resources (one
 * core each: sharp 1 in flight vs 1 process; all cores each: best sharp vs one Pillow process
 * per core) and the decode alone on each side, which is where the time goes: the area
 * resample is WebAssembly SIMD (≈ 1 ms of 1024² → 256²), and sharp's bundled libvips/mozjpeg
 * JPEG decode plus its per-call pipeline cost (≈ 1.2 ms on a 64×64 JPEG) is slower than
 * Pillow's libjpeg-turbo here.
 *
 * Python with Pillow is looked for in this order: $MEDST_BENCH_PYTHON,
 * .venv-bench/bin/python, .venv/bin/python; when none has Pillow, the bench
 * creates .venv-bench from requirements-bench.txt (`python3 -m venv` +
 * `pip install --retries 0`), and prints a skip line if that fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { activeBackend } from '../lib/backend.ts';
import { decodeRasterGray8 } from '../lib/data/image_io.ts';
import { preprocessImage } from '../lib/data/preprocess.ts';
import { forEachSettledInOrder } from '../lib/util/ordered_pool.ts';
import { Rng } from '../lib/util/rng.ts';
import type { BenchCase } from './case.ts';
import { findBenchPython } from './python.ts';

const FILES = 200;
const SIDE = 1024;
const SIZE = 256;
const REPEATS = 3;
const CONCURRENCY = [1, 2, 4];
/** A typical MIMIC-CXR-JPG film (portrait, quality 95) for the projection to the real dataset. */
const MIMIC = { files: 24, width: 2544, height: 3056, quality: 95, datasetImages: 377_110 };
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

/**
 * Fastest of REPEATS passes over `files` with `concurrency` images in flight — through the
 * same ordered pool `npm run prepare` uses — of `work` (the full preprocessing, or the decode alone).
 */
async function sharpRate(files: string[], concurrency: number, work: (file: string) => Promise<unknown>): Promise<number> {
  const pass = (list: string[]): Promise<void> => forEachSettledInOrder(list, concurrency, work, (file, result) => {
    if (result.status === 'rejected') throw new Error(`decode-resize: ${file}: ${(result.reason as Error).message}`);
  });
  await pass(files.slice(0, 20));
  let best = Infinity;
  for (let r = 0; r < REPEATS; r++) {
    const started = performance.now();
    await pass(files);
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  return files.length / best;
}

/** `tf.node.decodeJpeg` to a grey [H, W, 1] tensor read back to JS, or null on the pure-JS backend. */
function tensorflowDecoder(): ((file: string) => Promise<unknown>) | null {
  const info = activeBackend();
  if (!info || info.package === '@tensorflow/tfjs-backend-cpu') return null;
  const tfnode = createRequire(import.meta.url)(info.package) as { node: { decodeJpeg(bytes: Uint8Array, channels: number): { dataSync(): Uint8Array | Int32Array | Float32Array; dispose(): void } } };
  return async (file) => {
    const image = tfnode.node.decodeJpeg(await readFile(file), 1);
    const pixels = image.dataSync();
    image.dispose();
    return pixels;
  };
}

const preprocess = (file: string): Promise<Uint8Array> => preprocessImage(file, SIZE);
const decodeOnly = async (file: string): Promise<unknown> => decodeRasterGray8(await readFile(file), file);

export const decodeResizeCase: BenchCase = {
  name: 'decode-resize',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'medst-bench-jpeg-'));
    const figures: Record<string, number | string> = { files: `${FILES} × ${SIDE}×${SIDE} 1-component gray JPEG q90 → ${SIZE}` };
    try {
      const files = await writeJpegs(dir, FILES, SIDE, SIDE, 90);
      figures['sharp.concurrency() (libvips threads per image)'] = sharp.concurrency();
      figures['UV_THREADPOOL_SIZE'] = process.env.UV_THREADPOOL_SIZE ?? '4 (default)';
      figures['CPU cores'] = availableParallelism();
      let bestSharp = 0;
      let bestConcurrency = 1;
      for (const concurrency of CONCURRENCY) {
        const rate = await sharpRate(files, concurrency, preprocess);
        figures[`sharp+area images/s, ${concurrency} in flight`] = Math.round(rate);
        if (rate > bestSharp) [bestSharp, bestConcurrency] = [rate, concurrency];
      }
      // At the real dataset's film size: the rate and what it means for preparing all of MIMIC-CXR-JPG.
      const mimicFiles = await writeJpegs(dir, MIMIC.files, MIMIC.width, MIMIC.height, MIMIC.quality);
      const mimicLabel = `MIMIC-size ${MIMIC.width}×${MIMIC.height} q${MIMIC.quality}`;
      const mimicRate = await sharpRate(mimicFiles, bestConcurrency, preprocess);
      const mimicOne = await sharpRate(mimicFiles, 1, preprocess);
      figures[`${mimicLabel}: sharp+area images/s, 1 in flight`] = Number(mimicOne.toFixed(1));
      figures[`${mimicLabel}: sharp+area images/s, ${bestConcurrency} in flight`] = Number(mimicRate.toFixed(1));
      figures[`${mimicLabel}: hours for all ${MIMIC.datasetImages} MIMIC-CXR-JPG images at that rate`] = Number((MIMIC.datasetImages / mimicRate / 3600).toFixed(1));
      // Where the time goes: sharp's JPEG decode alone (8-bit grey out), one at a time.
      figures['sharp decode only images/s, 1 in flight'] = Math.round(await sharpRate(files, 1, decodeOnly));
      // The other native JPEG decoder at hand: TensorFlow's libjpeg-turbo, through tfjs-node.
      const tfDecode = tensorflowDecoder();
      if (tfDecode) figures['tfjs-node decodeJpeg only images/s, 1 at a time'] = Math.round(await sharpRate(files, 1, tfDecode));
      const { python, note } = findBenchPython('decode-resize', ['PIL', 'numpy']);
      if (!python) {
        console.log(`decode-resize: SKIP Pillow comparison (${note}); set MEDST_BENCH_PYTHON to a Python with Pillow`);
        figures['Pillow'] = `skipped: ${note}`;
        return figures;
      }
      const dump = join(dir, 'pillow-first.raw');
      const script = join(ROOT, 'bench', 'pillow_decode_resize.py');
      const pillowRate = (processes: number, decodeOnlyPillow = false, list = files): { imagesPerSecond: number; pillow: string } => {
        const args = [script, '--size', String(SIZE), '--repeats', String(REPEATS), '--processes', String(processes), '--dump', dump, ...(decodeOnlyPillow ? ['--decode-only'] : []), ...list];
        const result = spawnSync(python, args, { encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`decode-resize: ${script} failed:\n${result.stderr}`);
        return JSON.parse(result.stdout.trim().split('\n').pop()!) as { imagesPerSecond: number; pillow: string };
      };
      const pillow = pillowRate(1);
      figures[`Pillow ${pillow.pillow} images/s (1 process, ${note})`] = Math.round(pillow.imagesPerSecond);
      const pillowDecode = pillowRate(1, true).imagesPerSecond;
      figures['Pillow decode only images/s (1 process)'] = Math.round(pillowDecode);
      const cores = availableParallelism();
      const pillowAllCores = cores > 1 ? pillowRate(cores).imagesPerSecond : pillow.imagesPerSecond;
      if (cores > 1) figures[`Pillow images/s, ${cores} processes`] = Math.round(pillowAllCores);
      const ratio = bestSharp / pillow.imagesPerSecond;
      const sharpOne = figures['sharp+area images/s, 1 in flight'] as number;
      const sharpDecode = figures['sharp decode only images/s, 1 in flight'] as number;
      figures[`ratio sharp(${bestConcurrency} in flight)/Pillow(1 process)`] = Number(ratio.toFixed(2));
      // Equal resources: one core each, and all cores each.
      figures['ratio sharp(1 in flight)/Pillow(1 process), one core each'] = Number((sharpOne / pillow.imagesPerSecond).toFixed(2));
      figures[`ratio sharp(${bestConcurrency} in flight)/Pillow(${cores} processes), all cores each`] = Number((bestSharp / pillowAllCores).toFixed(2));
      figures['ratio decode only, sharp/Pillow (one core each)'] = Number((sharpDecode / pillowDecode).toFixed(2));
      const verdict = ratio >= 1 ? 'PASS' : 'FAIL';
      figures['requirement sharp ≥ Pillow'] = `${verdict} (sharp ${bestConcurrency} in flight vs Pillow 1 process: ${ratio.toFixed(2)}×)`;
      console.log(`decode-resize: ${verdict}: sharp ${Math.round(bestSharp)} images/s (${bestConcurrency} in flight) vs Pillow ${Math.round(pillow.imagesPerSecond)} images/s (1 process), ratio ${ratio.toFixed(2)}; ` +
        `at equal cores ${(sharpOne / pillow.imagesPerSecond).toFixed(2)} (one each) and ${(bestSharp / pillowAllCores).toFixed(2)} (all each); decode alone ${(sharpDecode / pillowDecode).toFixed(2)}`);
      // Same files, same maths: the outputs should agree to rounding (Pillow's reduce rounds ties up, medst to even).
      const ours = await preprocessImage(files[0]!, SIZE);
      const theirs = readFileSync(dump);
      let maxDiff = 0;
      for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - theirs[i]!));
      figures['max |medst − Pillow| on file 0'] = maxDiff;
      // After the comparison above: this run overwrites the dump with a MIMIC-size image.
      const mimicPillow = pillowRate(1, false, mimicFiles).imagesPerSecond;
      figures[`${mimicLabel}: Pillow images/s (1 process)`] = Number(mimicPillow.toFixed(1));
      figures[`${mimicLabel}: ratio sharp(${bestConcurrency} in flight)/Pillow(1 process)`] = Number((mimicRate / mimicPillow).toFixed(2));
      figures[`${mimicLabel}: ratio sharp(1 in flight)/Pillow(1 process), one core each`] = Number((mimicOne / mimicPillow).toFixed(2));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
