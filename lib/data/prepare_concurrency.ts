/**
 * How many decode workers `prepare` starts by default. Its own module, free of heavy
 * imports, because `npm run prepare`'s launcher reads it to size libuv's thread pool (on
 * which sharp decodes) before it starts the CLI process.
 */
import { availableParallelism } from 'node:os';

/**
 * Decode workers: one per core (each decodes, resamples and pads on its own thread; the
 * main thread only writes the store).
 */
export function defaultPrepareConcurrency(cores = availableParallelism()): number {
  return Math.max(1, cores);
}
