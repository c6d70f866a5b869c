import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { areaDownscale, downscaleSpans } from '../../lib/data/area_kernel/index.ts';
import { areaResize } from '../../lib/data/preprocess.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function randomBytes(length: number, seed: number): Uint8Array {
  let state = seed;
  return Uint8Array.from({ length }, () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) >> 16) & 255);
}

test('the committed kernel bytes are area.wat assembled (scripts/build_wasm.mjs --check)', (t) => {
  const result = spawnSync(process.execPath, ['scripts/build_wasm.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
  t.is(result.status, 0, result.stderr);
});

/** Exact area by integer coverage (input pixel i spans [i·out, (i+1)·out)), ties to even. */
function exactArea(pixels: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array {
  const cover = (inSize: number, outSize: number, j: number, i: number): number =>
    Math.max(0, Math.min((j + 1) * inSize, (i + 1) * outSize) - Math.max(j * inSize, i * outSize));
  const out = new Uint8Array(outWidth * outHeight);
  const denominator = BigInt(width * height);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      let sum = 0n;
      for (let iy = Math.floor((y * height) / outHeight); iy < Math.ceil(((y + 1) * height) / outHeight); iy++) {
        const wy = cover(height, outHeight, y, iy);
        for (let ix = Math.floor((x * width) / outWidth); ix < Math.ceil(((x + 1) * width) / outWidth); ix++) {
          sum += BigInt(wy * cover(width, outWidth, x, ix) * pixels[iy * width + ix]!);
        }
      }
      let quotient = sum / denominator;
      const twice = 2n * (sum - quotient * denominator);
      if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
      out[y * outWidth + x] = Number(quotient);
    }
  }
  return out;
}

test('areaResize through the kernel equals exact integer area (ties to even) on odd sizes', (t) => {
  for (const [width, height, outWidth, outHeight] of [[1030, 517, 256, 128], [257, 300, 100, 117], [48, 48, 16, 16], [19, 400, 3, 64]] as const) {
    const pixels = randomBytes(width * height, width + height);
    const ours = areaResize({ width, height, data: pixels }, outWidth, outHeight);
    t.deepEqual(Array.from(ours.data), Array.from(exactArea(pixels, width, height, outWidth, outHeight)), `${width}×${height}→${outWidth}×${outHeight}`);
  }
});

test('extreme shapes (one column of 70 000 rows, 65 535 columns) and a smaller image after larger ones', (t) => {
  const tall = randomBytes(1 * 70_000, 3); // 70 000 rows → 1: every row weight is 1, the sum 70 000 · 255 at most
  t.deepEqual(Array.from(areaDownscale({ width: 1, height: 70_000, data: tall }, 1, 1).data), Array.from(exactArea(tall, 1, 70_000, 1, 1)));
  const wide = randomBytes(65_535 * 2, 4); // 2 rows → 1 of 65 535 columns: row weight 1, column unit 65 535
  t.deepEqual(Array.from(areaDownscale({ width: 65_535, height: 2, data: wide }, 65_535, 1).data), Array.from(exactArea(wide, 65_535, 2, 65_535, 1)));
  t.throws(() => areaDownscale({ width: 1, height: 70_000, data: tall }, 1, 65_536), { message: /65535 rows/ });
  const small = randomBytes(40 * 30, 5);
  t.deepEqual(Array.from(areaDownscale({ width: 40, height: 30, data: small }, 7, 29).data), Array.from(exactArea(small, 40, 30, 7, 29)));
});

test('downscaleSpans: weights of each output pixel sum to the input size', (t) => {
  for (const [inSize, outSize] of [[1024, 256], [3056, 256], [7, 7], [100, 3]] as const) {
    const spans = downscaleSpans(inSize, outSize);
    for (let j = 0; j < outSize; j++) {
      const total = spans.unit * (spans.fullEnd[j]! - spans.fullStart[j]!) + spans.leftWeight[j]! + spans.rightWeight[j]!;
      t.is(total, inSize, `${inSize}→${outSize}, pixel ${j}`);
    }
  }
  t.throws(() => downscaleSpans(3, 4), { message: /upscale/ });
});
