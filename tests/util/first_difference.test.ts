import test from 'ava';
import { firstDifference } from '../../lib/util/first_difference.ts';

test('equal values have no difference; the first differing path is named', (t) => {
  const a = { vision: { stem: 'conv', width: 192 }, stages: [{ losses: { global: 1 } }, { losses: { global: 1, fmc: 1 } }] };
  t.is(firstDifference(a, structuredClone(a)), null);
  t.deepEqual(firstDifference(a, { ...a, vision: { stem: 'vgg', width: 192 } }), { path: 'vision.stem', saved: 'conv', current: 'vgg' });
  t.deepEqual(firstDifference(a, { ...a, stages: [a.stages[0], { losses: { global: 1, fmc: 2 } }] }), { path: 'stages[1].losses.fmc', saved: 1, current: 2 });
  t.deepEqual(firstDifference(a, { ...a, stages: [a.stages[0]] }), { path: 'stages.length', saved: 2, current: 1 });
  t.deepEqual(firstDifference([1, 2], [1, 3]), { path: '[1]', saved: 2, current: 3 });
  t.deepEqual(firstDifference(1, '1'), { path: '', saved: 1, current: '1' });
});

test('a field added since at its off value (null, false) is not a difference; a field removed, or added on, is', (t) => {
  t.is(firstDifference({ a: 1 }, { a: 1, reconstruction: null, learn: false }), null);
  t.deepEqual(firstDifference({ a: 1 }, { a: 1, reconstruction: { maskRatio: 0.75 } }), { path: 'reconstruction', saved: undefined, current: { maskRatio: 0.75 } });
  t.deepEqual(firstDifference({ a: 1, b: 2 }, { a: 1 }), { path: 'b', saved: 2, current: undefined });
});
