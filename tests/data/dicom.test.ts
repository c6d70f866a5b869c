import test from 'ava';
import { readFileSync } from 'node:fs';
import { decodeDicom, dicomParserReason, readDicom, readDicomInfo, storedValuesToGray8, type DicomImageInfo } from '../../lib/data/dicom.ts';
import { DataError } from '../../lib/data/errors.ts';
import { readerFixture, realFixture, referenceValues, writeTemporaryFile } from './fixture_paths.ts';

function histogram(data: Uint8Array): number[] {
  const counts = new Array<number>(256).fill(0);
  for (const value of data) counts[value]! += 1;
  return counts;
}

const mean = (data: Uint8Array) => data.reduce((sum, value) => sum + value, 0) / data.length;

for (const name of ['siim-sample.dcm', 'monochrome1-sample.dcm']) {
  test(`${name}: JPEG baseline decoded, min–max scaled, matches the pydicom reference`, async (t) => {
    const expected = referenceValues.dicom[name];
    const image = await readDicom(realFixture(name));
    t.is(image.width, expected.width);
    t.is(image.height, expected.height);
    t.is(image.info.photometricInterpretation, expected.photometric);
    t.is(image.info.transferSyntax, '1.2.840.10008.1.2.4.50');
    t.is(image.info.windowCenter, null);
    t.true(Math.abs(mean(image.data) - expected.mean) < 1e-9);
    for (const [row, column, value] of expected.points) t.is(image.data[row * image.width + column], value, `pixel ${row},${column}`);
    t.deepEqual(histogram(image.data), expected.histogram);
  });
}

test('MONOCHROME1 sample is displayed inverted: it equals 255 minus the MONOCHROME2 image', async (t) => {
  // The two files hold identical stored pixels and differ only in PhotometricInterpretation,
  // so the correctly displayed MONOCHROME1 image is the negative of the MONOCHROME2 one.
  const normal = await readDicom(realFixture('siim-sample.dcm'));
  const inverted = await readDicom(realFixture('monochrome1-sample.dcm'));
  let absoluteDifference = 0;
  for (let index = 0; index < normal.data.length; index++) absoluteDifference += Math.abs(inverted.data[index]! - (255 - normal.data[index]!));
  t.true(absoluteDifference / normal.data.length < 0.5);
  t.is(absoluteDifference, 0);
});

for (const name of ['signed16-window.dcm', 'unsigned12-mono1.dcm', 'signed12-minmax.dcm']) {
  test(`${name} (written by pydicom): every 8-bit value matches the numpy reference`, async (t) => {
    const expected = referenceValues.syntheticDicom[name];
    const image = await readDicom(readerFixture(name));
    t.is(image.width, expected.width);
    t.is(image.height, expected.height);
    t.deepEqual([...image.data], expected.gray8);
  });
}

test('header fields: rescale, window, signedness, bits stored, syntax', (t) => {
  const { info } = readDicomInfo(readFileSync(readerFixture('signed16-window.dcm')), 'signed16-window.dcm');
  t.like(info, { bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, rescaleSlope: 2, rescaleIntercept: -100, windowCenter: 40, windowWidth: 1500 });
  t.is(info.transferSyntax, '1.2.840.10008.1.2.1');
  const implicit = readDicomInfo(readFileSync(readerFixture('unsigned12-mono1.dcm')), 'u.dcm').info;
  t.like(implicit, { transferSyntax: '1.2.840.10008.1.2', bitsStored: 12, pixelRepresentation: 0, photometricInterpretation: 'MONOCHROME1', windowCenter: null });
});

test('window maths by hand (DICOM linear VOI) and the minmax option', async (t) => {
  const info: DicomImageInfo = {
    transferSyntax: '1.2.840.10008.1.2.1', photometricInterpretation: 'MONOCHROME2', rows: 1, columns: 5,
    bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, rescaleSlope: 1, rescaleIntercept: 0, windowCenter: 100, windowWidth: 201,
  };
  // c' = 99.5, w' = 200: x ≤ -0.5 → 0, x > 199.5 → 255, else ((x − 99.5)/200 + 0.5)·255.
  t.deepEqual([...storedValuesToGray8(Float64Array.from([-1, 0, 99.5, 199, 200]), info)], [0, 1, 128, 254, 255]);
  t.deepEqual([...storedValuesToGray8(Float64Array.from([-1, 0, 99.5, 199, 200]), info, { windowing: 'minmax' })], [0, 1, 128, 254, 255]);
  t.deepEqual([...storedValuesToGray8(Float64Array.from([10, 20, 30]), { ...info, windowCenter: null, windowWidth: null })], [0, 128, 255]);
  t.deepEqual([...storedValuesToGray8(Float64Array.from([7, 7]), { ...info, windowCenter: null, windowWidth: null })], [0, 0]);
  const windowed = await readDicom(readerFixture('signed16-window.dcm'));
  const minmax = await readDicom(readerFixture('signed16-window.dcm'), { windowing: 'minmax' });
  t.notDeepEqual(windowed.data, minmax.data);
  t.is(Math.min(...minmax.data), 0);
  t.is(Math.max(...minmax.data), 255);
});

test('non-DICOM, truncated and unsupported files raise DataErrors naming the file', async (t) => {
  const png = realFixture('nih-00000001_000.png');
  await t.throwsAsync(readDicom(png), { instanceOf: DataError, message: new RegExp(`^${png.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a DICOM file`) });
  await t.throwsAsync(readDicom('/nonexistent/a.dcm'), { instanceOf: DataError, message: /^\/nonexistent\/a\.dcm: cannot read file/ });
  const bytes = new Uint8Array(readFileSync(realFixture('siim-sample.dcm')));
  await t.throwsAsync(decodeDicom(bytes.subarray(0, 400), 'cut.dcm'), { instanceOf: DataError, message: /^cut\.dcm: unreadable DICOM: .*past end of buffer/ });
  // Cut inside the pixel data: dicom-parser throws a plain object, whose message must survive.
  await t.throwsAsync(decodeDicom(bytes.subarray(0, bytes.length - 100), 'cut.dcm'), { instanceOf: DataError, message: /^cut\.dcm: unreadable DICOM: dicomParser:parseDicomDataSetExplicit: buffer overrun$/ });
  t.is(dicomParserReason({ exception: 'x' }), 'x');
  t.regex(dicomParserReason(42), /unknown parser error \(\[object Number\]\)/);
  // Same file, transfer syntax rewritten to JPEG 2000 (same UID length).
  const text = Buffer.from(bytes).toString('latin1').replace('1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.90');
  const path = writeTemporaryFile('j2k.dcm', Buffer.from(text, 'latin1'));
  const error = await t.throwsAsync(readDicom(path), { instanceOf: DataError });
  t.is(error?.kind, 'unsupported');
  t.regex(error!.message, /j2k\.dcm: field "TransferSyntaxUID": unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.90 \(JPEG 2000 Lossless\)/);
});
