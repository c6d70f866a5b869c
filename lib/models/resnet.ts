/**
 * Bottleneck ResNet image encoder (ResNet-50 by default; PRIOR §2, IMITATE §3)
 * exposing its stage feature maps, NHWC:
 * `{stages: {layer1 [B,H/4,W/4,4c], layer2 [B,H/8,W/8,8c], layer3 [B,H/16,W/16,16c], layer4 [B,H/32,W/32,32c]}, pooled [B, 32c]}`
 * with c = baseWidth (64: layer4 has 2048 channels).
 *
 * torchvision layout and names (v1.5: stride on the 3×3 conv): stem
 * `conv1` 7×7/2 pad 3 → `bn1` → ReLU → max-pool 3×3/2 pad 1, then
 * `layerS.I.{conv1,bn1,conv2,bn2,conv3,bn3}` and `layerS.0.downsample.{0,1}`.
 * Conv weights are stored HWIO [k, k, in, out] (converters transpose from
 * PyTorch OIHW). PyTorch's symmetric padding is reproduced with an explicit
 * `tf.pad` + 'valid' conv (TF's 'same' pads asymmetrically for stride 2).
 * `inChannels: 1` gives the single-channel stem.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resnetStageChannels, resolveResNetConfig, type ResNetConfig, type ResNetConfigInput, type ResNetTrunkConfig } from '../configs/resnet.ts';
import type { ParameterSet } from './params.ts';
import type { EncoderOutput } from './types.ts';
import { relu } from './layers/activations.ts';
import { BatchNorm } from './layers/batch_norm.ts';

/** Options of a forward pass. */
export interface ResNetForwardOptions {
  /** BatchNorm batch statistics + running update (true) or running statistics (false). */
  training: boolean;
}

/** Stage maps and pooled features. */
export interface ResNetOutput {
  stages: { layer1: tf.Tensor4D; layer2: tf.Tensor4D; layer3: tf.Tensor4D; layer4: tf.Tensor4D };
  /** [B, C4] global average of layer4. */
  pooled: tf.Tensor2D;
}

function createConv(params: ParameterSet, name: string, k: number, cin: number, cout: number): tf.Variable {
  // torchvision: kaiming_normal_(mode='fan_out', nonlinearity='relu').
  return params.create(name, [k, k, cin, cout], { kind: 'heNormal', fanIn: cout * k * k });
}

/** conv2d with PyTorch-style symmetric zero padding. x [B,H,W,Cin], w [k,k,Cin,Cout] → [B,H',W',Cout]. */
function conv(x: tf.Tensor4D, w: tf.Variable, stride: number, pad: number): tf.Tensor4D {
  const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
  return tf.conv2d(padded, w as tf.Tensor4D, stride, 'valid');
}

class Bottleneck {
  readonly conv1: tf.Variable;
  readonly bn1: BatchNorm;
  readonly conv2: tf.Variable;
  readonly bn2: BatchNorm;
  readonly conv3: tf.Variable;
  readonly bn3: BatchNorm;
  readonly downsample: { conv: tf.Variable; bn: BatchNorm } | null;

  constructor(params: ParameterSet, cin: number, width: number, readonly stride: number, bn: { eps: number; momentum: number }) {
    const cout = width * 4;
    this.conv1 = createConv(params, 'conv1.weight', 1, cin, width);
    this.bn1 = new BatchNorm(params, 'bn1', width, bn);
    this.conv2 = createConv(params, 'conv2.weight', 3, width, width);
    this.bn2 = new BatchNorm(params, 'bn2', width, bn);
    this.conv3 = createConv(params, 'conv3.weight', 1, width, cout);
    this.bn3 = new BatchNorm(params, 'bn3', cout, bn);
    this.downsample = stride !== 1 || cin !== cout ? { conv: createConv(params, 'downsample.0.weight', 1, cin, cout), bn: new BatchNorm(params, 'downsample.1', cout, bn) } : null;
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy('bottleneck', () => {
      const o = { training };
      let h = relu(this.bn1.forward(conv(x, this.conv1, 1, 0), o)) as tf.Tensor4D;
      h = relu(this.bn2.forward(conv(h, this.conv2, this.stride, 1), o)) as tf.Tensor4D;
      h = this.bn3.forward(conv(h, this.conv3, 1, 0), o) as tf.Tensor4D;
      const identity = this.downsample ? this.downsample.bn.forward(conv(x, this.downsample.conv, this.stride, 0), o) : x;
      return relu(tf.add(h, identity)) as tf.Tensor4D;
    });
  }
}

/**
 * Stem (7×7/2 conv, BatchNorm, ReLU, optional 3×3/2 max-pool) and the first
 * `blocks.length` bottleneck stages, under torchvision's names (`conv1`, `bn1`,
 * `layerS.I.*`) in the given `ParameterSet` view. Shared by the ResNet encoder
 * (four stages) and the hybrid ViT's stem (ViT-R: the first stages, then
 * transformer blocks on the stage's grid).
 */
export class ResNetTrunk {
  readonly conv1: tf.Variable;
  readonly bn1: BatchNorm;
  readonly layers: Bottleneck[][];
  /** Output channels of the last stage. */
  readonly outChannels: number;

  constructor(params: ParameterSet, readonly config: ResNetTrunkConfig) {
    const c = config;
    if (c.blocks.length < 1 || c.blocks.length > 4 || !c.blocks.every((n) => Number.isInteger(n) && n > 0)) {
      throw new Error(`ResNetTrunk: blocks must be 1 to 4 positive integers, got [${c.blocks}]`);
    }
    const bn = { eps: c.bnEps, momentum: c.bnMomentum };
    this.conv1 = createConv(params, 'conv1.weight', 7, c.inChannels, c.baseWidth);
    this.bn1 = new BatchNorm(params, 'bn1', c.baseWidth, bn);
    let cin = c.baseWidth;
    this.layers = c.blocks.map((count, s) => {
      const width = c.baseWidth * 2 ** s;
      return Array.from({ length: count }, (_, i) => {
        const block = new Bottleneck(params.child(`layer${s + 1}.${i}`), cin, width, i === 0 && s > 0 ? 2 : 1, bn);
        cin = resnetStageChannels(c, s);
        return block;
      });
    });
    this.outChannels = cin;
  }

  /**
   * @param images [B, H, W, inChannels]
   * @returns each stage's map, NHWC (stage s: stride 2^(s+1) or 2^(s+2) with the pool)
   */
  forward(images: tf.Tensor4D, training: boolean): tf.Tensor4D[] {
    if (images.rank !== 4 || images.shape[3] !== this.config.inChannels) {
      throw new Error(`ResNetTrunk: expected images [B, H, W, ${this.config.inChannels}], got [${images.shape}]`);
    }
    return tf.tidy('resnetTrunk', () => {
      let x = relu(this.bn1.forward(conv(images, this.conv1, 2, 3), { training })) as tf.Tensor4D;
      // Max-pool 3×3/2 pad 1: zero padding is exact after ReLU (values ≥ 0).
      if (this.config.stemPool) x = tf.maxPool(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 2, 'valid');
      const out: tf.Tensor4D[] = [];
      for (const stage of this.layers) {
        for (const block of stage) x = block.forward(x, training);
        out.push(x);
      }
      return out;
    });
  }
}

/** Bottleneck ResNet; owns its parameters inside a `ParameterSet` view. */
export class ResNet {
  readonly kind = 'resnet';
  readonly config: ResNetConfig;
  readonly params: ParameterSet;
  readonly trunk: ResNetTrunk;

  /**
   * @param params where the weights live (e.g. `root.child('image')`)
   * @param config overrides of `resolveResNetConfig`
   */
  constructor(params: ParameterSet, config: ResNetConfigInput = {}) {
    this.config = resolveResNetConfig(config);
    this.params = params;
    this.trunk = new ResNetTrunk(params, this.config);
  }

  /**
   * @param images [B, H, W, inChannels], H and W multiples of 32 for exact stage sizes
   * @returns stage maps layer1..layer4 (NHWC) and pooled [B, C4]
   */
  forward(images: tf.Tensor4D, options: ResNetForwardOptions): ResNetOutput {
    const maps = tf.tidy('resnetForward', () => {
      const out = this.trunk.forward(images, options.training);
      return [...out, tf.mean(out[3]!, [1, 2]) as tf.Tensor2D];
    });
    const [layer1, layer2, layer3, layer4, pooled] = maps as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor2D];
    return { stages: { layer1, layer2, layer3, layer4 }, pooled };
  }

  /**
   * The shared encoder output: global = the average-pooled layer4 [B, C4];
   * local = layer4 as g·g tokens in raster order (an NHWC reshape: token
   * y·g + x is cell (y, x)) [B, g·g, C4]; localMask all ones.
   */
  encode(images: tf.Tensor4D, options: ResNetForwardOptions): EncoderOutput {
    return tf.tidy(() => {
      const { stages, pooled } = this.forward(images, options);
      const [b, g, w, c] = stages.layer4.shape;
      return { global: pooled, local: tf.reshape(stages.layer4, [b, g * w, c]) as tf.Tensor3D, localMask: tf.ones([b, g * w]) as tf.Tensor2D };
    });
  }

  /** Disposes this encoder's parameters. */
  dispose(): void {
    this.params.dispose();
  }
}
