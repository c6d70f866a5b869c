/**
 * 8-bit grey JPEG decoding through TensorFlow's libjpeg-turbo (the native
 * package medst already loads), with DCT-domain scaling.
 *
 * Why not sharp for these: sharp decodes the same pixels (checked: identical
 * to Pillow's and to this decoder's full decode) but at about twice the time
 * per film, and it applies libjpeg's scaling only inside its own resize, never
 * without a kernel resample after it. Here the decoder is asked for 1/2, 1/4
 * or 1/8 of the film directly (`ratio`, libjpeg's `scale_denom`, which skips
 * most of the inverse DCT), with the accurate integer IDCT, so the result is
 * byte for byte Pillow's `Image.draft('L', size)`; the exact area resample of
 * preprocess.ts then takes it to the target size.
 */
import { createRequire } from 'node:module';
import { activeBackend } from '../backend.ts';
import { DataError } from './errors.ts';
import type { GrayImage8 } from './gray_image.ts';

/** libjpeg's DCT scale denominators. */
export type DctScale = 1 | 2 | 4 | 8;

/**
 * JPEGs whose longer side is below this are decoded in full: they decode in a
 * few milliseconds anyway, and the scaled decode would only add its departure
 * from the full one (below).
 */
export const DCT_SCALING_MIN_SIDE = 1024;

/**
 * The DCT scale for a `width×height` JPEG bound for an area resample to
 * `target`: the largest of 1/8, 1/4, 1/2 whose decoded image (libjpeg rounds
 * each side up: ⌈W/r⌉ × ⌈H/r⌉) is still at least `target` on both sides, so
 * the resample after it only reduces; 1 (full decode) for JPEGs below
 * `DCT_SCALING_MIN_SIDE`.
 *
 * How far this is from the full decode + area resample: even at 1/8, where
 * the decoder returns each 8×8 block's mean, the area resample after it works
 * on 8-pixel blocks instead of pixels, so thin sharp structures (wires,
 * markers) spread differently. Measured (tests/data/jpeg_decode.test.ts):
 * a film-like 1280×1536 q95 image with a 3-pixel wire → 160 / 256 / 512
 * (1/8, 1/4, 1/2): at most 21 / 19 / 17 grey levels, all at the wire; 99 % of
 * pixels within 2; mean 0.33 / 0.37 / 0.60. A smooth 2544×3056 film → 256
 * (1/8): at most 3, mean 0.4 (`npm run bench -- decode-resize` prints it).
 */
export function dctScaleFor(width: number, height: number, target: { width: number; height: number }): DctScale {
  if (Math.max(width, height) < DCT_SCALING_MIN_SIDE) return 1;
  for (const scale of [8, 4, 2] as const) {
    if (Math.ceil(width / scale) >= target.width && Math.ceil(height / scale) >= target.height) return scale;
  }
  return 1;
}

interface DecodedTensor {
  shape: number[];
  dataSync(): Uint8Array | Int32Array | Float32Array;
  dispose(): void;
}
interface TensorflowNode {
  node: { decodeJpeg(contents: Uint8Array, channels: number, ratio: number, fancyUpscaling: boolean, tryRecoverTruncated: boolean, acceptableFraction: number, dctMethod: string): DecodedTensor };
}

let decoder: TensorflowNode | null = null;

/**
 * Load the native decoder now. Two threads that load the TensorFlow addon at
 * the same moment can crash the process, so decode workers load it one after
 * the other, before they take images (preprocess_pool.ts).
 */
export function loadJpegDecoder(): void {
  tensorflowNode();
}

/** The native TensorFlow package: the one the backend runs on, else tfjs-node (loading it is an error, never skipped). */
function tensorflowNode(): TensorflowNode {
  if (decoder) return decoder;
  const info = activeBackend();
  const name = info && info.package !== '@tensorflow/tfjs-backend-cpu' ? info.package : '@tensorflow/tfjs-node';
  try {
    decoder = createRequire(import.meta.url)(name) as TensorflowNode;
  } catch (error) {
    throw new Error(`JPEG decoding needs the native TensorFlow package ${name} (run \`npm run setup\`): ${(error as Error).message}`);
  }
  return decoder;
}

/**
 * Decode a one-component 8-bit JPEG at 1/`scale` of its size (each side
 * rounded up). `scale` 1 is the full decode.
 * @throws DataError naming `file` when the bytes do not decode.
 */
export function decodeJpegGray8(bytes: Uint8Array, file: string, scale: DctScale = 1): GrayImage8 {
  const tf = tensorflowNode();
  let image: DecodedTensor;
  try {
    image = tf.node.decodeJpeg(bytes, 1, scale, true, false, 1, 'INTEGER_ACCURATE');
  } catch (error) {
    throw new DataError('bad-file', `not a readable image: ${(error as Error).message}`, { file });
  }
  try {
    const [height, width] = image.shape as [number, number, number];
    const data = image.dataSync();
    return { width, height, data: data instanceof Uint8Array ? data : Uint8Array.from(data) };
  } finally {
    image.dispose();
  }
}
