/** Encoders, projection heads and their layers. */
export * from './params.ts';
export * from './types.ts';
export { VisionTransformer, type ViTInput } from './vit.ts';
export { ViewExpertBlock, type ViewExpertBlockOptions, type ViewTokens } from './view_experts.ts';
export { BertEncoder, type BertInput } from './bert.ts';
export { aggregateWords, buildWordAggregation, type WordAggregation } from './word_aggregation.ts';
export { GlobalProjectionHead, LocalProjectionHead, type HeadForwardOptions } from './heads.ts';
export { ResNet, type ResNetForwardOptions, type ResNetOutput } from './resnet.ts';
export { buildEncoder, createEncoder, encoderPreset, listEncoders, type Encoder, type EncoderConfig, type EncoderName } from './registry.ts';
export { BatchNorm, type BatchNormForwardOptions, type BatchNormOptions } from './layers/batch_norm.ts';
export { gelu } from './layers/activations.ts';
export { createLayerNorm, layerNorm, type LayerNormParams } from './layers/layer_norm.ts';
export { createLinear, linear, type CreateLinearOptions, type LinearParams } from './layers/linear.ts';
export { createMlp, mlp, type MlpParams } from './layers/mlp.ts';
export { MASKED_KEY_BIAS, createAttention, keyBiasFromMask, selfAttention, type AttentionParams } from './layers/attention.ts';
