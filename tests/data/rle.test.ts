import test from 'ava';
import { Rng } from '../../lib/util/rng.ts';
import { DataError, DataIssues } from '../../lib/data/errors.ts';
import { decodeSiimMasks, decodeSiimRle, encodeSiimRle, parseSiimRleRuns, readSiimRle, type BinaryMask } from '../../lib/data/rle.ts';
import { realFixture, referenceValues, writeTemporaryFile } from './fixture_paths.ts';

const reference = referenceValues.siim;

function pixelCount(mask: BinaryMask): number {
  return mask.data.reduce((sum, value) => sum + value, 0);
}

/** [rowMin, rowMax, colMin, colMax] of the foreground. */
function boundingBox(mask: BinaryMask): number[] {
  let [rowMin, rowMax, colMin, colMax] = [Infinity, -1, Infinity, -1];
  for (let row = 0; row < mask.height; row++) {
    for (let column = 0; column < mask.width; column++) {
      if (mask.data[row * mask.width + column]) {
        rowMin = Math.min(rowMin, row);
        rowMax = Math.max(rowMax, row);
        colMin = Math.min(colMin, column);
        colMax = Math.max(colMax, column);
      }
    }
  }
  return [rowMin, rowMax, colMin, colMax];
}

test('relative, column-major decoding by hand (3 wide × 4 high)', (t) => {
  // Column-major indices: column 0 holds 0..3, column 1 holds 4..7. "1 2 3 1": pixels 1,2 then 2+3=5.. → 6.
  const mask = decodeSiimRle('1 2 3 1', 3, 4);
  t.deepEqual([...mask.data], [
    0, 0, 0,
    1, 0, 0,
    1, 1, 0,
    0, 0, 0,
  ]);
  t.deepEqual(parseSiimRleRuns('1 2 3 1', 3, 4), [[1, 2], [6, 1]]);
  t.is(encodeSiimRle(mask), '1 2 3 1');
  t.is(pixelCount(decodeSiimRle('-1', 3, 4)), 0);
  t.is(encodeSiimRle({ width: 3, height: 4, data: new Uint8Array(12) }), '-1');
  // A run crossing a column boundary and one ending on the last pixel.
  t.is(encodeSiimRle(decodeSiimRle('3 2 6 1', 3, 4)), '3 2 6 1');
});

test('round trips: random masks encode then decode to themselves', (t) => {
  const rng = new Rng(42);
  for (let trial = 0; trial < 20; trial++) {
    const width = rng.int(1, 40);
    const height = rng.int(1, 40);
    const density = rng.uniform();
    const data = Uint8Array.from({ length: width * height }, () => (rng.bernoulli(density) ? 1 : 0));
    const mask = { width, height, data };
    const rle = encodeSiimRle(mask);
    t.deepEqual(decodeSiimRle(rle, width, height).data, data);
    t.is(encodeSiimRle(decodeSiimRle(rle, width, height)), rle);
  }
});

test('real SIIM rows decode to the pixel counts and boxes of the numpy rle2mask reference', (t) => {
  const { images, issues } = readSiimRle(realFixture('siim-train-rle-sample.csv'));
  t.is(issues.total, 0);
  t.is(images.length, reference.images);
  t.is(images.filter((image) => image.rles.length > 0).length, reference.imagesWithMask);
  t.is(images[0]!.imageId, '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819');
  t.deepEqual(images[0]!.rles, []);
  const withMask = images.filter((image) => image.rles.length > 0);
  reference.firstNonEmpty.forEach((expected: { imageId: string; pixels: number; bbox: number[] }, index: number) => {
    const image = withMask[index]!;
    t.is(image.imageId, expected.imageId);
    const mask = decodeSiimMasks(image.rles);
    t.is(pixelCount(mask), expected.pixels, expected.imageId);
    t.deepEqual(boundingBox(mask), expected.bbox, expected.imageId);
    t.is(encodeSiimRle(mask), image.rles[0]!); // the original string round-trips
  });
});

test('several rows of one image are united', (t) => {
  const { images } = readSiimRle(realFixture('siim-train-rle-sample.csv'));
  const [first, second] = images.filter((image) => image.rles.length > 0);
  // The sample has one row per image, so stand two real masks in for one image's two regions.
  const csv = `ImageId, EncodedPixels\nimg,${first!.rles[0]}\nimg,${second!.rles[0]}\nimg,-1\n`;
  const { images: grouped } = readSiimRle(writeTemporaryFile('train-rle.csv', csv));
  t.is(grouped.length, 1);
  t.deepEqual(grouped[0]!.rows, [1, 2, 3]);
  t.is(pixelCount(decodeSiimMasks(grouped[0]!.rles)), reference.unionOfFirstTwoPixels);
});

test('malformed RLE strings are reported with file, row and field', (t) => {
  const csv = 'ImageId, EncodedPixels\na,1 2 3\nb,5 x\nc,1048575 2\nd,10 5\n';
  const path = writeTemporaryFile('train-rle.csv', csv);
  const { images, issues } = readSiimRle(path);
  t.is(issues.count('bad-rle'), 3);
  t.is(issues.examples('bad-rle')[0]!.message, 'train-rle.csv: row 1 (line 2), field "EncodedPixels": odd number of values (3) in RLE');
  t.regex(issues.examples('bad-rle')[2]!.message, /row 3 .*past the 1024×1024 image/);
  t.deepEqual(images.map((image) => image.rles.length), [0, 0, 0, 1]);
  t.throws(() => readSiimRle(path, { issues: new DataIssues({ strict: true }) }), { instanceOf: DataError, message: /row 1/ });
  t.throws(() => decodeSiimRle('1 -2', 4, 4), { instanceOf: DataError });
});
