/**
 * The projection heads of an image–text dual encoder that aligns globally and
 * locally (Med-ST §1.3–1.4; MPMA's GLA reuses them): a global and a local head
 * per side into the d-wide joint space, and the local loss's two weighting
 * layers. One place for both methods, under the same parameter names
 * (`image_global_head`, …, `local_weighting`), so checkpoints keep loading.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ProjectionHeadConfig } from '../configs/heads.ts';
import { createLocalWeightingParams, type LocalWeightingParams } from '../objectives/local_alignment.ts';
import { GlobalProjectionHead, LocalProjectionHead } from './heads.ts';
import type { ParameterSet } from './params.ts';
import type { EncoderOutput } from './types.ts';

/** Each side of a batch in the joint space (all L2-normalised, d wide; type aliases, so tf.tidy accepts them). */
export type ProjectedImage = {
  /** [B, d] */
  imageGlobal: tf.Tensor2D;
  /** [B, P, d] */
  imageLocal: tf.Tensor3D;
};

export type ProjectedText = {
  /** [B, d] */
  textGlobal: tf.Tensor2D;
  /** [B, Nw, d] */
  textLocal: tf.Tensor3D;
};

export class AlignmentHeads {
  readonly imageGlobal: GlobalProjectionHead;
  readonly imageLocal: LocalProjectionHead;
  readonly textGlobal: GlobalProjectionHead;
  readonly textLocal: LocalProjectionHead;
  /** The local loss's word and patch weighting layers. */
  readonly localWeighting: LocalWeightingParams;

  /** @param widths W of the image and of the text encoder's features */
  constructor(params: ParameterSet, head: Omit<ProjectionHeadConfig, 'inputWidth'>, widths: { image: number; text: number }) {
    this.imageGlobal = new GlobalProjectionHead(params.child('image_global_head'), { ...head, inputWidth: widths.image });
    this.imageLocal = new LocalProjectionHead(params.child('image_local_head'), { ...head, inputWidth: widths.image });
    this.textGlobal = new GlobalProjectionHead(params.child('text_global_head'), { ...head, inputWidth: widths.text });
    this.textLocal = new LocalProjectionHead(params.child('text_local_head'), { ...head, inputWidth: widths.text });
    this.localWeighting = createLocalWeightingParams(params.child('local_weighting'), head.outputWidth);
  }

  /** An image encoder's output in the joint space (masked tokens come out as zero vectors). */
  projectImage(features: EncoderOutput, training: boolean): ProjectedImage {
    return {
      imageGlobal: this.imageGlobal.forward(features.global, { training }),
      imageLocal: this.imageLocal.forward(features.local, { training, mask: features.localMask }),
    };
  }

  /** A text encoder's output (CLS and word features) in the joint space. */
  projectText(features: EncoderOutput, training: boolean): ProjectedText {
    return {
      textGlobal: this.textGlobal.forward(features.global, { training }),
      textLocal: this.textLocal.forward(features.local, { training, mask: features.localMask }),
    };
  }
}
