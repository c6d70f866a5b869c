/**
 * Read a radiograph file of any supported kind — PNG/JPEG (sharp) or DICOM —
 * into the same 8-bit grayscale form.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp from 'sharp';
import { decodeDicom, type DicomReadOptions } from './dicom.ts';
import { DataError } from './errors.ts';
import { rgbToLuminance, type GrayImage8 } from './gray_image.ts';
import { decodeJpegGray8 } from './jpeg_decode.ts';
import { jpegFrame, pngGrey16Header, rasterSampleKind } from './raster_header.ts';

/** True when the bytes carry the DICOM Part 10 marker `DICM` at offset 128. */
export function hasDicomMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * The bits of a 16-bit grey image that hold its values: the PNG's sBIT when
 * given, else the smallest of 8, 10, 12, 14 or 16 bits that holds the
 * largest value (a 12-bit radiograph in a 16-bit PNG uses 0–4095).
 */
export function grey16ValueBits(samples: Uint16Array, significantBits: number | null): number {
  if (significantBits !== null) return significantBits;
  let max = 0;
  for (let i = 0; i < samples.length; i++) if (samples[i]! > max) max = samples[i]!;
  for (const bits of [8, 10, 12, 14]) if (max < 2 ** bits) return bits;
  return 16;
}

/** Scale 16-bit grey samples of `bits` bits to 8: v → round(255·v / (2^bits − 1)), clamped at 255. */
export function scaleGrey16(samples: Uint16Array, bits: number): Uint8Array {
  const top = 2 ** bits - 1;
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const value = Math.round((255 * samples[i]!) / top);
    out[i] = value > 255 ? 255 : value;
  }
  return out;
}

/** A 16-bit grey PNG (optionally with alpha) to 8 bits by its value bits (`grey16ValueBits`). */
async function decodePngGrey16(bytes: Uint8Array, significantBits: number | null): Promise<GrayImage8> {
  const { data, info } = await sharp(bytes).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const all = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  const grey = info.channels === 1 ? all : Uint16Array.from({ length: info.width * info.height }, (_, index) => all[index * info.channels]!);
  return { width: info.width, height: info.height, data: scaleGrey16(grey, grey16ValueBits(grey, significantBits)) };
}

/**
 * Decode PNG/JPEG (or any format sharp reads) bytes to 8-bit grayscale.
 * Colour images become BT.601 luminance (as Pillow's `convert('L')`); alpha is
 * ignored. One-component 8-bit JPEGs are decoded by jpeg_decode.ts. A 16-bit grey PNG is scaled by the bits its values use, not cut to
 * its high byte: v → round(255·v / (2^b − 1)) with b from its sBIT chunk, else
 * the smallest of 8/10/12/14/16 bits holding its largest value (so 12-bit
 * films stored as 0–4095 keep their full grey range, and one image's scale
 * does not depend on its contrast). Other 16-bit images are reduced by sharp.
 */
export async function decodeRasterGray8(bytes: Uint8Array, file: string): Promise<GrayImage8> {
  // One-component 8-bit JPEGs: libjpeg-turbo through TensorFlow, the same pixels as sharp's in half the time.
  const frame = jpegFrame(bytes);
  if (frame !== null && frame.components === 1 && frame.precision === 8) return decodeJpegGray8(bytes, file);
  const grey16 = pngGrey16Header(bytes);
  if (grey16 !== null) {
    try {
      return await decodePngGrey16(bytes, grey16.significantBits);
    } catch (error) {
      throw new DataError('bad-file', `not a readable image: ${(error as Error).message}`, { file });
    }
  }
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    const image = sharp(bytes);
    // Without 'b-w', sharp turns an 8-bit grey image into three sRGB bands and the luminance
    // below undoes it: twice the decode time for every radiograph. Colour images keep sRGB so
    // that luminance is Pillow's BT.601 luma of the coded values (libvips's 'b-w' is a
    // linear-light grey), and 16-bit grey keeps sharp's sRGB reduction (v >> 8), as before.
    let kind = rasterSampleKind(bytes);
    if (kind === 'unknown') {
      const { channels, depth } = await image.metadata();
      kind = depth === 'uchar' && channels !== undefined && channels <= 2 ? 'gray8' : 'other';
    }
    if (kind === 'gray8') image.toColourspace('b-w');
    decoded = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new DataError('bad-file', `not a readable image: ${(error as Error).message}`, { file });
  }
  const { width, height, channels } = decoded.info;
  const samples = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length);
  let data: Uint8Array;
  if (channels === 1) data = samples; // sharp's own allocation: no copy needed
  else if (channels === 2) data = Uint8Array.from({ length: width * height }, (_, index) => samples[index * 2]!); // grey + alpha
  else if (channels === 3 || channels === 4) data = rgbToLuminance(samples, channels);
  else throw new DataError('unsupported', `images with ${channels} channels are not read`, { file });
  return { width, height, data };
}

/**
 * Read a radiograph as 8-bit grayscale `{width, height, data: Uint8Array [H×W]}`.
 * DICOM is recognised by extension (.dcm, .dicom) or by the `DICM` marker;
 * everything else goes to sharp (PNG, JPEG, ...).
 *
 * @example const image = await readGrayImage('../shared/fixtures/real/tbx11k-h0001.png');
 */
export async function readGrayImage(path: string, options: DicomReadOptions = {}): Promise<GrayImage8> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    throw new DataError('bad-file', `cannot read file: ${(error as Error).message}`, { file: path });
  }
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
  const extension = extname(path).toLowerCase();
  if (extension === '.dcm' || extension === '.dicom' || hasDicomMagic(bytes)) {
    const { width, height, data } = await decodeDicom(bytes, path, options);
    return { width, height, data };
  }
  return decodeRasterGray8(bytes, path);
}
