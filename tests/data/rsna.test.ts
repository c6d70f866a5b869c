import test from 'ava';
import { DataError, DataIssues } from '../../lib/data/errors.ts';
import { boxesToMask, readRsnaLabels } from '../../lib/data/rsna.ts';
import { realFixture, referenceValues, writeTemporaryFile } from './fixture_paths.ts';

const reference = referenceValues.rsna;

test('groups the real sample per image; counts match pandas', (t) => {
  const { images, issues } = readRsnaLabels(realFixture('rsna-stage2-train-labels-sample.csv'));
  t.is(issues.total, 0);
  t.is(images.length, reference.images);
  t.is(images.filter((image) => image.target === 1).length, reference.positiveImages);
  t.is(images.reduce((sum, image) => sum + image.boxes.length, 0), reference.boxes);
  t.true(images.every((image) => (image.target === 1) === (image.boxes.length > 0)));
  const busiest = images.find((image) => image.patientId === reference.busiestPatient)!;
  t.deepEqual(busiest.boxes.map((box) => [box.x, box.y, box.width, box.height]), reference.busiestBoxes);
  t.is(images[0]!.patientId, '0004cfab-14fd-4e49-80ba-63a80b6bddd6');
  t.is(images[0]!.target, 0);
});

test('box masks: pixel counts at 1024, 256 and 224 match an independent numpy rasterisation', (t) => {
  const { images } = readRsnaLabels(realFixture('rsna-stage2-train-labels-sample.csv'));
  const boxes = images.find((image) => image.patientId === reference.busiestPatient)!.boxes;
  for (const size of [1024, 256, 224]) {
    const mask = boxesToMask(boxes, { width: size, height: size });
    t.is(mask.data.length, size * size);
    t.is(mask.data.reduce((sum, value) => sum + value, 0), reference.busiestMaskPixels[String(size)], `size ${size}`);
  }
});

test('box masks by hand: exact box, scaling, clipping, non-square', (t) => {
  const small = boxesToMask([{ x: 1, y: 2, width: 3, height: 1 }], { sourceWidth: 6, sourceHeight: 4 });
  t.deepEqual([...small.data], [
    0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 0, 0,
    0, 0, 0, 0, 0, 0,
  ]);
  // 8×8 source box [4, 8) in x → the right half of a 4-wide mask at half scale.
  const half = boxesToMask([{ x: 4, y: 0, width: 4, height: 8 }], { sourceWidth: 8, sourceHeight: 8, width: 4, height: 4 });
  t.deepEqual([...half.data], [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
  const clipped = boxesToMask([{ x: -5, y: 2, width: 7, height: 100 }], { sourceWidth: 4, sourceHeight: 4 });
  t.is(clipped.data.reduce((sum, value) => sum + value, 0), 4);
  t.throws(() => boxesToMask([], { width: 0 }), { instanceOf: RangeError });
});

test('inconsistent rows are reported with file, row and field', (t) => {
  const text = [
    'patientId,x,y,width,height,Target',
    'a,,,,,0',
    'b,10,20,30,40,1',
    'b,50,60,70,80,1',
    'c,,,,,1',
    'd,1,2,3,4,0',
    'e,1,2,0,4,1',
    'b,,,,,0',
    'f,,,,,2',
  ].join('\n');
  const path = writeTemporaryFile('stage_2_train_labels.csv', text);
  const { images, issues } = readRsnaLabels(path);
  t.deepEqual(images.map((image) => `${image.patientId}:${image.boxes.length}`), ['a:0', 'b:2']);
  t.is(issues.count('bad-value'), 5);
  t.regex(issues.examples('bad-value')[0]!.message, /^stage_2_train_labels\.csv: row 4 \(line 5\), field "x": Target 1 needs/);
  t.regex(issues.examples('bad-value')[3]!.message, /row 7 \(line 8\), field "Target": Target 0 disagrees/);
  t.throws(() => readRsnaLabels(path, { issues: new DataIssues({ strict: true }) }), { instanceOf: DataError });
});
