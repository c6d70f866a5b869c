/** Test helper: the native backend, initialised once per test process (ava runs each file in its own process). */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo } from '../../lib/backend.ts';

export { tf };

/** Initialises the backend the same way the CLIs do; tests then assert it is native. */
export function nativeBackend(): Promise<BackendInfo> {
  return initBackend({ log: null });
}
