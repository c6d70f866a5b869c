/**
 * RSNA Pneumonia `stage_2_train_labels.csv`: one row per box (or one row with
 * blank coordinates and Target 0), grouped per image; boxes → binary masks.
 */
import { readCsvFile, type CsvReadOptions } from './csv.ts';
import { DataIssues } from './errors.ts';

/** A box in pixels of the original image (1024×1024 in RSNA). */
export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One image of the RSNA labels with all of its boxes. */
export interface RsnaImageLabels {
  patientId: string;
  /** 1 = pneumonia (with boxes), 0 = none. */
  target: 0 | 1;
  boxes: PixelBox[];
  /** 1-based data row of the image's first row, for messages. */
  firstRow: number;
}

/** Result of reading the RSNA labels: images in first-appearance order. */
export interface RsnaLabelsResult {
  images: RsnaImageLabels[];
  issues: DataIssues;
}

/**
 * Read `stage_2_train_labels.csv` and group the rows per patientId.
 * Problems (row skipped, counted): Target other than 0/1; Target 1 without a
 * complete box; Target 0 with coordinates; non-positive width/height;
 * rows of one image that disagree on Target.
 */
export function readRsnaLabels(path: string, options: CsvReadOptions = {}): RsnaLabelsResult {
  const issues = options.issues ?? new DataIssues();
  const byPatient = new Map<string, RsnaImageLabels>();
  readCsvFile(
    path,
    (record) => {
      const patientId = record.text('patientId');
      if (patientId === '') throw record.error('bad-value', 'blank patientId', 'patientId');
      const target = record.int('Target');
      if (target !== 0 && target !== 1) throw record.error('bad-value', `Target must be 0 or 1, got ${target}`, 'Target');
      const coordinates = (['x', 'y', 'width', 'height'] as const).map((column) => record.optionalFloat(column));
      let box: PixelBox | null = null;
      if (target === 1) {
        const missing = coordinates.findIndex((value) => value === null);
        if (missing >= 0) throw record.error('bad-value', 'Target 1 needs x, y, width, height', ['x', 'y', 'width', 'height'][missing]);
        const [x, y, width, height] = coordinates as number[];
        if (width! <= 0 || height! <= 0) throw record.error('bad-value', `box size must be positive, got ${width}×${height}`, 'width');
        box = { x: x!, y: y!, width: width!, height: height! };
      } else if (coordinates.some((value) => value !== null)) {
        throw record.error('bad-value', 'Target 0 row has box coordinates', 'Target');
      }
      const image = byPatient.get(patientId);
      if (image === undefined) {
        byPatient.set(patientId, { patientId, target, boxes: box ? [box] : [], firstRow: record.row });
      } else {
        if (image.target !== target) throw record.error('bad-value', `Target ${target} disagrees with an earlier row of this image`, 'Target');
        if (box) image.boxes.push(box);
      }
      return null;
    },
    { ...options, issues, requiredColumns: ['patientId', 'x', 'y', 'width', 'height', 'Target'] },
  );
  return { images: [...byPatient.values()], issues };
}

/** Options for `boxesToMask`. */
export interface BoxMaskOptions {
  /** Size of the image the boxes refer to (default 1024×1024). */
  sourceWidth?: number;
  sourceHeight?: number;
  /** Output mask size (default: the source size). */
  width?: number;
  height?: number;
}

/**
 * Rasterise boxes into a binary mask, scaled to the output size: an output
 * pixel is 1 when its centre, mapped back to source coordinates, lies inside
 * a box (`x ≤ cx < x + width`, same for y). Boxes are clipped to the image.
 *
 * @returns `{width, height, data}` with `data` a row-major `Uint8Array` [H×W] of 0/1.
 */
export function boxesToMask(
  boxes: readonly PixelBox[],
  options: BoxMaskOptions = {},
): { width: number; height: number; data: Uint8Array } {
  const sourceWidth = options.sourceWidth ?? 1024;
  const sourceHeight = options.sourceHeight ?? 1024;
  const width = options.width ?? sourceWidth;
  const height = options.height ?? sourceHeight;
  for (const [name, value] of Object.entries({ sourceWidth, sourceHeight, width, height })) {
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`boxesToMask: ${name} must be a positive integer, got ${value}`);
  }
  const data = new Uint8Array(width * height);
  const scaleX = sourceWidth / width;
  const scaleY = sourceHeight / height;
  for (const box of boxes) {
    // Output columns whose centre (c + 0.5) * scaleX falls in [x, x + width).
    const columnStart = Math.max(0, Math.ceil(box.x / scaleX - 0.5));
    const columnEnd = Math.min(width, Math.ceil((box.x + box.width) / scaleX - 0.5));
    const rowStart = Math.max(0, Math.ceil(box.y / scaleY - 0.5));
    const rowEnd = Math.min(height, Math.ceil((box.y + box.height) / scaleY - 0.5));
    for (let row = rowStart; row < rowEnd; row++) data.fill(1, row * width + columnStart, row * width + Math.max(columnStart, columnEnd));
  }
  return { width, height, data };
}
