/**
 * The prefetch worker: reads and crops image batches off the main thread, so the
 * next batches are ready while TensorFlow computes the current step.
 * Started by `BatchLoader`; answers each request with transferred pixel buffers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assembleImageBatch, type ImageBatchRequest } from './batch_images.ts';
import { ImageStore } from './image_store.ts';

interface WorkerRequest extends ImageBatchRequest {
  id: number;
}

const store = ImageStore.open((workerData as { storeDir: string }).storeDir);
parentPort!.on('message', (request: WorkerRequest | 'close') => {
  if (request === 'close') {
    store.close();
    parentPort!.close();
    return;
  }
  try {
    const batch = assembleImageBatch(store, request);
    // The arrays were allocated here as plain ArrayBuffers, so they can be transferred.
    const buffers = [batch.frontal.buffer, batch.lateral.buffer, batch.lateralPresent.buffer] as ArrayBuffer[];
    parentPort!.postMessage({ id: request.id, batch }, buffers);
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: (error as Error).message });
  }
});
