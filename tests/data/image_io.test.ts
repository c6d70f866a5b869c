import test from 'ava';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { DataError } from '../../lib/data/errors.ts';
import { decodeRasterGray8, grey16ValueBits, hasDicomMagic, readGrayImage } from '../../lib/data/image_io.ts';
import { pngGrey16Header } from '../../lib/data/raster_header.ts';
import { realFixture, referenceValues, writeTemporaryFile } from './fixture_paths.ts';

for (const name of ['tbx11k-h0001.png', 'nih-00000001_000.png']) {
  test(`${name}: 8-bit grayscale equal to Pillow convert('L')`, async (t) => {
    const expected = referenceValues.png[name];
    const image = await readGrayImage(realFixture(name));
    t.is(image.width, expected.width);
    t.is(image.height, expected.height);
    t.is(image.data.length, expected.width * expected.height);
    t.is(image.data.reduce((sum, value) => sum + value, 0), expected.sum);
    for (const [row, column, value] of expected.points) t.is(image.data[row * image.width + column], value);
  });
}

test('DICOM by extension and by the DICM marker give the same image', async (t) => {
  const byExtension = await readGrayImage(realFixture('siim-sample.dcm'));
  const noExtension = writeTemporaryFile('image-without-extension', readFileSync(realFixture('siim-sample.dcm')));
  const byMagic = await readGrayImage(noExtension);
  t.is(byExtension.width, 1024);
  t.deepEqual(byMagic.data, byExtension.data);
  t.is(byMagic.data.reduce((sum, value) => sum + value, 0) / byMagic.data.length, referenceValues.dicom['siim-sample.dcm'].mean);
  t.true(hasDicomMagic(readFileSync(realFixture('monochrome1-sample.dcm'))));
  t.false(hasDicomMagic(readFileSync(realFixture('tbx11k-h0001.png'))));
});

test('unreadable files raise DataErrors naming the file', async (t) => {
  const csv = realFixture('rsna-stage2-train-labels-sample.csv');
  const error = await t.throwsAsync(readGrayImage(csv), { instanceOf: DataError });
  t.true(error!.message.startsWith(`${csv}: not a readable image`));
  await t.throwsAsync(readGrayImage(writeTemporaryFile('fake.dcm', 'hello')), { instanceOf: DataError, message: /fake\.dcm: not a DICOM file/ });
});

test('grey PNGs with alpha or 16 bits: alpha dropped, 16-bit values scaled by the bits they use', async (t) => {
  const sharp = (await import('sharp')).default;
  const greyAlpha = await sharp(Uint8Array.from([10, 255, 20, 128, 30, 0, 40, 255]), { raw: { width: 2, height: 2, channels: 2 } }).png().toBuffer();
  t.deepEqual(Array.from((await decodeRasterGray8(greyAlpha, 'grey-alpha.png')).data), [10, 20, 30, 40]);
  const png16 = (values: number[]) => sharp(Uint16Array.from(values), { raw: { width: 4, height: 2, channels: 1 } }).toColourspace('grey16').png().toBuffer();
  // Full 16-bit range: v · 255 / 65535.
  const full = [0, 255, 256, 1000, 32768, 40000, 65280, 65535];
  t.deepEqual(Array.from((await decodeRasterGray8(await png16(full), 'grey16.png')).data), [0, 1, 1, 4, 128, 156, 254, 255]);
  // A 12-bit film stored as 0–4095 keeps its grey range (it used to come out as 0–15).
  const twelve = [0, 1, 16, 1000, 2048, 3000, 4000, 4095];
  const decoded = await decodeRasterGray8(await png16(twelve), 'grey12.png');
  t.deepEqual(Array.from(decoded.data), [0, 0, 1, 62, 128, 187, 249, 255]);
  // An sBIT chunk says 10 significant bits: 1023 is white even when the image's largest value is lower.
  const withSbit = insertPngChunk(await png16([0, 100, 200, 300, 400, 500, 600, 700]), 'sBIT', Uint8Array.from([10]));
  t.deepEqual(pngGrey16Header(withSbit), { significantBits: 10 });
  t.deepEqual(Array.from((await decodeRasterGray8(withSbit, 'sbit.png')).data), [0, 25, 50, 75, 100, 125, 150, 174]);
  t.is(grey16ValueBits(Uint16Array.from([0, 255]), null), 8);
  t.is(grey16ValueBits(Uint16Array.from([1024]), null), 12);
  t.is(grey16ValueBits(Uint16Array.from([20000]), null), 16);
  t.is(pngGrey16Header(greyAlpha), null, '8-bit images keep the 8-bit path');
});

/** A PNG with one more chunk right after IHDR (CRC from zlib). */
function insertPngChunk(png: Buffer, type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data)]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), 8 + data.length);
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}
