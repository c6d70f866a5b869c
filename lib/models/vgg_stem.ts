/**
 * The ViT's VGG stem (`stem: 'vgg'`): log2(patch) stages, each
 * `convsPerStage` × (3×3 convolution without bias, BatchNorm, ReLU) at the
 * stage's resolution, then a 2×2 max-pool, so the output grid has stride
 * patchSize. Stage s has `baseWidth·2^s` channels. Unlike the strided conv stem,
 * the first stage sees every pixel at full resolution with a normalised
 * activation; on the synthetic cohort this is what lets a small transformer
 * learn from 2,000 images (docs/lab-notebook.md §31).
 *
 * Names: `S_I.weight` [3, 3, Cin, Cout] (HWIO) and `S_I.bn.*` for stage S,
 * convolution I, under the given `ParameterSet` view.
 */
import * as tf from '@tensorflow/tfjs-core';
import { relu } from './layers/activations.ts';
import { BatchNorm } from './layers/batch_norm.ts';
import type { ParameterSet } from './params.ts';

/** Shape of a VGG stem. */
export interface VggStemConfig {
  inChannels: number;
  /** Output channels of each stage (one 2×2 max-pool per stage). */
  stageChannels: readonly number[];
  convsPerStage: number;
}

/** Convolutions and BatchNorms of a VGG stem. */
export class VggStem {
  readonly convs: Array<{ weight: tf.Variable; bn: BatchNorm; poolAfter: boolean }> = [];
  /** Channels of the output map. */
  readonly outChannels: number;

  constructor(params: ParameterSet, readonly config: VggStemConfig) {
    let cin = config.inChannels;
    config.stageChannels.forEach((cout, s) => {
      for (let i = 0; i < config.convsPerStage; i++) {
        // He init on fan-in: BatchNorm follows, so the scale only sets the first steps.
        const weight = params.create(`${s}_${i}.weight`, [3, 3, cin, cout], { kind: 'heNormal', fanIn: 9 * cin });
        this.convs.push({ weight, bn: new BatchNorm(params, `${s}_${i}.bn`, cout), poolAfter: i === config.convsPerStage - 1 });
        cin = cout;
      }
    });
    this.outChannels = cin;
  }

  /**
   * @param images [B, H, W, inChannels] (H, W multiples of 2^stages)
   * @param training BatchNorm on batch statistics (and running updates) or on running statistics
   * @returns [B, H / 2^stages, W / 2^stages, outChannels]
   */
  forward(images: tf.Tensor4D, training: boolean): tf.Tensor4D {
    if (images.rank !== 4 || images.shape[3] !== this.config.inChannels) {
      throw new Error(`VggStem: expected images [B, H, W, ${this.config.inChannels}], got [${images.shape}]`);
    }
    return tf.tidy('vggStem', () => {
      let x = images;
      for (const conv of this.convs) {
        x = relu(conv.bn.forward(tf.conv2d(x, conv.weight as tf.Tensor4D, 1, 'same'), { training })) as tf.Tensor4D;
        if (conv.poolAfter) x = tf.maxPool(x, 2, 2, 'valid');
      }
      return x;
    });
  }
}
