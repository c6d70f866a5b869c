/** safetensors I/O, checkpoints and foreign-weight converters. */
export * from './safetensors.ts';
export * from './checkpoint.ts';
export { convertHfBert, importHfBert, type Conversion } from './convert_hf_bert.ts';
export { convertTimmViT, importTimmViT } from './convert_timm_vit.ts';
export { convertTorchvisionResNet, importTorchvisionResNet } from './convert_torchvision_resnet.ts';
export { concatLastAxis, convToHwio, floatData, transposeLinear, withPrefix } from './host_ops.ts';
