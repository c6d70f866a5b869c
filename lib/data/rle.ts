/**
 * SIIM-ACR pneumothorax run-length encoding (`train-rle.csv`).
 *
 * The encoding is RELATIVE and COLUMN-MAJOR: pixels are numbered down each
 * column (index = column × height + row); the string is pairs `start length`
 * where each start counts from the end of the previous run (the first from 0).
 * `-1` means an empty mask. Masks here are row-major `Uint8Array`s [H×W] of 0/1.
 */
import { readCsvFile, type CsvReadOptions } from './csv.ts';
import { DataError, DataIssues, catchRecordError, type DataLocation } from './errors.ts';

/** A binary mask: row-major `data` [height×width] of 0/1. */
export interface BinaryMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Where an RLE string came from, for error messages. */
export type RleLocation = DataLocation;

/**
 * Parse and check a SIIM RLE string into absolute runs `[start, length]`
 * (column-major pixel indices); `-1` or blank gives no runs.
 * @throws DataError 'bad-rle' for non-integers, an odd count or runs past the end.
 */
export function parseSiimRleRuns(rle: string, width = 1024, height = 1024, where: RleLocation = {}): Array<[number, number]> {
  const text = rle.trim();
  if (text === '' || text === '-1') return [];
  const parts = text.split(/\s+/);
  const fail = (detail: string) => new DataError('bad-rle', detail, where);
  if (parts.length % 2 !== 0) throw fail(`odd number of values (${parts.length}) in RLE`);
  const pixelCount = width * height;
  const runs: Array<[number, number]> = [];
  let position = 0;
  for (let index = 0; index < parts.length; index += 2) {
    const start = parts[index]!;
    const length = parts[index + 1]!;
    if (!/^\d+$/.test(start) || !/^\d+$/.test(length)) throw fail(`RLE values must be non-negative integers, got "${start} ${length}"`);
    position += Number(start); // relative to the end of the previous run
    const runEnd = position + Number(length);
    if (runEnd > pixelCount) throw fail(`run ends at pixel ${runEnd}, past the ${width}×${height} image`);
    runs.push([position, Number(length)]);
    position = runEnd;
  }
  return runs;
}

/**
 * Decode a SIIM RLE string into a mask (OR-ed into `into` when given, for
 * images with several rows).
 *
 * @param rle `-1`, blank, or `start length start length ...` (relative starts).
 * @param width Image width (default 1024).
 * @param height Image height (default 1024).
 * @returns `{width, height, data}` with `data` row-major [H×W] of 0/1.
 * @throws DataError 'bad-rle' for non-integers, an odd count, negative values or runs past the end.
 */
export function decodeSiimRle(rle: string, width = 1024, height = 1024, into?: BinaryMask, where: RleLocation = {}): BinaryMask {
  const mask = into ?? { width, height, data: new Uint8Array(width * height) };
  if (mask.width !== width || mask.height !== height) {
    throw new RangeError(`decodeSiimRle: target mask is ${mask.width}×${mask.height}, expected ${width}×${height}`);
  }
  for (const [start, length] of parseSiimRleRuns(rle, width, height, where)) {
    for (let pixel = start; pixel < start + length; pixel++) {
      // Column-major pixel index → row-major offset.
      const column = Math.floor(pixel / height);
      mask.data[(pixel - column * height) * width + column] = 1;
    }
  }
  return mask;
}

/**
 * Encode a mask (row-major [H×W], any non-zero value is foreground) as a SIIM
 * RLE string; an empty mask gives `-1`. `decodeSiimRle(encodeSiimRle(m))` equals m.
 */
export function encodeSiimRle(mask: BinaryMask): string {
  const { width, height, data } = mask;
  if (data.length !== width * height) throw new RangeError(`encodeSiimRle: data has ${data.length} values for ${width}×${height}`);
  const values: number[] = [];
  let previousEnd = 0;
  let runStart = -1;
  const pixelCount = width * height;
  for (let pixel = 0; pixel <= pixelCount; pixel++) {
    let on = false;
    if (pixel < pixelCount) {
      const column = Math.floor(pixel / height);
      on = data[(pixel - column * height) * width + column] !== 0;
    }
    if (on && runStart < 0) runStart = pixel;
    if (!on && runStart >= 0) {
      values.push(runStart - previousEnd, pixel - runStart);
      previousEnd = pixel;
      runStart = -1;
    }
  }
  return values.length === 0 ? '-1' : values.join(' ');
}

/** One image of `train-rle.csv`: all of its RLE strings (several rows = several regions). */
export interface SiimRleImage {
  imageId: string;
  /** Non-empty RLE strings of the image (empty when every row was `-1`). */
  rles: string[];
  /** 1-based data rows of the image, for messages. */
  rows: number[];
}

/**
 * Read SIIM `train-rle.csv` (`ImageId, EncodedPixels`; the header's leading
 * space is trimmed) and group rows per ImageId in first-appearance order.
 * Malformed RLE strings are reported ('bad-rle') and left out.
 */
export function readSiimRle(
  path: string,
  options: CsvReadOptions & { width?: number; height?: number } = {},
): { images: SiimRleImage[]; issues: DataIssues } {
  const issues = options.issues ?? new DataIssues();
  const byImage = new Map<string, SiimRleImage>();
  const width = options.width ?? 1024;
  const height = options.height ?? 1024;
  readCsvFile(
    path,
    (record) => {
      const imageId = record.text('ImageId');
      if (imageId === '') throw record.error('bad-value', 'blank ImageId', 'ImageId');
      const rle = record.text('EncodedPixels');
      const image = byImage.get(imageId) ?? { imageId, rles: [], rows: [] };
      byImage.set(imageId, image);
      image.rows.push(record.row);
      if (rle === '' || rle === '-1') return null;
      // Validate now so a broken string is reported with its row, not at decode time.
      const valid = catchRecordError(issues, () =>
        parseSiimRleRuns(rle, width, height, { file: record.file, row: record.row, line: record.line, field: 'EncodedPixels' }),
      );
      if (valid !== null) image.rles.push(rle);
      return null;
    },
    { ...options, issues, requiredColumns: ['ImageId', 'EncodedPixels'] },
  );
  return { images: [...byImage.values()], issues };
}

/** Decode all RLE strings of an image and take their union. */
export function decodeSiimMasks(rles: readonly string[], width = 1024, height = 1024): BinaryMask {
  const mask: BinaryMask = { width, height, data: new Uint8Array(width * height) };
  for (const rle of rles) decodeSiimRle(rle, width, height, mask);
  return mask;
}
