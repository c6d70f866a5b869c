// Module hooks that make '@tensorflow/tfjs-node' fail to load, as a broken addon would.
// Used by tests/backend.test.ts: `node --import ./tests/helpers/break_tfjs_node.mjs ...`.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === '@tensorflow/tfjs-node') throw new Error('simulated: libtensorflow.so.2: cannot open shared object file');
  return next(specifier, context);
}`));
