/** medst public API. Only re-exports live here. */
export * from './backend.ts';
export * from './viz/index.ts';
export * from './data/index.ts';
export { ParameterSet, initialValues, type Initializer } from './models/params.ts';
export * from './objectives/index.ts';
export { Rng, deriveSeed } from './util/rng.ts';
