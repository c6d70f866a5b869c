/** Typed architecture presets and their resolvers. */
export * from './vit.ts';
export * from './bert.ts';
export * from './heads.ts';
export * from './resnet.ts';
