/**
 * DICOM radiographs → 8-bit grayscale, with the maintained `dicom-parser`.
 *
 * Pipeline (DICOM PS3.3 C.11): stored values (8/16-bit, signed or unsigned,
 * BitsStored honoured) → RescaleSlope/Intercept → linear VOI window when
 * WindowCenter/WindowWidth are present (else min–max of the image) → 0..255 →
 * inverted for MONOCHROME1 (so 0 is always black).
 *
 * Transfer syntaxes: implicit/explicit VR little endian and explicit big
 * endian (native pixels), and JPEG baseline / 8-bit extended (decoded with
 * sharp; SIIM and many public sets ship these). Others (JPEG lossless,
 * JPEG 2000, RLE, deflate) raise a DataError naming the file and the syntax.
 */
import { readFile } from 'node:fs/promises';
import dicomParser, { type DataSet } from 'dicom-parser';
import sharp from 'sharp';
import { DataError } from './errors.ts';
import type { GrayImage8 } from './gray_image.ts';

const NATIVE_SYNTAXES: Record<string, string> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
};
const JPEG_8BIT_SYNTAXES: Record<string, string> = {
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (Process 1)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (Process 2 & 4)',
};
const KNOWN_UNSUPPORTED: Record<string, string> = {
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

/** The header fields that decide how pixels become grey levels. */
export interface DicomImageInfo {
  transferSyntax: string;
  photometricInterpretation: 'MONOCHROME1' | 'MONOCHROME2';
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's-complement signed. */
  pixelRepresentation: 0 | 1;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** First WindowCenter/WindowWidth value, or null when absent. */
  windowCenter: number | null;
  windowWidth: number | null;
}

/** Options for DICOM decoding. */
export interface DicomReadOptions {
  /** `dicom` (default): use WindowCenter/Width when present, else min–max; `minmax`: always min–max. */
  windowing?: 'dicom' | 'minmax';
}

/** A decoded DICOM image: 8-bit grayscale plus the header fields used. */
export interface DicomImage extends GrayImage8 {
  info: DicomImageInfo;
}

/**
 * The message of what dicom-parser threw: an Error, a string, or (for a
 * truncated file) a plain object `{exception: '...', dataSet}`.
 */
export function dicomParserReason(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (error !== null && typeof error === 'object') {
    const { exception, message } = error as { exception?: unknown; message?: unknown };
    if (typeof exception === 'string') return exception;
    if (typeof message === 'string') return message;
  }
  return `unknown parser error (${Object.prototype.toString.call(error)})`;
}

/**
 * Parse a DICOM Part 10 byte array and read the image header.
 * @throws DataError 'bad-file' (not DICOM / unreadable header) or 'unsupported'
 *   (transfer syntax, colour, bit depth), naming `file`.
 */
export function readDicomInfo(bytes: Uint8Array, file: string): { info: DicomImageInfo; dataSet: DataSet } {
  const magic = bytes.length >= 132 ? String.fromCharCode(...bytes.subarray(128, 132)) : '';
  if (magic !== 'DICM') throw new DataError('bad-file', 'not a DICOM file (no "DICM" marker at byte 128)', { file });
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes);
  } catch (error) {
    throw new DataError('bad-file', `unreadable DICOM: ${dicomParserReason(error)}`, { file });
  }
  const transferSyntax = (dataSet.string('x00020010') ?? '').replace(/\0/g, '').trim();
  if (!(transferSyntax in NATIVE_SYNTAXES) && !(transferSyntax in JPEG_8BIT_SYNTAXES)) {
    const name = KNOWN_UNSUPPORTED[transferSyntax] ?? 'unknown';
    throw new DataError('unsupported', `unsupported transfer syntax ${transferSyntax || '(none)'} (${name})`, { file, field: 'TransferSyntaxUID' });
  }
  const photometric = (dataSet.string('x00280004') ?? '').trim();
  if (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') {
    throw new DataError('unsupported', `only MONOCHROME1/2 images are read, got "${photometric}"`, { file, field: 'PhotometricInterpretation' });
  }
  const rows = dataSet.uint16('x00280010') ?? 0;
  const columns = dataSet.uint16('x00280011') ?? 0;
  const bitsAllocated = dataSet.uint16('x00280100') ?? 0;
  const bitsStored = dataSet.uint16('x00280101') ?? bitsAllocated;
  const pixelRepresentation = dataSet.uint16('x00280103') === 1 ? 1 : 0;
  if (rows <= 0 || columns <= 0) throw new DataError('bad-file', `bad image size ${columns}×${rows}`, { file, field: 'Rows' });
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new DataError('unsupported', `BitsAllocated ${bitsAllocated} (only 8 and 16 are read)`, { file, field: 'BitsAllocated' });
  }
  if ((dataSet.uint16('x00280002') ?? 1) !== 1) throw new DataError('unsupported', 'SamplesPerPixel must be 1', { file, field: 'SamplesPerPixel' });
  const windowWidth = dataSet.floatString('x00281051', 0) ?? null;
  const info: DicomImageInfo = {
    transferSyntax,
    photometricInterpretation: photometric,
    rows,
    columns,
    bitsAllocated,
    bitsStored,
    pixelRepresentation,
    rescaleSlope: dataSet.floatString('x00281053', 0) ?? 1,
    rescaleIntercept: dataSet.floatString('x00281052', 0) ?? 0,
    windowCenter: windowWidth === null ? null : (dataSet.floatString('x00281050', 0) ?? null),
    windowWidth,
  };
  if (info.windowCenter === null) info.windowWidth = null;
  return { info, dataSet };
}

/** Stored values of the first frame of native (uncompressed) pixel data, sign and BitsStored applied. */
function nativeStoredValues(dataSet: DataSet, info: DicomImageInfo, file: string): Float64Array {
  const element = dataSet.elements['x7fe00010'];
  const count = info.rows * info.columns;
  const bytesPerSample = info.bitsAllocated / 8;
  if (!element || element.length < count * bytesPerSample) {
    throw new DataError('bad-file', `pixel data holds ${element?.length ?? 0} bytes, need ${count * bytesPerSample}`, { file, field: 'PixelData' });
  }
  const view = new DataView(dataSet.byteArray.buffer, dataSet.byteArray.byteOffset + element.dataOffset, count * bytesPerSample);
  const littleEndian = info.transferSyntax !== '1.2.840.10008.1.2.2';
  const storedMask = info.bitsStored >= 32 ? 0xffffffff : (1 << info.bitsStored) - 1;
  const signBit = 1 << (info.bitsStored - 1);
  const values = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const word = bytesPerSample === 1 ? view.getUint8(index) : view.getUint16(index * 2, littleEndian);
    let value = word & storedMask; // bits above BitsStored may hold overlays: drop them
    if (info.pixelRepresentation === 1 && value & signBit) value -= storedMask + 1;
    values[index] = value;
  }
  return values;
}

/** Stored values of the first frame of JPEG 8-bit pixel data, decoded with sharp. */
async function jpegStoredValues(dataSet: DataSet, info: DicomImageInfo, file: string): Promise<Float64Array> {
  const element = dataSet.elements['x7fe00010'];
  if (!element?.encapsulatedPixelData || !element.fragments?.length) {
    throw new DataError('bad-file', 'JPEG transfer syntax without encapsulated pixel data', { file, field: 'PixelData' });
  }
  // A single frame may span several fragments; with no offset table, the frame is all fragments.
  const frame =
    element.basicOffsetTable && element.basicOffsetTable.length > 1
      ? dicomParser.readEncapsulatedImageFrame(dataSet, element, 0)
      : dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, 0, element.fragments.length);
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    // sharp outputs sRGB by default; ask for one grey band (identity for a grey JPEG).
    decoded = await sharp(frame).toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new DataError('bad-file', `JPEG frame did not decode: ${(error as Error).message}`, { file, field: 'PixelData' });
  }
  if (decoded.info.width !== info.columns || decoded.info.height !== info.rows || decoded.info.channels !== 1) {
    throw new DataError(
      'bad-file',
      `JPEG frame is ${decoded.info.width}×${decoded.info.height}×${decoded.info.channels}, header says ${info.columns}×${info.rows}×1`,
      { file, field: 'PixelData' },
    );
  }
  return Float64Array.from(decoded.data);
}

/**
 * Map stored values to 8 bits: rescale, window (or min–max), MONOCHROME1 inversion.
 * Rounding is floor(y + 0.5) so references in numpy reproduce it exactly.
 *
 * @param stored Stored pixel values [H×W].
 * @returns Uint8Array [H×W], 0 = black.
 */
export function storedValuesToGray8(stored: Float64Array, info: DicomImageInfo, options: DicomReadOptions = {}): Uint8Array {
  const count = stored.length;
  const modality = new Float64Array(count);
  for (let index = 0; index < count; index++) modality[index] = stored[index]! * info.rescaleSlope + info.rescaleIntercept;
  const output = new Uint8Array(count);
  const useWindow = (options.windowing ?? 'dicom') === 'dicom' && info.windowCenter !== null && info.windowWidth !== null && info.windowWidth >= 1;
  if (useWindow) {
    // Linear VOI function, DICOM PS3.3 C.11.2.1.2.1.
    const center = info.windowCenter! - 0.5;
    const span = info.windowWidth! - 1;
    for (let index = 0; index < count; index++) {
      const value = modality[index]!;
      if (value <= center - span / 2) output[index] = 0;
      else if (value > center + span / 2) output[index] = 255;
      else output[index] = Math.floor(((value - center) / span + 0.5) * 255 + 0.5);
    }
  } else {
    let low = Infinity;
    let high = -Infinity;
    for (const value of modality) {
      if (value < low) low = value;
      if (value > high) high = value;
    }
    const range = high - low;
    if (range > 0) for (let index = 0; index < count; index++) output[index] = Math.floor(((modality[index]! - low) / range) * 255 + 0.5);
  }
  if (info.photometricInterpretation === 'MONOCHROME1') for (let index = 0; index < count; index++) output[index] = 255 - output[index]!;
  return output;
}

/**
 * Decode DICOM bytes (first frame) to 8-bit grayscale.
 *
 * @param bytes The whole Part 10 file.
 * @param file Name used in error messages.
 * @returns `{width, height, data: Uint8Array [H×W], info}`.
 * @throws DataError naming `file` for non-DICOM data or unsupported encodings.
 */
export async function decodeDicom(bytes: Uint8Array, file: string, options: DicomReadOptions = {}): Promise<DicomImage> {
  const { info, dataSet } = readDicomInfo(bytes, file);
  const stored = info.transferSyntax in JPEG_8BIT_SYNTAXES ? await jpegStoredValues(dataSet, info, file) : nativeStoredValues(dataSet, info, file);
  return { width: info.columns, height: info.rows, data: storedValuesToGray8(stored, info, options), info };
}

/**
 * Read a DICOM radiograph from disk as 8-bit grayscale.
 * @example const { width, height, data } = await readDicom('siim/1.2.276....dcm');
 */
export async function readDicom(path: string, options: DicomReadOptions = {}): Promise<DicomImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DataError('bad-file', `cannot read file: ${(error as Error).message}`, { file: path });
  }
  return decodeDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), path, options);
}
