import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { forEachSettledInOrder } from '../../lib/util/ordered_pool.ts';

test('results arrive in list order with at most `concurrency` tasks running', async (t) => {
  const delays = [30, 1, 20, 2, 15, 1, 5, 25];
  let running = 0;
  let peak = 0;
  const seen: number[] = [];
  await forEachSettledInOrder(delays.map((delay, index) => ({ delay, index })), 3, async ({ delay, index }) => {
    running++;
    peak = Math.max(peak, running);
    await sleep(delay);
    running--;
    return index * 10;
  }, (item, result, index) => {
    t.is(item.index, index);
    t.deepEqual(result, { status: 'fulfilled', value: index * 10 });
    seen.push(index);
  });
  t.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7]);
  t.is(peak, 3);
});

test('a slow task does not hold back the pool: later tasks run while it does, up to the lookahead', async (t) => {
  const startedBeforeSlowEnded: number[] = [];
  let slowDone = false;
  await forEachSettledInOrder([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 2, async (index) => {
    if (!slowDone) startedBeforeSlowEnded.push(index);
    await sleep(index === 0 ? 150 : 5);
    if (index === 0) slowDone = true;
  }, () => undefined, 6);
  // Batches of two would start nothing past task 1 while task 0 runs; the pool keeps one slot
  // busy with tasks 1, 2, ... until six items are in flight or waiting to be consumed.
  t.deepEqual(startedBeforeSlowEnded, [0, 1, 2, 3, 4, 5]);
});

test('rejections (thrown or async) are delivered as results; a throwing consumer stops new tasks', async (t) => {
  const kinds: string[] = [];
  await forEachSettledInOrder([1, 2, 3], 2, (value) => {
    if (value === 2) throw new Error('sync boom');
    return value === 3 ? Promise.reject(new Error('async boom')) : Promise.resolve(value);
  }, (_, result) => kinds.push(result.status === 'fulfilled' ? 'ok' : (result.reason as Error).message));
  t.deepEqual(kinds, ['ok', 'sync boom', 'async boom']);

  const launched: number[] = [];
  await t.throwsAsync(forEachSettledInOrder([1, 2, 3, 4, 5], 2, async (value) => {
    launched.push(value);
    return value;
  }, (value) => {
    if (value === 2) throw new Error('strict mode stop');
  }), { message: 'strict mode stop' });
  t.deepEqual(launched, [1, 2, 3]);
  await t.throwsAsync(forEachSettledInOrder([1], 0, async (v) => v, () => undefined), { message: /concurrency/ });
  await t.throwsAsync(forEachSettledInOrder([1], 2, async (v) => v, () => undefined, 1), { message: /lookahead/ });
  await forEachSettledInOrder([], 2, async (v) => v, () => t.fail('nothing to consume'));
});
