/**
 * Exact area downscaling (out ≤ in on both axes) with its per-pixel work in WebAssembly SIMD
 * (area.wat): for each output row, its input rows are added, weighted, into per-column sums
 * 16 pixels at a time (`accumulate`), then the row's horizontal coverage, one division and
 * the half-to-even rounding run over those sums (`reduce_row`). All integer arithmetic, so
 * the result is exactly the area definition of preprocess.ts's `areaResize`; in plain
 * TypeScript the same loops cost ≈ 2 ns per input pixel here and were the bottleneck of
 * `prepare` (bench/decode_resize.ts).
 *
 * One WebAssembly instance per thread (module state); its memory grows to the largest image
 * seen and the image is copied in once per resample.
 */
import type { GrayImage8 } from '../gray_image.ts';
import { AREA_KERNEL_WASM_BASE64 } from './area_wasm.ts';

// The WebAssembly global's types come with TypeScript's DOM lib, which this project does not
// load; this is the part used here.
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  accumulate(row: number, acc: number, n: number, weight: number): void;
  reduce_row(acc: number, spans: number, out: number, nOut: number, inSize: number, unit: bigint, denominator: bigint): void;
}

let kernel: KernelExports | undefined;

function loadKernel(): KernelExports {
  if (kernel) return kernel;
  const bytes = Buffer.from(AREA_KERNEL_WASM_BASE64, 'base64');
  if (!WebAssembly.validate(bytes)) {
    throw new Error('this JavaScript engine cannot run the WebAssembly SIMD area kernel (Node ≥ 16.4 can)');
  }
  kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as KernelExports;
  return kernel;
}

/**
 * A downscaled axis (out ≤ in) per output pixel, in integer units (input pixel i spans
 * [i·out, (i+1)·out), output j spans [j·in, (j+1)·in)): input pixels `fullStart..fullEnd−1`
 * lie wholly inside output j (weight `unit` = out each); pixel `fullStart − 1` overlaps it by
 * `leftWeight`, pixel `fullEnd` by `rightWeight` (0 = none). An input pixel is no wider than
 * an output pixel, so these are all the overlaps, and each output's weights sum to `in`.
 */
export interface DownscaleSpans {
  unit: number;
  fullStart: Int32Array;
  fullEnd: Int32Array;
  leftWeight: Int32Array;
  rightWeight: Int32Array;
}

export function downscaleSpans(inSize: number, outSize: number): DownscaleSpans {
  if (outSize > inSize) throw new Error(`downscaleSpans: ${outSize} > ${inSize} is an upscale`);
  const fullStart = new Int32Array(outSize);
  const fullEnd = new Int32Array(outSize);
  const leftWeight = new Int32Array(outSize);
  const rightWeight = new Int32Array(outSize);
  for (let j = 0; j < outSize; j++) {
    const lo = j * inSize;
    const hi = lo + inSize;
    const start = Math.ceil(lo / outSize);
    const end = Math.floor(hi / outSize);
    fullStart[j] = start;
    fullEnd[j] = end;
    leftWeight[j] = start * outSize - lo;
    rightWeight[j] = hi - end * outSize;
  }
  return { unit: outSize, fullStart, fullEnd, leftWeight, rightWeight };
}

const PAGE = 65536;
const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * Area-downscale an 8-bit image to `width×height` (each ≤ the input's; `height` < 65536, the
 * kernel's 16-bit row weights). Kernel memory: column sums i32[W] | horizontal spans
 * 4 × i32[W'] | output u8[H'×W'] | input u8[H×W].
 */
export function areaDownscale(image: GrayImage8, width: number, height: number): GrayImage8 {
  // Row weights are at most the output height and the kernel multiplies them as 16-bit lanes.
  if (height > 65535) throw new Error(`output height ${height} is above the 65535 rows area resampling supports`);
  const exports = loadKernel();
  const inWidth = image.width;
  const inHeight = image.height;
  const columns = downscaleSpans(inWidth, width);
  const rows = downscaleSpans(inHeight, height);
  const accAt = 0;
  const spansAt = align16(inWidth * 4);
  const outAt = spansAt + align16(width * 16);
  const inAt = outAt + align16(width * height);
  const needed = inAt + inWidth * inHeight;
  const have = exports.memory.buffer.byteLength;
  if (needed > have) exports.memory.grow(Math.ceil((needed - have) / PAGE));
  // Views only after growing: growth detaches the old buffer.
  const buffer = exports.memory.buffer;
  new Uint8Array(buffer, inAt, inWidth * inHeight).set(image.data.subarray(0, inWidth * inHeight));
  const spans = new Int32Array(buffer, spansAt, width * 4);
  spans.set(columns.fullStart, 0);
  spans.set(columns.fullEnd, width);
  spans.set(columns.leftWeight, 2 * width);
  spans.set(columns.rightWeight, 3 * width);
  const columnSums = new Int32Array(buffer, accAt, inWidth);
  const unit = BigInt(columns.unit);
  const denominator = BigInt(inWidth * inHeight);
  for (let y = 0; y < height; y++) {
    columnSums.fill(0);
    const start = rows.fullStart[y]!;
    const end = rows.fullEnd[y]!;
    // r = start − 1 and r = end are the partial rows (skipped when their weight is 0).
    for (let r = start - 1; r <= end; r++) {
      const weight = r < start ? rows.leftWeight[y]! : r === end ? rows.rightWeight[y]! : rows.unit;
      if (weight !== 0) exports.accumulate(inAt + r * inWidth, accAt, inWidth, weight);
    }
    exports.reduce_row(accAt, spansAt, outAt + y * width, width, inWidth, unit, denominator);
  }
  return { width, height, data: new Uint8Array(buffer, outAt, width * height).slice() };
}
