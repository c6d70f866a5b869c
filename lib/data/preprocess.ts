/**
 * Image preprocessing for pre-training (methods §1.6): 8-bit grayscale, the
 * longest side resized to S with area interpolation, zero-padded to a centred
 * S×S square. This is the `resize_img` of MGCA/GLoRIA (which Med-ST reuses):
 * the short side becomes `trunc(short · S / long)`, and the padding puts
 * `floor(pad / 2)` zeros before the image and the rest after it.
 *
 * Area interpolation: sharp (libvips) offers no area kernel — its kernels are
 * nearest, linear, cubic, mitchell, lanczos2/3 and mks2013/2021, and its
 * downscale is a box *shrink* by an integer factor followed by one of those
 * kernels, so it is not area averaging. sharp only decodes here; the resample
 * (`areaResize`) is exact area averaging, its per-pixel loops in WebAssembly
 * SIMD (`area_kernel/`): each output
 * pixel is the mean of the input pixels it covers, weighted by the covered
 * fraction (OpenCV's INTER_AREA definition for downscaling; for integer
 * factors this is the block mean, i.e. Pillow's `Image.reduce`). The sums are
 * computed in exact integer units and rounded once, half to even (OpenCV's
 * cvRound), so results are bit-identical to `cv2.resize(..., INTER_AREA)` for
 * integer factors ≥ 3 and within ±1 grey level otherwise (OpenCV accumulates
 * non-integer factors in float32, and rounds its 2× fast path half up).
 * Upscaling (an image smaller than S, rare for radiographs) uses the same box
 * coverage, where OpenCV would switch to bilinear.
 *
 * Film-size JPEGs (one 8-bit component, as MIMIC-CXR-JPG; longer side ≥ 1024)
 * are decoded at a DCT scale first (`jpeg: 'dct-scaled'`, the default):
 * libjpeg's 1/2, 1/4 or 1/8 decode, the largest whose output is still at
 * least the resized size (jpeg_decode.ts; byte for byte Pillow's
 * `Image.draft`), then the same exact area resample. That is not quite the
 * full decode's result (99 % of pixels within 2 grey levels, up to ~20 at thin
 * sharp wires: see `dctScaleFor`), for about 30 % less decoding time at
 * MIMIC size. `jpeg: 'full'` keeps the full decode (then the output is
 * OpenCV's, as above); smaller JPEGs are always decoded in full.
 */
import { DataError } from './errors.ts';
import type { GrayImage8 } from './gray_image.ts';
import { readFile } from 'node:fs/promises';
import { decodeRasterGray8, hasDicomMagic } from './image_io.ts';
import { dctScaleFor, decodeJpegGray8 } from './jpeg_decode.ts';
import { jpegFrame } from './raster_header.ts';
import { decodeDicom } from './dicom.ts';
import { areaDownscale } from './area_kernel/index.ts';

/** Where the resized image sits inside the S×S square. */
export interface LetterboxGeometry {
  /** Side of the square output, S. */
  size: number;
  /** Size of the resized image before padding; the longest side equals `size`. */
  width: number;
  height: number;
  /** Zero columns left of the image / zero rows above it. */
  left: number;
  top: number;
}

/**
 * The resize + pad geometry for a `width×height` image into an S×S square
 * (MGCA's `resize_img`): the longest side becomes S (a square image keeps both
 * at S), the other `trunc(side · S / longest)` (at least 1), centred with the
 * odd pixel of padding after the image.
 *
 * Use it to map boxes or masks into the preprocessed frame:
 * `x' = left + x · geometry.width / width`.
 */
export function letterboxGeometry(width: number, height: number, size: number): LetterboxGeometry {
  checkSide(width, 'width');
  checkSide(height, 'height');
  checkSide(size, 'size');
  let outWidth: number;
  let outHeight: number;
  if (height >= width) {
    // Same float arithmetic as the Python original: int(float(w) * (S / float(h))).
    outHeight = size;
    outWidth = Math.max(1, Math.trunc(width * (size / height)));
  } else {
    outWidth = size;
    outHeight = Math.max(1, Math.trunc(height * (size / width)));
  }
  return { size, width: outWidth, height: outHeight, left: Math.floor((size - outWidth) / 2), top: Math.floor((size - outHeight) / 2) };
}

/**
 * Area resampling of an 8-bit grayscale image (see the module comment).
 *
 * @param image `{width, height, data: Uint8Array [H×W]}`.
 * @param width Output width W'.
 * @param height Output height H'.
 * @returns `{width: W', height: H', data: Uint8Array [H'×W']}`.
 */
export function areaResize(image: GrayImage8, width: number, height: number): GrayImage8 {
  checkImage(image);
  checkSide(width, 'output width');
  checkSide(height, 'output height');
  if (width === image.width && height === image.height) return { width, height, data: image.data.slice() };
  if (width > image.width || height > image.height) return areaResizeGeneral(image, width, height);
  return areaDownscale(image, width, height);
}

/** Exact round-half-to-even of `sum / denominator` for non-negative integers, clamped to 255. */
function roundRatio(sum: number, denominator: number, half: number): number {
  const quotient = Math.floor(sum / denominator);
  const remainder = sum - quotient * denominator;
  const rounded = remainder > half || (remainder === half && (quotient & 1) === 1) ? quotient + 1 : quotient;
  return rounded > 255 ? 255 : rounded;
}

/** The same area resample through per-output coverage lists: any scale, used for upscaling. */
function areaResizeGeneral(image: GrayImage8, width: number, height: number): GrayImage8 {
  const columns = coverageTable(image.width, width);
  const rows = coverageTable(image.height, height);
  const source = image.data;
  const inWidth = image.width;
  const horizontal = new Float64Array(image.height * width);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      const end = columns.start[x]! + columns.count[x]!;
      for (let t = columns.start[x]!; t < end; t++) sum += columns.weight[t]! * source[y * inWidth + columns.index[t]!]!;
      horizontal[y * width + x] = sum;
    }
  }
  const denominator = image.width * image.height;
  const output = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const end = rows.start[y]! + rows.count[y]!;
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let t = rows.start[y]!; t < end; t++) sum += rows.weight[t]! * horizontal[rows.index[t]! * width + x]!;
      output[y * width + x] = roundRatio(sum, denominator, denominator / 2);
    }
  }
  return { width, height, data: output };
}

/**
 * Resize the longest side to S (area) and zero-pad to a centred S×S square.
 *
 * @param image Decoded grayscale `{width, height, data: Uint8Array [H×W]}`.
 * @param size S, the side of the output square.
 * @param original The size the geometry is computed from when `image` is a
 *   DCT-scaled decode of a larger original (default: the image's own size).
 * @returns Uint8Array [S×S], row-major.
 */
export function resizeAndPad(image: GrayImage8, size: number, original: { width: number; height: number } = image): Uint8Array {
  const geometry = letterboxGeometry(original.width, original.height, size);
  const resized = areaResize(image, geometry.width, geometry.height);
  if (geometry.width === size && geometry.height === size) return resized.data;
  const output = new Uint8Array(size * size);
  for (let y = 0; y < geometry.height; y++) {
    const from = y * geometry.width;
    output.set(resized.data.subarray(from, from + geometry.width), (y + geometry.top) * size + geometry.left);
  }
  return output;
}

/** How one-component 8-bit JPEGs are decoded: at the DCT scale nearest above the target (default), or in full. */
export type JpegDecodeMode = 'dct-scaled' | 'full';

/** Options of `preprocessImage`. */
export interface PreprocessOptions {
  /** Name used in error messages when the input is a buffer or a decoded image (default `<buffer>` / `<image>`). */
  name?: string;
  /** Default 'dct-scaled' (see the module comment). */
  jpeg?: JpegDecodeMode;
}

/** What `preprocessImage` accepts: a file path (PNG, JPEG, DICOM...), encoded bytes, or a decoded 8-bit image. */
export type PreprocessInput = string | Uint8Array | GrayImage8;

/**
 * The full §1.6 preprocessing of one image: decode to 8-bit grayscale, area
 * resize of the longest side to S, centred zero padding.
 *
 * @param input File path, encoded bytes (PNG/JPEG via sharp, DICOM by its
 *   `DICM` marker), or an already decoded `{width, height, data}`.
 * @param size S.
 * @returns Uint8Array [S×S].
 * @throws DataError naming the file (or `options.name`) when it cannot be read or decoded.
 * @example const pixels = await preprocessImage('../shared/fixtures/real/nih-00000001_000.png', 256); // 65536 bytes
 */
export async function preprocessImage(input: PreprocessInput, size: number, options: PreprocessOptions = {}): Promise<Uint8Array> {
  checkSide(size, 'size');
  let image: GrayImage8;
  let name: string;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    name = typeof input === 'string' ? input : (options.name ?? '<buffer>');
    const bytes = typeof input === 'string' ? await readImageBytes(input) : input;
    const frame = jpegFrame(bytes);
    if (frame !== null && frame.components === 1 && frame.precision === 8) {
      return resizeAndPad(decodeJpegForSize(bytes, name, frame, size, options.jpeg ?? 'dct-scaled'), size, { width: frame.width, height: frame.height });
    }
    const dicom = hasDicomMagic(bytes) || (typeof input === 'string' && /\.(dcm|dicom)$/i.test(input));
    image = dicom ? await decodeDicom(bytes, name) : await decodeRasterGray8(bytes, name);
  } else {
    name = options.name ?? '<image>';
    image = input;
  }
  try {
    return resizeAndPad(image, size);
  } catch (error) {
    throw new DataError('bad-file', (error as Error).message, { file: name });
  }
}

/** Decode a grey JPEG at the DCT scale for an S×S letterbox of its full size (or in full). */
function decodeJpegForSize(bytes: Uint8Array, name: string, frame: { width: number; height: number }, size: number, mode: JpegDecodeMode): GrayImage8 {
  const geometry = letterboxGeometry(frame.width, frame.height, size);
  const scale = mode === 'full' ? 1 : dctScaleFor(frame.width, frame.height, geometry);
  return decodeJpegGray8(bytes, name, scale);
}

async function readImageBytes(path: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
  } catch (error) {
    throw new DataError('bad-file', `cannot read file: ${(error as Error).message}`, { file: path });
  }
}

/** Per output pixel: the input pixels it covers and their integer coverages. */
interface CoverageTable {
  start: Int32Array;
  count: Int32Array;
  index: Int32Array;
  weight: Int32Array;
}

/**
 * Coverage of input pixels by output pixels along one axis, in integer units:
 * input pixel i spans [i·out, (i+1)·out) and output pixel j spans
 * [j·in, (j+1)·in), so every overlap is an integer and each output's total is `in`.
 */
function coverageTable(inSize: number, outSize: number): CoverageTable {
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const index: number[] = [];
  const weight: number[] = [];
  for (let j = 0; j < outSize; j++) {
    const lo = j * inSize;
    const hi = lo + inSize;
    start[j] = index.length;
    for (let i = Math.floor(lo / outSize); i * outSize < hi; i++) {
      const overlap = Math.min(hi, (i + 1) * outSize) - Math.max(lo, i * outSize);
      if (overlap > 0) {
        index.push(i);
        weight.push(overlap);
      }
    }
    count[j] = index.length - start[j]!;
  }
  return { start, count, index: Int32Array.from(index), weight: Int32Array.from(weight) };
}

function checkSide(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${what} must be a positive integer, got ${value}`);
}

function checkImage(image: GrayImage8): void {
  checkSide(image.width, 'image width');
  checkSide(image.height, 'image height');
  if (image.data.length !== image.width * image.height) {
    throw new Error(`image data holds ${image.data.length} bytes, expected ${image.width}×${image.height} = ${image.width * image.height}`);
  }
}
