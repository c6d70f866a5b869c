/** medst public API. Only re-exports live here. */
export * from './backend.ts';
export * from './viz/index.ts';
export * from './data/index.ts';
export * from './configs/index.ts';
export * from './models/index.ts';
export * from './weights/index.ts';
export * from './objectives/index.ts';
export * from './methods/index.ts';
export * from './train/index.ts';
export * from './eval/index.ts';
export { Rng, deriveSeed } from './util/rng.ts';
export { writeFileAtomic, writeFileAtomicSync } from './util/atomic_file.ts';
