/**
 * torchvision ResNet weights → medst `ResNet`: same names; conv weights
 * OIHW → HWIO (an RGB stem into a 1-channel model is summed over RGB);
 * `num_batches_tracked` (int64) becomes float; `fc.*` is reported unused.
 */
import type { ResNetConfig } from '../configs/resnet.ts';
import type { ResNet } from '../models/resnet.ts';
import { importWeights, type ImportReport } from './checkpoint.ts';
import type { Conversion } from './convert_hf_bert.ts';
import { convToHwio, floatData, withPrefix } from './host_ops.ts';
import type { HostTensor } from './safetensors.ts';

const KNOWN = /^(conv1\.weight|bn1\.\w+|layer[1-4]\.\d+\.(conv[1-3]\.weight|bn[1-3]\.\w+|downsample\.[01]\.\w+))$/;

/** Maps a torchvision ResNet state dict onto medst names (relative to the encoder). */
export function convertTorchvisionResNet(source: Map<string, HostTensor>, config: ResNetConfig): Conversion {
  const tensors = new Map<string, HostTensor>();
  const unused: string[] = [];
  for (const [name, t] of source) {
    if (!KNOWN.test(name)) {
      unused.push(name);
    } else if (t.shape.length === 4) {
      tensors.set(name, convToHwio(t, name === 'conv1.weight' ? config.inChannels : (t.shape[1] as number), name));
    } else {
      tensors.set(name, { shape: [...t.shape], data: floatData(t) });
    }
  }
  return { tensors, unused };
}

/** Loads torchvision ResNet weights into an encoder by name; returns the import report. */
export function importTorchvisionResNet(encoder: ResNet, source: Map<string, HostTensor>): ImportReport {
  const { tensors, unused } = convertTorchvisionResNet(source, encoder.config);
  const report = importWeights(encoder.params, withPrefix(tensors, encoder.params.prefix));
  return { ...report, unused: [...unused, ...report.unused] };
}
