/** medst public API. Only re-exports live here. */
export * from './backend.ts';
export * from './viz/index.ts';
export { Rng, deriveSeed } from './util/rng.ts';
