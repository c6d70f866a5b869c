/**
 * The encoder registry: named presets (plain data from lib/configs) and one
 * builder that dispatches on the config's `kind`. Nothing registers itself at
 * import; `listEncoders()` drives the smoke tests.
 */
import { BERT_PAPER, BERT_TINY, type BertConfig, type BertConfigInput } from '../configs/bert.ts';
import { RESNET50, RESNET_TINY, type ResNetConfig, type ResNetConfigInput } from '../configs/resnet.ts';
import { VIT_PAPER, VIT_SMALL, VIT_TINY, type ViTConfig, type ViTConfigInput } from '../configs/vit.ts';
import { BertEncoder } from './bert.ts';
import type { ParameterSet } from './params.ts';
import { ResNet } from './resnet.ts';
import { VisionTransformer } from './vit.ts';

const ENCODER_PRESETS = {
  'vit-tiny': VIT_TINY,
  'vit-small': VIT_SMALL,
  'vit-paper': VIT_PAPER,
  'bert-tiny': BERT_TINY,
  'bert-paper': BERT_PAPER,
  'resnet-tiny': RESNET_TINY,
  resnet50: RESNET50,
} as const;

/** Names of the encoder presets. */
export type EncoderName = keyof typeof ENCODER_PRESETS;
/** Any encoder architecture (discriminated by `kind`). */
export type EncoderConfig = ViTConfig | BertConfig | ResNetConfig;
/** Any encoder. */
export type Encoder = VisionTransformer | BertEncoder | ResNet;

interface ByKind {
  vit: { encoder: VisionTransformer; overrides: ViTConfigInput };
  bert: { encoder: BertEncoder; overrides: BertConfigInput };
  resnet: { encoder: ResNet; overrides: ResNetConfigInput };
}
type KindOf<N extends EncoderName> = (typeof ENCODER_PRESETS)[N]['kind'];

/** Every preset name, in a stable order. */
export function listEncoders(): EncoderName[] {
  return Object.keys(ENCODER_PRESETS) as EncoderName[];
}

/** The preset config of `name` (a copy, JSON-safe). */
export function encoderPreset<N extends EncoderName>(name: N): (typeof ENCODER_PRESETS)[N] {
  const preset = ENCODER_PRESETS[name];
  if (!preset) throw new Error(`unknown encoder "${String(name)}"; known: ${listEncoders().join(', ')}`);
  return JSON.parse(JSON.stringify(preset)) as (typeof ENCODER_PRESETS)[N];
}

/** Builds the encoder a config describes, under `params`. */
export function buildEncoder(config: EncoderConfig, params: ParameterSet): Encoder {
  switch (config.kind) {
    case 'vit':
      return new VisionTransformer(params, config);
    case 'bert':
      return new BertEncoder(params, config);
    case 'resnet':
      return new ResNet(params, config);
  }
}

/**
 * Builds a preset encoder with optional overrides.
 * @example const vit = createEncoder('vit-tiny', new ParameterSet(0).child('image'), { depth: 2 });
 */
export function createEncoder<N extends EncoderName>(name: N, params: ParameterSet, overrides: ByKind[KindOf<N>]['overrides'] = {}): ByKind[KindOf<N>]['encoder'] {
  const preset = encoderPreset(name);
  return buildEncoder({ ...preset, ...overrides, kind: preset.kind } as EncoderConfig, params) as ByKind[KindOf<N>]['encoder'];
}
