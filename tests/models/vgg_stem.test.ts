/**
 * The ViT's VGG stem (`stem: 'vgg'`) against PyTorch (tests/fixtures/make_vgg_stem_refs.py):
 * conv–BatchNorm–ReLU stages with max-pools, in train mode (values, running statistics
 * after the step, gradients of the input and every weight) and eval mode; in the ViT its
 * channels follow stemWidth, its BatchNorm follows `training`, gradients reach it, no
 * tensors are left behind, and bad settings fail with the setting's name.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { resolveViTConfig, stemStageChannels, vggStemChannels } from '../../lib/configs/vit.ts';
import { MEDST_PRESETS } from '../../lib/methods/medst.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { VggStem } from '../../lib/models/vgg_stem.ts';
import { VisionTransformer } from '../../lib/models/vit.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { maxRelativeError } from './encoder_fixtures.ts';

interface Packed {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '..', 'fixtures', 'layers', 'vgg_stem.json'), 'utf8')) as {
  channels: number[];
  convsPerStage: number;
  params: Record<string, Packed>;
  stats: Record<string, { running_mean: Packed; running_var: Packed }>;
  statsAfterTrain: Record<string, { running_mean: Packed; running_var: Packed }>;
  x: Packed;
  r: Packed;
  yTrain: Packed;
  yEval: Packed;
  grads: Record<string, Packed>;
};

test.before(async () => {
  await nativeBackend();
});

/** A stem holding the fixture's weights and running statistics. */
function fixtureStem(): { stem: VggStem; params: ParameterSet } {
  const params = new ParameterSet(3);
  const stem = new VggStem(params, { inChannels: 1, stageChannels: fixture.channels, convsPerStage: fixture.convsPerStage });
  for (const [name, v] of Object.entries(fixture.params)) params.get(name).assign(tf.tensor(v.data, v.shape));
  for (const [name, s] of Object.entries(fixture.stats)) {
    params.get(`${name}.bn.running_mean`).assign(tf.tensor1d(s.running_mean.data));
    params.get(`${name}.bn.running_var`).assign(tf.tensor1d(s.running_var.data));
  }
  return { stem, params };
}

test.serial('train mode: values, running statistics and gradients equal PyTorch\'s', (t) => {
  const { stem, params } = fixtureStem();
  const x = tf.variable(tf.tensor(fixture.x.data, fixture.x.shape), true, 'vgg-test-x');
  const r = tf.tensor(fixture.r.data, fixture.r.shape);
  const weights = params.named({ trainableOnly: true });
  // A throwaway stem's step creates the backend's cached constants before counting.
  const warm = fixtureStem();
  for (let i = 0; i < 2; i++) {
    const g = tf.variableGrads(() => tf.sum(tf.mul(warm.stem.forward(x as tf.Tensor4D, true), r)) as tf.Scalar, [x, ...warm.params.named({ trainableOnly: true }).map(([, v]) => v)]);
    tf.dispose([g.value, ...Object.values(g.grads)]);
  }
  warm.params.dispose();
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(stem.forward(x as tf.Tensor4D, true), r)) as tf.Scalar, [x, ...weights.map(([, v]) => v)]);
  t.true(maxRelativeError(grads[x.name]!.dataSync(), fixture.grads['x']!.data) < 1e-4, 'dx');
  t.is(weights.length, Object.keys(fixture.grads).length - 1, 'every weight has a reference');
  for (const [name, v] of weights) t.true(maxRelativeError(grads[v.name]!.dataSync(), fixture.grads[name]!.data) < 1e-4, name);
  for (const [name, s] of Object.entries(fixture.statsAfterTrain)) {
    t.true(maxRelativeError(params.get(`${name}.bn.running_mean`).dataSync(), s.running_mean.data) < 1e-5, `${name} running mean`);
    t.true(maxRelativeError(params.get(`${name}.bn.running_var`).dataSync(), s.running_var.data) < 1e-5, `${name} running var`);
  }
  tf.dispose([value, ...Object.values(grads)]);
  t.is(tf.memory().numTensors, before, 'no tensors left behind');
  // The values of a second train-mode pass are the same function of the batch (batch statistics).
  const y = stem.forward(x as tf.Tensor4D, true);
  t.deepEqual(y.shape, fixture.yTrain.shape);
  t.true(maxRelativeError(y.dataSync(), fixture.yTrain.data) < 1e-5, 'values');
  tf.dispose([x, r, y]);
  params.dispose();
});

test.serial('eval mode reads the running statistics: values equal PyTorch\'s, which differ from train mode', (t) => {
  const { stem, params } = fixtureStem();
  const x = tf.tensor4d(fixture.x.data, fixture.x.shape as [number, number, number, number]);
  const y = stem.forward(x, false);
  t.true(maxRelativeError(y.dataSync(), fixture.yEval.data) < 1e-5);
  t.true(maxRelativeError(fixture.yEval.data, fixture.yTrain.data) > 1e-2, 'the two modes differ on this input');
  tf.dispose([x, y]);
  params.dispose();
});

test.serial('in the ViT: stage channels stemWidth·2^s, an 8×8 grid at patch 8, BatchNorm mode from `training`, gradients reach the stem', (t) => {
  const config = { imageSize: 32, patchSize: 8, width: 16, depth: 1, heads: 2, stem: 'vgg' as const, stemWidth: 4, stemConvsPerStage: 2 };
  t.deepEqual(vggStemChannels(resolveViTConfig(config)), [4, 8, 16]);
  const vit = new VisionTransformer(new ParameterSet(4).child('image'), config);
  t.is(vit.numPatches, 16);
  t.true(vit.params.named().some(([n]) => n === 'image.patch_embed.vgg.2_1.bn.running_var'));
  const images = tf.randomNormal([3, 32, 32, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
  const stemVars = vit.vgg!.convs.map((c) => c.weight);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(vit.forward({ frontal: images, training: true }).global)) as tf.Scalar, stemVars);
  for (const v of stemVars) t.true(tf.norm(grads[v.name]!).dataSync()[0]! > 0, v.name);
  // Train mode normalises by the batch, eval mode by the (now updated) running statistics.
  const [train, evaluated] = tf.tidy(() => [vit.embedPatches(images, true), vit.embedPatches(images, false)]);
  t.true(tf.max(tf.abs(tf.sub(train!, evaluated!))).dataSync()[0]! > 1e-3);
  tf.dispose([value, images, train!, evaluated!, ...Object.values(grads)]);
  vit.dispose();
});

test('stemStageChannels: the stage widths the PyTorch benches mirror, per stem; the cpu preset runs VGG 16/32/64', (t) => {
  const shape = { imageSize: 32, patchSize: 8, width: 64, depth: 1, heads: 2, stemWidth: 4 };
  t.deepEqual(stemStageChannels(resolveViTConfig({ ...shape, stem: 'vgg' })), [4, 8, 16]);
  t.deepEqual(stemStageChannels(resolveViTConfig({ ...shape, stem: 'conv' })), [8, 16, 32]);
  t.deepEqual(stemStageChannels(resolveViTConfig({ ...shape, stem: 'patch' })), []);
  const cpu = resolveViTConfig(MEDST_PRESETS.cpu.vision);
  t.is(cpu.stem, 'vgg');
  t.deepEqual(stemStageChannels(cpu), [16, 32, 64]);
});

test('the VGG stem needs a power-of-two patch', (t) => {
  t.throws(() => resolveViTConfig({ imageSize: 36, patchSize: 6, stem: 'vgg' }), { message: /the vgg stem needs a power-of-two patchSize ≥ 2, got 6/ });
  t.throws(() => resolveViTConfig({ stem: 'vgg', stemWidth: 0 }), { message: /stemWidth must be a positive integer, got 0/ });
});
