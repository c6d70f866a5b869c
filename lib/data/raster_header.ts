/**
 * What a PNG or JPEG header says about its samples, read from the bytes without a decoder:
 * enough to tell an 8-bit grey image (every radiograph in MIMIC-CXR-JPG) from colour or
 * 16-bit ones before decoding, which saves a separate `sharp().metadata()` pass per image.
 */

/** 'gray8': one grey channel (PNG: optionally with alpha) of 8 bits or fewer; 'other': colour,
 * palette or 16-bit; 'unknown': not a PNG/JPEG header this reads (ask the decoder). */
export type RasterSampleKind = 'gray8' | 'other' | 'unknown';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function rasterSampleKind(bytes: Uint8Array): RasterSampleKind {
  if (bytes.length >= 26 && PNG_SIGNATURE.every((value, index) => bytes[index] === value)) {
    // IHDR is the first chunk: bit depth at byte 24, colour type at 25 (0 grey, 4 grey + alpha).
    const bitDepth = bytes[24]!;
    const colourType = bytes[25]!;
    return (colourType === 0 || colourType === 4) && bitDepth <= 8 ? 'gray8' : 'other';
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegSampleKind(bytes);
  return 'unknown';
}

/** A 16-bit grey PNG's header facts: `significantBits` from its sBIT chunk, or null when it has none. */
export interface PngGrey16Header {
  significantBits: number | null;
}

/**
 * For a PNG of one grey channel (optionally with alpha) at 16 bits, what its
 * header says about the bits in use; null for any other image.
 */
export function pngGrey16Header(bytes: Uint8Array): PngGrey16Header | null {
  if (!(bytes.length >= 26 && PNG_SIGNATURE.every((value, index) => bytes[index] === value))) return null;
  const colourType = bytes[25]!;
  if (bytes[24] !== 16 || (colourType !== 0 && colourType !== 4)) return null;
  // Chunks: length (4, big endian), type (4), data, CRC (4). sBIT comes before the first IDAT.
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = ((bytes[offset]! << 24) >>> 0) + (bytes[offset + 1]! << 16) + (bytes[offset + 2]! << 8) + bytes[offset + 3]!;
    const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!);
    if (type === 'sBIT' && length >= 1 && offset + 9 <= bytes.length) {
      const bits = bytes[offset + 8]!;
      return { significantBits: bits >= 1 && bits <= 16 ? bits : null };
    }
    if (type === 'IDAT' || type === 'IEND') break;
    offset += 12 + length;
  }
  return { significantBits: null };
}

/** A JPEG's frame header (SOFn): size, components and sample precision. */
export interface JpegFrame {
  width: number;
  height: number;
  components: number;
  precision: number;
}

/** Walk the JPEG marker segments to the frame header (SOFn); null when there is none before the scan. */
export function jpegFrame(bytes: Uint8Array): JpegFrame | null {
  if (!(bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8)) return null;
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (offset + 10 > bytes.length) return null;
      return {
        precision: bytes[offset + 4]!,
        height: (bytes[offset + 5]! << 8) | bytes[offset + 6]!,
        width: (bytes[offset + 7]! << 8) | bytes[offset + 8]!,
        components: bytes[offset + 9]!,
      };
    }
    if (marker === 0xd9 || marker === 0xda) return null; // EOI / start of scan before any frame header
    offset += 2 + length;
  }
  return null;
}

function jpegSampleKind(bytes: Uint8Array): RasterSampleKind {
  const frame = jpegFrame(bytes);
  if (frame === null) return 'unknown';
  return frame.components === 1 && frame.precision === 8 ? 'gray8' : 'other';
}
