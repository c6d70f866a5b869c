/**
 * Run an async task over a list with at most `concurrency` running (a pool: a task starts as
 * soon as any running one finishes), and hand every settled result to `consume` in list
 * order — so whatever `consume` writes is deterministic however the tasks interleave.
 * Results that finish early wait in a reorder buffer; tasks run at most `lookahead` items
 * ahead of the one `consume` is waiting for, which bounds that buffer.
 *
 * If `consume` throws, no further task starts and the error propagates; tasks already
 * running finish unobserved (their rejections are caught, never unhandled).
 */
export function forEachSettledInOrder<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
  consume: (item: T, result: PromiseSettledResult<R>, index: number) => void,
  lookahead = 4 * concurrency,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) return Promise.reject(new Error(`concurrency must be a positive integer, got ${concurrency}`));
  if (!Number.isInteger(lookahead) || lookahead < concurrency) return Promise.reject(new Error(`lookahead must be an integer ≥ concurrency, got ${lookahead}`));
  return new Promise<void>((resolve, reject) => {
    const finished = new Map<number, PromiseSettledResult<R>>();
    let next = 0;
    let running = 0;
    let consumed = 0;
    let stopped = false;
    const launch = (index: number): void => {
      running++;
      let started: Promise<R>;
      try {
        started = task(items[index]!);
      } catch (error) {
        started = Promise.reject(error);
      }
      started.then(
        (value): PromiseSettledResult<R> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseSettledResult<R> => ({ status: 'rejected', reason }),
      ).then((result) => {
        running--;
        finished.set(index, result);
        pump();
      });
    };
    const pump = (): void => {
      if (stopped) return;
      while (finished.has(consumed)) {
        const result = finished.get(consumed)!;
        finished.delete(consumed);
        try {
          consume(items[consumed]!, result, consumed);
        } catch (error) {
          stopped = true;
          reject(error);
          return;
        }
        consumed++;
      }
      if (consumed === items.length) {
        stopped = true;
        resolve();
        return;
      }
      while (running < concurrency && next < items.length && next - consumed < lookahead) launch(next++);
    };
    pump();
  });
}
