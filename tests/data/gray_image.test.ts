import test from 'ava';
import { rgbToLuminance } from '../../lib/data/gray_image.ts';

test('BT.601 luminance with Pillow rounding; grey stays grey; alpha ignored', (t) => {
  t.deepEqual([...rgbToLuminance(Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 77, 77, 77]), 3)], [76, 150, 29, 77]);
  t.deepEqual([...rgbToLuminance(Uint8Array.from([255, 255, 255, 0, 10, 20, 30, 255]), 4)], [255, 18]);
  for (let value = 0; value < 256; value++) t.is(rgbToLuminance(Uint8Array.from([value, value, value]), 3)[0], value);
});
