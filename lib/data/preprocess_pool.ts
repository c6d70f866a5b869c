/**
 * A pool of decode processes (preprocess_worker.ts) for `prepare`: each image
 * goes to the worker with the fewest in flight; results come back as
 * promises, DataErrors rebuilt with their location.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DataError } from './errors.ts';
import type { JpegDecodeMode } from './preprocess.ts';
import type { PreprocessReply, PreprocessRequest } from './preprocess_worker.ts';

interface Waiting {
  resolve: (pixels: Uint8Array) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: ChildProcess;
  inFlight: number;
}

export class PreprocessPool {
  private readonly workers: PoolWorker[];
  private readonly waiting = new Map<number, Waiting & { worker: PoolWorker }>();
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;

  private constructor() {
    this.workers = [];
  }

  /**
   * Start `workers` decode processes (at least 1) and wait until each has
   * loaded the native JPEG decoder.
   */
  static async start(workers: number): Promise<PreprocessPool> {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`PreprocessPool: workers must be a positive integer, got ${workers}`);
    const pool = new PreprocessPool();
    const started = Array.from({ length: workers }, () => pool.startWorker());
    try {
      for (const worker of started) pool.workers.push(await worker);
    } catch (error) {
      for (const worker of started) void worker.then((entry) => entry.worker.kill(), () => {});
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Preprocess one image file to S×S bytes in a worker (see `preprocessImage`). */
  run(file: string, size: number, jpeg: JpegDecodeMode = 'dct-scaled'): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const target = this.workers.reduce((best, candidate) => (candidate.inFlight < best.inFlight ? candidate : best));
    const id = this.nextId++;
    target.inFlight++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker: target });
      target.worker.send({ id, file, size, jpeg } satisfies PreprocessRequest);
    });
  }

  /** Stop the workers (pending images are rejected). */
  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new Error('PreprocessPool: closed'));
    await Promise.all(
      this.workers.map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            if (worker.exitCode !== null || worker.signalCode !== null) return resolve();
            worker.once('exit', () => resolve());
            worker.kill();
          }),
      ),
    );
  }

  private startWorker(): Promise<PoolWorker> {
    const url = new URL(`./preprocess_worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
    // Sources run as .ts under tsx: the child needs tsx's loader too. Pixels travel as typed arrays ('advanced').
    const worker = fork(fileURLToPath(url), [], {
      execArgv: url.pathname.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [],
      serialization: 'advanced',
      // TensorFlow's start-up banner once per worker is noise; an explicit setting wins.
      env: { TF_CPP_MIN_LOG_LEVEL: '2', ...process.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const entry: PoolWorker = { worker, inFlight: 0 };
    return new Promise<PoolWorker>((resolve, reject) => {
      let ready = false;
      worker.on('message', (reply: PreprocessReply | 'ready') => {
        if (reply === 'ready') {
          ready = true;
          resolve(entry);
          return;
        }
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
      worker.on('error', (error) => {
        const failure = new Error(`decode worker failed: ${error.message}`);
        if (!ready) reject(failure);
        this.failAll(failure);
      });
      worker.on('exit', (code, signal) => {
        const failure = new Error(`decode worker exited (${signal ?? `code ${code}`})`);
        if (!ready) reject(failure);
        if (!this.closed) this.failAll(failure);
      });
    });
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
