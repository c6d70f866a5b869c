/**
 * Hugging Face `BertModel` weights → medst `BertEncoder` names and layouts.
 *
 * - `embeddings.{word,position,token_type}_embeddings.weight` copied
 *   (position rows beyond the model's `maxPositions` are dropped);
 * - `embeddings.LayerNorm.{weight,bias}` (or old `gamma`/`beta`) → `embeddings.norm.*`;
 * - `encoder.layer.N.attention.self.{query,key,value}` → one fused
 *   `layers.N.attn.qkv` [W, 3W] (each transposed from PyTorch [out, in]);
 * - `attention.output.dense` → `attn.proj`, `attention.output.LayerNorm` → `norm1`,
 *   `intermediate.dense` → `mlp.fc1`, `output.dense` → `mlp.fc2`, `output.LayerNorm` → `norm2`.
 * Layers at or past the model's `layers` (Med-ST keeps 6 of 12), the pooler
 * and `position_ids` are reported unused. A leading `bert.` is stripped.
 */
import type { BertConfig } from '../configs/bert.ts';
import type { BertEncoder } from '../models/bert.ts';
import { importWeights, type ImportReport } from './checkpoint.ts';
import { concatLastAxis, floatData, transposeLinear, withPrefix } from './host_ops.ts';
import type { HostTensor } from './safetensors.ts';

/** Converted tensors plus the source names that map to nothing. */
export interface Conversion {
  tensors: Map<string, HostTensor>;
  unused: string[];
}

const LAYER_RULES: ReadonlyArray<[string, string, 'linear' | 'copy']> = [
  ['attention.output.dense.weight', 'attn.proj.weight', 'linear'],
  ['attention.output.dense.bias', 'attn.proj.bias', 'copy'],
  ['attention.output.LayerNorm.weight', 'norm1.weight', 'copy'],
  ['attention.output.LayerNorm.bias', 'norm1.bias', 'copy'],
  ['intermediate.dense.weight', 'mlp.fc1.weight', 'linear'],
  ['intermediate.dense.bias', 'mlp.fc1.bias', 'copy'],
  ['output.dense.weight', 'mlp.fc2.weight', 'linear'],
  ['output.dense.bias', 'mlp.fc2.bias', 'copy'],
  ['output.LayerNorm.weight', 'norm2.weight', 'copy'],
  ['output.LayerNorm.bias', 'norm2.bias', 'copy'],
];

function normName(name: string): string {
  return name.replace(/^bert\./, '').replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
}

/** Maps a HF BertModel state dict onto medst names (relative to the encoder). */
export function convertHfBert(source: Map<string, HostTensor>, config: BertConfig): Conversion {
  const src = new Map([...source].map(([k, v]) => [normName(k), v]));
  const originalName = new Map([...source.keys()].map((k) => [normName(k), k]));
  const used = new Set<string>();
  const tensors = new Map<string, HostTensor>();
  const take = (name: string): HostTensor | undefined => {
    const t = src.get(name);
    if (t) used.add(name);
    return t;
  };
  for (const kind of ['word', 'position', 'token_type']) {
    const t = take(`embeddings.${kind}_embeddings.weight`);
    if (!t) continue;
    if (kind === 'position' && t.shape.length === 2 && (t.shape[0] as number) > config.maxPositions) {
      const w = t.shape[1] as number;
      tensors.set(`embeddings.${kind}_embeddings.weight`, { shape: [config.maxPositions, w], data: floatData(t).slice(0, config.maxPositions * w) });
    } else {
      tensors.set(`embeddings.${kind}_embeddings.weight`, t);
    }
  }
  for (const p of ['weight', 'bias']) {
    const t = take(`embeddings.LayerNorm.${p}`);
    if (t) tensors.set(`embeddings.norm.${p}`, t);
  }
  for (let i = 0; i < config.layers; i++) {
    const hf = `encoder.layer.${i}`;
    const qkvW = ['query', 'key', 'value'].map((n) => take(`${hf}.attention.self.${n}.weight`));
    if (qkvW.every((t) => t)) {
      tensors.set(`layers.${i}.attn.qkv.weight`, concatLastAxis(qkvW.map((t, j) => transposeLinear(t as HostTensor, `${hf}.qkv[${j}]`)), `${hf}.qkv`));
    }
    const qkvB = ['query', 'key', 'value'].map((n) => take(`${hf}.attention.self.${n}.bias`));
    if (qkvB.every((t) => t)) tensors.set(`layers.${i}.attn.qkv.bias`, concatLastAxis(qkvB as HostTensor[], `${hf}.qkv.bias`));
    for (const [from, to, how] of LAYER_RULES) {
      const t = take(`${hf}.${from}`);
      if (t) tensors.set(`layers.${i}.${to}`, how === 'linear' ? transposeLinear(t, `${hf}.${from}`) : t);
    }
  }
  const unused = [...src.keys()].filter((k) => !used.has(k)).map((k) => originalName.get(k) as string);
  return { tensors, unused };
}

/**
 * Loads HF BertModel weights into an encoder by name.
 * @returns names loaded / missing (kept at init) / unused source keys / shape mismatches
 */
export function importHfBert(encoder: BertEncoder, source: Map<string, HostTensor>): ImportReport {
  const { tensors, unused } = convertHfBert(source, encoder.config);
  const report = importWeights(encoder.params, withPrefix(tensors, encoder.params.prefix));
  return { ...report, unused: [...unused, ...report.unused] };
}
