/**
 * Worker-thread entry: receives patient indices, generates each patient
 * (images and report files written here), posts the rows back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SynthConfig } from './config.ts';
import { generatePatient } from './patient.ts';

const cfg = workerData as SynthConfig;
if (!parentPort) throw new Error('synth worker: must run as a worker thread');
const port = parentPort;
port.on('message', (index: number) => {
  generatePatient(cfg, index).then(
    (r) => port.postMessage(r),
    (e: unknown) => {
      throw e;
    },
  );
});
