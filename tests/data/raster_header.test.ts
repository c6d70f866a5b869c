import test from 'ava';
import sharp from 'sharp';
import { rasterSampleKind } from '../../lib/data/raster_header.ts';
import { realFixture } from './fixture_paths.ts';
import { readFileSync } from 'node:fs';

const grey = new Uint8Array(16 * 8).map((_, i) => i);
const raw = (channels: 1 | 2 | 3 | 4) => sharp(new Uint8Array(16 * 8 * channels).map((_, i) => i % 251), { raw: { width: 16, height: 8, channels } });

test('JPEG: one 8-bit component is gray8, three are other; what sharp itself reports agrees', async (t) => {
  const greyJpeg = await sharp(grey, { raw: { width: 16, height: 8, channels: 1 } }).toColourspace('b-w').jpeg().toBuffer();
  const colourJpeg = await raw(3).jpeg().toBuffer();
  const progressiveGrey = await sharp(grey, { raw: { width: 16, height: 8, channels: 1 } }).toColourspace('b-w').jpeg({ progressive: true }).toBuffer();
  t.is(rasterSampleKind(greyJpeg), 'gray8');
  t.is(rasterSampleKind(progressiveGrey), 'gray8'); // SOF2
  t.is(rasterSampleKind(colourJpeg), 'other');
  t.is((await sharp(greyJpeg).metadata()).channels, 1);
  t.is((await sharp(colourJpeg).metadata()).channels, 3);
});

test('PNG: grey and grey+alpha at 8 bits are gray8; RGB, palette and 16-bit grey are other', async (t) => {
  t.is(rasterSampleKind(await raw(1).toColourspace('b-w').png().toBuffer()), 'gray8');
  t.is(rasterSampleKind(readFileSync(realFixture('nih-00000001_000.png'))), 'gray8'); // Pillow: mode L
  t.is(rasterSampleKind(readFileSync(realFixture('tbx11k-h0001.png'))), 'other'); // Pillow: mode RGB
  t.is(rasterSampleKind(await raw(3).png().toBuffer()), 'other');
  t.is(rasterSampleKind(await raw(3).png({ palette: true }).toBuffer()), 'other');
  const grey16 = await sharp(Uint16Array.from({ length: 16 * 8 }, (_, i) => i * 500), { raw: { width: 16, height: 8, channels: 1 } }).toColourspace('grey16').png().toBuffer();
  t.is(rasterSampleKind(grey16), 'other');
  // Grey + alpha (colour type 4): sharp writes two-channel input as RGBA, so set the IHDR byte
  // by hand; only the header is read, so the stale chunk CRC does not matter here.
  const header = Uint8Array.from(await raw(1).toColourspace('b-w').png().toBuffer());
  header[25] = 4;
  t.is(rasterSampleKind(header), 'gray8');
});

test('anything else, or a JPEG cut before its frame header, is unknown (the decoder is asked)', async (t) => {
  t.is(rasterSampleKind(new Uint8Array([1, 2, 3, 4, 5])), 'unknown');
  t.is(rasterSampleKind(new Uint8Array(0)), 'unknown');
  const jpeg = await raw(3).jpeg().toBuffer();
  t.is(rasterSampleKind(jpeg.subarray(0, 20)), 'unknown');
  t.is(rasterSampleKind(Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02])), 'unknown'); // scan before any frame
  t.is(rasterSampleKind(await raw(3).webp().toBuffer()), 'unknown');
});
