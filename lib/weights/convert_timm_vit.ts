/**
 * timm / DeiT `VisionTransformer` weights (and Med-ST MoVE checkpoints) →
 * medst `VisionTransformer` names and layouts.
 *
 * - `cls_token` [1,1,W], `pos_embed` [1,1+n,W] copied (no resampling: the
 *   image and patch size must match the source);
 * - `patch_embed.proj.weight` [W, C, p, p] → HWIO [p, p, inChannels, W]; RGB
 *   weights into a 1-channel model are SUMMED over RGB, so a gray image gives
 *   the tokens the RGB model gives for that image replicated to 3 channels;
 * - `blocks.N.attn.qkv.weight` [3W, W], `attn.proj`, `mlp.fc1`, `mlp.fc2`
 *   transposed to [in, out]; LayerNorms copied; `norm.*` copied;
 * - lateral expert: `blocks.N.norm2_l` / `blocks.N.mlp_l.*` taken from the
 *   source when present (a Med-ST checkpoint), otherwise initialised from the
 *   frontal expert `norm2` / `mlp` (as Med-ST does when starting from a plain ViT).
 * `head.*`, `fc_norm.*` and anything else unknown is reported unused.
 */
import type { ViTConfig } from '../configs/vit.ts';
import type { VisionTransformer } from '../models/vit.ts';
import { importWeights, type ImportReport } from './checkpoint.ts';
import type { Conversion } from './convert_hf_bert.ts';
import { convToHwio, transposeLinear, withPrefix } from './host_ops.ts';
import type { HostTensor } from './safetensors.ts';

const BLOCK_KEY = /^blocks\.(\d+)\.(norm1|norm2|norm2_l|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2|mlp_l\.fc1|mlp_l\.fc2)\.(weight|bias)$/;

/** Maps a timm ViT state dict onto medst names (relative to the encoder). */
export function convertTimmViT(source: Map<string, HostTensor>, config: ViTConfig): Conversion {
  const tensors = new Map<string, HostTensor>();
  const unused: string[] = [];
  for (const [name, t] of source) {
    const block = BLOCK_KEY.exec(name);
    if (block) {
      const [, index, layer, kind] = block as unknown as [string, string, string, string];
      const isLateral = layer.includes('_l');
      if (Number(index) >= config.depth || (isLateral && !config.viewExperts)) {
        unused.push(name);
        continue;
      }
      const isLinearWeight = kind === 'weight' && !layer.startsWith('norm');
      tensors.set(name, isLinearWeight ? transposeLinear(t, name) : t);
    } else if (name === 'cls_token' || name === 'pos_embed' || name === 'patch_embed.proj.bias' || name === 'norm.weight' || name === 'norm.bias') {
      tensors.set(name, t);
    } else if (name === 'patch_embed.proj.weight') {
      tensors.set(name, convToHwio(t, config.inChannels, name));
    } else {
      unused.push(name);
    }
  }
  if (config.viewExperts) {
    for (let i = 0; i < config.depth; i++) {
      for (const [lateral, frontal] of [['norm2_l', 'norm2'], ['mlp_l.fc1', 'mlp.fc1'], ['mlp_l.fc2', 'mlp.fc2']] as const) {
        for (const kind of ['weight', 'bias']) {
          const to = `blocks.${i}.${lateral}.${kind}`;
          const from = tensors.get(`blocks.${i}.${frontal}.${kind}`);
          if (!tensors.has(to) && from) tensors.set(to, { shape: [...from.shape], data: from.data.slice() });
        }
      }
    }
  }
  return { tensors, unused };
}

/**
 * Loads timm ViT (or Med-ST MoVE) weights into an encoder by name.
 * @returns names loaded / missing (kept at init) / unused source keys / shape mismatches
 */
export function importTimmViT(encoder: VisionTransformer, source: Map<string, HostTensor>): ImportReport {
  const { tensors, unused } = convertTimmViT(source, encoder.config);
  const report = importWeights(encoder.params, withPrefix(tensors, encoder.params.prefix));
  return { ...report, unused: [...unused, ...report.unused] };
}
