/**
 * PRIOR's image reconstruction decoder (§2, stage 3): from a [B, g, g, Cin]
 * feature map, `blocks` upsampling blocks (×2 nearest, then 2 × [conv 3×3,
 * BatchNorm, ReLU]) each halving the channels, and a 3×3 conv head to one
 * channel: [B, g·2^blocks, g·2^blocks, 1]. Conv weights HWIO, PyTorch padding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { relu } from './layers/activations.ts';
import { BatchNorm } from './layers/batch_norm.ts';
import type { ParameterSet } from './params.ts';

interface DecoderBlock {
  conv1: tf.Variable;
  bn1: BatchNorm;
  conv2: tf.Variable;
  bn2: BatchNorm;
}

/** conv 3×3, stride 1, zero padding 1 (PyTorch's). */
function conv3x3(x: tf.Tensor4D, w: tf.Variable): tf.Tensor4D {
  return tf.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), w as tf.Tensor4D, 1, 'valid');
}

export class ImageDecoder {
  readonly blocks: DecoderBlock[];
  readonly head: { weight: tf.Variable; bias: tf.Variable };

  /**
   * Creates `blocks.i.{conv1,bn1,conv2,bn2}` and `head.{weight,bias}`.
   * @param inChannels Cin, halved by each block (must stay ≥ 1)
   */
  constructor(params: ParameterSet, inChannels: number, blocks: number, bn: { eps: number; momentum: number } = { eps: 1e-5, momentum: 0.1 }) {
    if (inChannels % 2 ** blocks !== 0) throw new Error(`ImageDecoder: ${inChannels} channels cannot be halved ${blocks} times`);
    let c = inChannels;
    this.blocks = Array.from({ length: blocks }, (_, i) => {
      const p = params.child(`blocks.${i}`);
      const out = c / 2;
      const block = {
        conv1: p.create('conv1.weight', [3, 3, c, out], { kind: 'heNormal', fanIn: out * 9 }),
        bn1: new BatchNorm(p, 'bn1', out, bn),
        conv2: p.create('conv2.weight', [3, 3, out, out], { kind: 'heNormal', fanIn: out * 9 }),
        bn2: new BatchNorm(p, 'bn2', out, bn),
      };
      c = out;
      return block;
    });
    this.head = { weight: params.create('head.weight', [3, 3, c, 1], { kind: 'uniform', bound: 1 / Math.sqrt(c * 9) }), bias: params.create('head.bias', [1], { kind: 'zeros' }) };
  }

  /**
   * @param map [B, g, g, Cin]
   * @returns [B, g·2^blocks, g·2^blocks, 1]
   */
  forward(map: tf.Tensor4D, options: { training: boolean }): tf.Tensor4D {
    return tf.tidy('imageDecoder', () => {
      let x = map;
      for (const block of this.blocks) {
        const [, h, w] = x.shape;
        x = tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w]); // exact ×2 duplication (no half-pixel centres)
        x = relu(block.bn1.forward(conv3x3(x, block.conv1), options)) as tf.Tensor4D;
        x = relu(block.bn2.forward(conv3x3(x, block.conv2), options)) as tf.Tensor4D;
      }
      return tf.add(conv3x3(x, this.head.weight), this.head.bias) as tf.Tensor4D;
    });
  }
}
