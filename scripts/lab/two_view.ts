// Lab helper: a Med-ST model's image embeddings of each batch two ways, from the frontal
// view alone (what every evaluation reads) and with the lateral as trained (MoVE);
// a frontal-only model gives its one embedding twice. Shared by view_shift.ts and view_probe.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { BatchLoader, HostBatch } from '../../lib/data/batches.ts';
import type { MedST } from '../../lib/methods/medst.ts';

/** Per batch of an epoch of `loader` (built with `lateral` = the model's `useLateral`): [rows, W] embeddings of `field`. */
export async function* twoViewEmbeddings(method: MedST, loader: BatchLoader, field: 'imageGlobal' | 'imageFeatures'): AsyncGenerator<{ batch: HostBatch; frontalOnly: Float32Array; twoView: Float32Array }> {
  for await (const batch of loader.epoch(0)) {
    const [frontalOnly, twoView] = tf.tidy(() => {
      const frontal = tf.tensor4d(batch.frontal, [batch.rows, batch.crop, batch.crop, 1]);
      const single = method.encodeImages({ frontal }, false)[field].dataSync() as Float32Array;
      if (!method.config.useLateral) return [single, single];
      const lateral = tf.tensor4d(batch.lateral, [batch.rows, batch.crop, batch.crop, 1]);
      return [single, method.encodeImages({ frontal, lateral, lateralPresent: tf.tensor1d(batch.lateralPresent) }, false)[field].dataSync() as Float32Array];
    });
    yield { batch, frontalOnly, twoView };
  }
}
