/**
 * The ViT's ResNet stem (`stem: 'resnet'`, the ViT-R hybrid): its tokens are
 * a ResNet's stage map at a stride of patchSize through the 1×1 projection
 * (checked against the ResNet encoder itself, with the same weights), its
 * BatchNorm follows `training`, gradients reach it, and bad settings fail.
 */
import test from 'ava';
import { resnetStemTrunk, resolveViTConfig } from '../../lib/configs/vit.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { ResNet } from '../../lib/models/resnet.ts';
import { VisionTransformer } from '../../lib/models/vit.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';

test.before(async () => {
  await nativeBackend();
});

const config = { imageSize: 32, patchSize: 8, width: 32, depth: 1, heads: 2, stem: 'resnet' as const, stemWidth: 4 };

test('patch 8 uses three stages without the stem pool, patch 16 pools first (ViT-R50/16)', (t) => {
  t.deepEqual(resnetStemTrunk(resolveViTConfig(config)), { blocks: [1, 1, 1], baseWidth: 4, inChannels: 1, stemPool: false, bnEps: 1e-5, bnMomentum: 0.1 });
  const p16 = resnetStemTrunk(resolveViTConfig({ ...config, patchSize: 16, stemConvsPerStage: 2 }));
  t.deepEqual([p16.blocks, p16.stemPool], [[2, 2, 2], true]);
  t.deepEqual(resnetStemTrunk(resolveViTConfig({ ...config, patchSize: 2 })).blocks, [1]);
  t.throws(() => resolveViTConfig({ ...config, patchSize: 64, imageSize: 64 }), { message: /ResNet stem needs a power-of-two patchSize from 2 to 32, got 64/ });
  t.throws(() => resolveViTConfig({ ...config, stemWidth: 0 }), { message: /stemWidth must be a positive integer, got 0/ });
  t.throws(() => resolveViTConfig({ ...config, stem: 'res' as never }), { message: /stem must be one of "patch", "conv", "resnet", "vgg", got "res"/ });
});

test('ResNet-stem tokens are the ResNet encoder\'s layer3 (same weights) through the 1×1 projection, in raster order', (t) => {
  const vit = new VisionTransformer(new ParameterSet(5).child('image'), config);
  const resnet = new ResNet(new ParameterSet(9), { blocks: [1, 1, 1, 1], baseWidth: 4, imageSize: 32, stemPool: false });
  // Copy the ResNet's weights (and non-trivial BN statistics) into the stem under its names.
  const stemNames = vit.params.named().map(([n]) => n).filter((n) => n.startsWith('image.patch_embed.backbone.'));
  t.true(stemNames.includes('image.patch_embed.backbone.layer3.0.conv3.weight'));
  t.false(stemNames.some((n) => n.includes('layer4')));
  for (const name of stemNames) {
    const source = resnet.params.get(name.slice('image.patch_embed.backbone.'.length));
    const values = name.endsWith('running_var') ? tf.add(tf.abs(tf.randomNormal(source.shape, 0, 0.3, 'float32', 4)), 0.5) : name.endsWith('running_mean') || name.endsWith('.bias') ? tf.randomNormal(source.shape, 0, 0.2, 'float32', 6) : tf.clone(source);
    source.assign(values);
    vit.params.get(name.slice('image.'.length)).assign(values);
    values.dispose();
  }
  vit.patchBias.assign(tf.linspace(-0.3, 0.3, 32));
  const images = tf.randomUniform([2, 32, 32, 1], -1, 1, 'float32', 3) as tf.Tensor4D;
  for (const training of [false, true]) {
    const tokens = tf.tidy(() => vit.embedPatches(images, training).arraySync() as number[][][]);
    const layer3 = tf.tidy(() => resnet.forward(images, { training }).stages.layer3.arraySync() as number[][][][]); // [2, 4, 4, 64]
    const proj = vit.patchWeight.arraySync() as number[][][][]; // [1, 1, 64, 32]
    const bias = vit.patchBias.arraySync() as number[];
    let worst = 0;
    for (let b = 0; b < 2; b++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) for (let o = 0; o < 32; o++) {
      let s = bias[o]!;
      for (let c = 0; c < 64; c++) s += layer3[b]![y]![x]![c]! * proj[0]![0]![c]![o]!;
      worst = Math.max(worst, Math.abs(s - tokens[b]![y * 4 + x]![o]!));
    }
    t.true(worst < 1e-4, `training ${training}: max |Δ| ${worst}`);
  }
  images.dispose();
  vit.dispose();
  resnet.dispose();
});

test('the stem\'s BatchNorm follows training: batch statistics and a running update in training, running statistics otherwise; gradients reach it; no leaks', (t) => {
  const vit = new VisionTransformer(new ParameterSet(7).child('image'), { ...config, viewExperts: true });
  const frontal = tf.randomUniform([3, 32, 32, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const lateral = tf.randomUniform([3, 32, 32, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
  const runningMean = vit.params.get('patch_embed.backbone.bn1.running_mean');
  const evalOut = tf.tidy(() => Array.from(vit.forward({ frontal }).global.dataSync()));
  t.deepEqual(Array.from(runningMean.dataSync()), new Array<number>(4).fill(0), 'eval mode leaves the running statistics alone');
  t.deepEqual(tf.tidy(() => Array.from(vit.forward({ frontal, training: false }).global.dataSync())), evalOut);
  const trainOut = tf.tidy(() => Array.from(vit.forward({ frontal, lateral, training: true }).global.dataSync())); // also creates the running update's cached constants
  t.true(runningMean.dataSync().some((v) => v !== 0), 'training mode updates them');
  t.notDeepEqual(trainOut, evalOut, 'batch statistics are not the initial running ones');
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    vit.forward({ frontal });
    vit.forward({ frontal, lateral, training: true });
  });
  t.is(tf.memory().numTensors, before, 'eval and training passes leave nothing behind');
  const stem = vit.params.named({ trainableOnly: true }).filter(([name]) => name.includes('backbone'));
  t.true(stem.length > 10);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(vit.forward({ frontal, lateral, training: true }).global)) as tf.Scalar, stem.map(([, v]) => v));
  stem.forEach(([name, v]) => t.true(tf.tidy(() => tf.sum(tf.abs(grads[v.name]!)).dataSync()[0]!) > 0, `no gradient reaches ${name}`));
  tf.dispose([value, ...Object.values(grads), frontal, lateral]);
  vit.dispose();
});
