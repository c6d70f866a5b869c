/**
 * Backend selection: which TensorFlow.js backend runs medst, said out loud.
 *
 * The library computes with `@tensorflow/tfjs-core`; a backend is registered by
 * importing one of the native packages. `initBackend()` is the one place that
 * does it, and every CLI, notebook and test calls it first:
 *   - `tfjs-node-gpu` when the user asks for the GPU (`MEDST_DEVICE=gpu`) and the
 *     package is installed;
 *   - otherwise `tfjs-node` (native TensorFlow on the CPU);
 *   - the pure-JS `cpu` backend only when asked for explicitly
 *     (`MEDST_BACKEND=js`), with a loud warning: it is about 1000× slower.
 * A native package that fails to load is an error, never a silent fallback.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import os from 'node:os';
import { loadFusedKernels } from './native/fused_kernels.ts';
import { registerReductionGradients } from './train/reduction_gradients.ts';

const require = createRequire(import.meta.url);

/** What the user asked for (from the environment or options). */
export interface BackendRequest {
  /** `gpu` asks for `tfjs-node-gpu`; `cpu` (default) for `tfjs-node`. */
  device: 'cpu' | 'gpu';
  /** True only when the user explicitly chose the slow pure-JS backend. */
  allowPureJs: boolean;
  /** TensorFlow intra-op threads; undefined keeps TensorFlow's default (all cores). */
  threads?: number;
}

/** The package that provides the backend. */
export type BackendPackage = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-backend-cpu';

/** The outcome of `chooseBackend`: which package to load and what to warn about. */
export interface BackendPlan {
  package: BackendPackage;
  warnings: string[];
}

/** What actually runs, for the one-line report. */
export interface BackendInfo {
  /** `tf.getBackend()`: `tensorflow` for both native packages, `cpu` for pure JS. */
  backend: string;
  package: BackendPackage;
  device: 'cpu' | 'gpu';
  /** Version of the native TensorFlow library, or `none` for pure JS. */
  tensorflowVersion: string;
  tfjsVersion: string;
  threads: number;
  /** medst's fused CPU kernels (`lib/native/fused_kernels.ts`): null where they are on or do not apply (GPU, pure JS), else why they are off. */
  fusedKernelsOff: string | null;
}

const SLOW_BANNER = [
  '',
  '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
  '!! medst is running on the PURE-JAVASCRIPT tfjs backend (MEDST_BACKEND=js).',
  '!! It is about 1000x slower than native TensorFlow: training will crawl.',
  '!! Unset MEDST_BACKEND and run `npm run setup` to use the native backend.',
  '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
  '',
].join('\n');

/** Reads the request from environment variables (MEDST_DEVICE, MEDST_BACKEND, MEDST_THREADS). */
export function requestFromEnv(env: NodeJS.ProcessEnv = process.env): BackendRequest {
  const device = (env.MEDST_DEVICE ?? 'cpu').toLowerCase();
  if (device !== 'cpu' && device !== 'gpu') {
    throw new Error(`MEDST_DEVICE must be "cpu" or "gpu", got "${env.MEDST_DEVICE}"`);
  }
  const backend = (env.MEDST_BACKEND ?? 'native').toLowerCase();
  if (backend !== 'native' && backend !== 'js') {
    throw new Error(`MEDST_BACKEND must be "native" or "js", got "${env.MEDST_BACKEND}"`);
  }
  let threads: number | undefined;
  if (env.MEDST_THREADS !== undefined && env.MEDST_THREADS !== '') {
    threads = Number(env.MEDST_THREADS);
    if (!Number.isInteger(threads) || threads < 1) {
      throw new Error(`MEDST_THREADS must be a positive integer, got "${env.MEDST_THREADS}"`);
    }
  }
  return { device, allowPureJs: backend === 'js', threads };
}

/**
 * Decides which package to load. Pure: `isInstalled` is passed in so tests can
 * exercise every branch.
 */
export function chooseBackend(request: BackendRequest, isInstalled: (pkg: BackendPackage) => boolean): BackendPlan {
  if (request.allowPureJs) {
    return { package: '@tensorflow/tfjs-backend-cpu', warnings: [SLOW_BANNER] };
  }
  if (request.device === 'gpu') {
    if (isInstalled('@tensorflow/tfjs-node-gpu')) return { package: '@tensorflow/tfjs-node-gpu', warnings: [] };
    return {
      package: '@tensorflow/tfjs-node',
      warnings: ['MEDST_DEVICE=gpu but @tensorflow/tfjs-node-gpu is not installed (`npm run setup -- --gpu`); using the CPU build of native TensorFlow.'],
    };
  }
  return { package: '@tensorflow/tfjs-node', warnings: [] };
}

/** True if a package resolves from this module. */
export function isPackageInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

let active: BackendInfo | null = null;

/** Options of `initBackend`. */
export interface InitBackendOptions extends Partial<BackendRequest> {
  /** Where the one-line report and warnings go; default console.error. Pass null for silence. */
  log?: ((line: string) => void) | null;
}

/**
 * Loads and activates the backend, then prints one line naming it, the
 * TensorFlow version and the thread count. Idempotent: later calls return the
 * backend already running (and refuse a conflicting request).
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const fromEnv = requestFromEnv();
  const request: BackendRequest = {
    device: options.device ?? fromEnv.device,
    allowPureJs: options.allowPureJs ?? fromEnv.allowPureJs,
    threads: options.threads ?? fromEnv.threads,
  };
  const log = options.log === undefined ? (line: string) => console.error(line) : options.log;
  const plan = chooseBackend(request, isPackageInstalled);
  if (active) {
    if (active.package !== plan.package) {
      throw new Error(`initBackend: ${active.package} is already running in this process; cannot switch to ${plan.package}`);
    }
    return active;
  }
  for (const warning of plan.warnings) log?.(warning);
  if (request.threads !== undefined) {
    // TensorFlow reads these when it creates its thread pools, i.e. on first use.
    process.env.TF_NUM_INTRAOP_THREADS = String(request.threads);
    process.env.TF_NUM_INTEROP_THREADS = process.env.TF_NUM_INTEROP_THREADS ?? '1';
  }
  process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL ?? '2';
  // TensorFlow's default CPU allocator maps and page-faults every large tensor
  // afresh; the BFC allocator reuses memory (measured: 10–20% faster tiny steps).
  process.env.TF_CPU_ALLOCATOR_USE_BFC = process.env.TF_CPU_ALLOCATOR_USE_BFC ?? 'true';

  if (plan.package === '@tensorflow/tfjs-backend-cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
  } else {
    try {
      await import(plan.package);
    } catch (error) {
      throw new Error(
        `Could not load ${plan.package}: ${(error as Error).message}\n` +
          'The native TensorFlow addon is missing or broken. Run `npm run setup` (see environment.md, Troubleshooting).\n' +
          'medst does not fall back to the ~1000x slower pure-JS backend by itself; set MEDST_BACKEND=js to choose it explicitly.',
      );
    }
    await tf.setBackend('tensorflow');
  }
  await tf.ready();
  registerReductionGradients();
  const backend = tf.getBackend();
  const native = plan.package !== '@tensorflow/tfjs-backend-cpu';
  if (native && backend !== 'tensorflow') {
    throw new Error(`${plan.package} loaded but the active backend is "${backend}", not "tensorflow"`);
  }
  active = {
    backend,
    package: plan.package,
    device: plan.package === '@tensorflow/tfjs-node-gpu' ? 'gpu' : 'cpu',
    tensorflowVersion: native ? nativeTensorflowVersion() : 'none',
    tfjsVersion: tf.version_core,
    threads: native ? (request.threads ?? os.availableParallelism()) : 1,
    fusedKernelsOff: null,
  };
  if (active.package === '@tensorflow/tfjs-node') active.fusedKernelsOff = loadFusedKernels(active.threads);
  log?.(describeBackend(active));
  return active;
}

/** The backend running in this process, or null before `initBackend`. */
export function activeBackend(): BackendInfo | null {
  return active;
}

/** The one-line report, e.g. `medst backend: tensorflow (@tensorflow/tfjs-node, cpu), TensorFlow 2.21.0, tfjs 4.22.0, 2 threads, fused CPU kernels`. */
export function describeBackend(info: BackendInfo): string {
  const tfText = info.tensorflowVersion === 'none' ? 'no native TensorFlow (pure JS)' : `TensorFlow ${info.tensorflowVersion}`;
  const fused = info.package !== '@tensorflow/tfjs-node' ? '' : info.fusedKernelsOff === null ? ', fused CPU kernels' : `, fused CPU kernels OFF: ${info.fusedKernelsOff}`;
  return `medst backend: ${info.backend} (${info.package}, ${info.device}), ${tfText}, tfjs ${info.tfjsVersion}, ${info.threads} thread${info.threads === 1 ? '' : 's'}${fused}`;
}

function nativeTensorflowVersion(): string {
  // The binding is internal to tfjs-node; it carries the C library's TF_Version().
  const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
  return binding?.TF_Version ?? 'unknown';
}
