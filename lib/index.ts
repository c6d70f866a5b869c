/** medst public API. Only re-exports live here. */
export { Rng, deriveSeed } from './util/rng.ts';
