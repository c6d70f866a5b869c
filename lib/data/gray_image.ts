/**
 * The common in-memory form of a radiograph in medst's readers: 8-bit
 * grayscale, row-major.
 */

/** An 8-bit grayscale image: `data` is row-major [height×width], 0 = black. */
export interface GrayImage8 {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Interleaved RGB(A) bytes → 8-bit luminance with ITU-R BT.601 weights
 * (0.299 R + 0.587 G + 0.114 B, rounded), the same fixed-point formula as
 * Pillow's `convert('L')`, so references computed with Pillow match exactly.
 *
 * @param pixels Interleaved samples [H×W×channels], channels 3 (RGB) or 4 (RGBA; alpha ignored).
 * @returns Uint8Array [H×W].
 */
export function rgbToLuminance(pixels: Uint8Array, channels: 3 | 4): Uint8Array {
  const count = Math.floor(pixels.length / channels);
  const luminance = new Uint8Array(count);
  for (let index = 0, offset = 0; index < count; index++, offset += channels) {
    luminance[index] = (pixels[offset]! * 19595 + pixels[offset + 1]! * 38470 + pixels[offset + 2]! * 7471 + 0x8000) >>> 16;
  }
  return luminance;
}
