/**
 * How many images `prepare` decodes at once by default. Its own module, free of heavy
 * imports, because `npm run prepare`'s launcher reads it to size libuv's thread pool (on
 * which sharp decodes) before it starts the CLI process.
 */
import { availableParallelism } from 'node:os';

/**
 * One per core plus two, so every core has a decode to run while the main thread resamples
 * and writes (4 was the fastest on the 2-core bench machine); at least 4.
 */
export function defaultPrepareConcurrency(cores = availableParallelism()): number {
  return Math.max(4, cores + 2);
}
