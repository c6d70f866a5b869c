/** The output every medst encoder returns: features, never losses. */
import type * as tf from '@tensorflow/tfjs-core';

/** Global and local features of a batch (B samples, P local tokens, W width). */
export interface EncoderOutput {
  /** [B, W] one vector per sample (ViT: final-norm CLS; BERT: [CLS] hidden state). */
  global: tf.Tensor2D;
  /** [B, P, W] local tokens (ViT: patches; BERT: aggregated words). */
  local: tf.Tensor3D;
  /** [B, P] 1 for real tokens, 0 for padding / absent views. */
  localMask: tf.Tensor2D;
}

/** Disposes every tensor of an encoder output. */
export function disposeEncoderOutput(out: EncoderOutput): void {
  out.global.dispose();
  out.local.dispose();
  out.localMask.dispose();
}
