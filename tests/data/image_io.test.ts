import test from 'ava';
import { readFileSync } from 'node:fs';
import { DataError } from '../../lib/data/errors.ts';
import { decodeRasterGray8, hasDicomMagic, readGrayImage } from '../../lib/data/image_io.ts';
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

test('grey PNGs with alpha or 16 bits: alpha dropped, 16-bit values reduced to their high byte', async (t) => {
  const sharp = (await import('sharp')).default;
  const greyAlpha = await sharp(Uint8Array.from([10, 255, 20, 128, 30, 0, 40, 255]), { raw: { width: 2, height: 2, channels: 2 } }).png().toBuffer();
  t.deepEqual(Array.from((await decodeRasterGray8(greyAlpha, 'grey-alpha.png')).data), [10, 20, 30, 40]);
  const values = Uint16Array.from([0, 255, 256, 1000, 32768, 40000, 65280, 65535]);
  const grey16 = await sharp(values, { raw: { width: 4, height: 2, channels: 1 } }).toColourspace('grey16').png().toBuffer();
  t.is((await sharp(grey16).metadata()).depth, 'ushort');
  t.deepEqual(Array.from((await decodeRasterGray8(grey16, 'grey16.png')).data), Array.from(values, (value) => value >> 8));
});
