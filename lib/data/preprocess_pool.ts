/**
 * A pool of decode workers (preprocess_worker.ts) for `prepare`: each image
 * goes to the worker with the fewest in flight; results come back as
 * promises, DataErrors rebuilt with their location.
 */
import { Worker } from 'node:worker_threads';
import { DataError } from './errors.ts';
import type { JpegDecodeMode } from './preprocess.ts';
import type { PreprocessReply, PreprocessRequest } from './preprocess_worker.ts';

interface Waiting {
  resolve: (pixels: Uint8Array) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  inFlight: number;
}

export class PreprocessPool {
  private readonly workers: PoolWorker[];
  private readonly waiting = new Map<number, Waiting & { worker: PoolWorker }>();
  private nextId = 0;
  private failure: Error | null = null;

  private constructor(count: number) {
    this.workers = Array.from({ length: count }, () => this.startWorker());
  }

  /** Start `workers` decode workers (at least 1). */
  static start(workers: number): PreprocessPool {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`PreprocessPool: workers must be a positive integer, got ${workers}`);
    return new PreprocessPool(workers);
  }

  /** Preprocess one image file to S×S bytes in a worker (see `preprocessImage`). */
  run(file: string, size: number, jpeg: JpegDecodeMode = 'dct-scaled'): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const target = this.workers.reduce((best, candidate) => (candidate.inFlight < best.inFlight ? candidate : best));
    const id = this.nextId++;
    target.inFlight++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker: target });
      target.worker.postMessage({ id, file, size, jpeg } satisfies PreprocessRequest);
    });
  }

  /** Stop the workers (pending images are rejected). */
  async close(): Promise<void> {
    this.failAll(new Error('PreprocessPool: closed'));
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }

  private startWorker(): PoolWorker {
    const url = new URL(`./preprocess_worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
    // Under tsx (sources run as .ts) a worker's entry is not seen by tsx's loader: bootstrap it with tsx's API.
    const worker = url.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true })
      : new Worker(url);
    const entry: PoolWorker = { worker, inFlight: 0 };
    worker.on('message', (reply: PreprocessReply) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      entry.inFlight--;
      if ('pixels' in reply) waiting.resolve(reply.pixels);
      else if ('dataError' in reply) {
        const { kind, detail, ...where } = reply.dataError;
        waiting.reject(new DataError(kind, detail, where));
      } else waiting.reject(new Error(reply.error));
    });
    worker.on('error', (error) => this.failAll(new Error(`decode worker failed: ${error.message}`)));
    worker.on('exit', (code) => {
      if (code !== 0) this.failAll(new Error(`decode worker exited with code ${code}`));
    });
    return entry;
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const [id, waiting] of this.waiting) {
      this.waiting.delete(id);
      waiting.worker.inFlight--;
      waiting.reject(error);
    }
  }
}
