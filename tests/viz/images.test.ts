import test from 'ava';
import sharp from 'sharp';
import { GREY_COLORSCALE, grayPng, imageGridHtml, radiographTrace, toGray8 } from '../../lib/viz/images.ts';

test('grayPng round-trips pixels through PNG', async (t) => {
  const pixels = Uint8Array.from({ length: 6 * 4 }, (_, i) => i * 10);
  const png = await grayPng(pixels, 6, 4);
  const meta = await sharp(png).metadata();
  t.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 6, 4, 1], 'a one-channel PNG');
  const { data } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  t.deepEqual(new Uint8Array(data), pixels);
  await t.throwsAsync(grayPng(pixels, 5, 4), { message: /24 pixels for 5×4/ });
});

test('toGray8 maps a float range linearly to 0..255', (t) => {
  t.deepEqual(Array.from(toGray8(new Float32Array([-1, 0, 1]))), [0, 128, 255]);
  t.deepEqual(Array.from(toGray8([0, 5, 10], [0, 20])), [0, 64, 128]);
  t.deepEqual(Array.from(toGray8([3, 3])), [0, 0]);
});

test('the grid embeds each image as a PNG data URI with an escaped caption', async (t) => {
  const tile = { pixels: new Uint8Array(4), width: 2, height: 2 };
  const html = await imageGridHtml([{ ...tile, caption: 'a <b>' }, tile], { columns: 2, title: 'T' });
  t.is(html.match(/src="data:image\/png;base64,/g)?.length, 2);
  t.regex(html, /<figcaption[^>]*>a &lt;b&gt;<\/figcaption>/);
  t.regex(html, /^<h4>T<\/h4>/);
  t.regex(html, /grid-template-columns:repeat\(2, /);
});

test('radiographTrace: the darkest value is black and the image top is drawn at the top', (t) => {
  // A 2×3 image: top row dark (0), bottom row bright (200).
  const trace = radiographTrace([0, 0, 0, 200, 200, 200], 3, 2);
  const scale = trace['colorscale'] as Array<[number, string]>;
  t.false(trace['reversescale'] as boolean);
  t.deepEqual(scale[0], [0, 'rgb(0,0,0)'], 'lowest value → black');
  t.deepEqual(scale[scale.length - 1], [1, 'rgb(255,255,255)']);
  t.deepEqual(GREY_COLORSCALE, scale);
  // Plotly's y axis points up: the image's top row is the last row of z.
  t.deepEqual(trace['z'], [[200, 200, 200], [0, 0, 0]]);
  t.throws(() => radiographTrace([1, 2, 3], 2, 2), { message: /3 pixels for 2×2/ });
});
