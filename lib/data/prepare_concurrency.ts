/**
 * How many decode workers `prepare` starts by default (the CLI's `--concurrency`
 * default and `prepareDataset`'s); a module of its own, free of heavy imports.
 */
import { availableParallelism } from 'node:os';

/**
 * Decode workers: one per core (each decodes, resamples and pads on its own thread; the
 * main thread only writes the store).
 */
export function defaultPrepareConcurrency(cores = availableParallelism()): number {
  return Math.max(1, cores);
}
