import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { ResNet } from '../../lib/models/resnet.ts';
import { importTorchvisionResNet } from '../../lib/weights/convert_torchvision_resnet.ts';
import { loadJson, loadWeights, maxRelativeError } from './encoder_fixtures.ts';

test.before(async () => {
  await nativeBackend();
});

interface ResNetFixture {
  config: { blocks: [number, number, number, number]; baseWidth: number; inChannels: number };
  images: number[];
  imageShape: [number, number, number, number];
  stages: Record<'layer1' | 'layer2' | 'layer3' | 'layer4', { shape: number[]; values: number[] }>;
  pooled: number[];
}

test('eval-mode stage maps equal torchvision Bottleneck ResNet (F16 weights read from safetensors)', async (t) => {
  const fx = loadJson<ResNetFixture>('resnet_tiny.json');
  const net = new ResNet(new ParameterSet(1).child('image'), fx.config);
  const report = importTorchvisionResNet(net, await loadWeights('resnet_tiny.safetensors'));
  t.deepEqual([report.missing, report.mismatched], [[], []]);
  const images = tf.tensor4d(fx.images, fx.imageShape);
  const out = net.forward(images, { training: false });
  const errors: string[] = [];
  let worst = 0;
  for (const name of ['layer1', 'layer2', 'layer3', 'layer4'] as const) {
    t.deepEqual(out.stages[name].shape, fx.stages[name].shape);
    const e = maxRelativeError(out.stages[name].dataSync(), fx.stages[name].values);
    errors.push(`${name} ${e.toExponential(2)}`);
    worst = Math.max(worst, e);
  }
  worst = Math.max(worst, maxRelativeError(out.pooled.dataSync(), fx.pooled));
  t.log(`ResNet parity: ${errors.join(', ')} (max relative)`);
  t.true(worst < 1e-4);
  tf.dispose([images, out.pooled, ...Object.values(out.stages)]);
  net.dispose();
});

test('ResNet-50 shapes at 64 px, train mode updates BN statistics, gradients finite, no leaks', (t) => {
  const net = new ResNet(new ParameterSet(2), { blocks: [1, 1, 1, 1], baseWidth: 8 });
  const x = tf.randomUniform([2, 64, 64, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
  t.throws(() => net.forward(tf.zeros([2, 64, 64, 3]) as tf.Tensor4D, { training: false }), { message: /\[2,64,64,3\]/ });
  tf.tidy(() => net.forward(x, { training: false }).pooled); // warm-up (cached scalar constants)
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    net.forward(x, { training: false });
  });
  t.is(tf.memory().numTensors, before);
  const { value, grads } = tf.variableGrads(() => tf.sum(net.forward(x, { training: true }).pooled) as tf.Scalar, net.params.trainable());
  t.not(net.trunk.bn1.runningMean.dataSync()[0], 0);
  for (const g of Object.values(grads)) t.is(tf.all(tf.isFinite(g)).dataSync()[0], 1);
  tf.dispose([value, ...Object.values(grads), x]);
  net.dispose();
});

test('encode gives the shared encoder output: pooled global, layer4 as raster-order tokens, an all-ones mask', (t) => {
  const params = new ParameterSet(2);
  const net = new ResNet(params, { blocks: [1, 1, 1, 1], baseWidth: 4, imageSize: 64, stemPool: false });
  tf.tidy(() => {
    const images = tf.randomUniform([2, 64, 64, 1], -1, 1, 'float32', 3) as tf.Tensor4D;
    const maps = net.forward(images, { training: false });
    const out = net.encode(images, { training: false });
    t.deepEqual(maps.stages.layer4.shape, [2, 4, 4, 128], 'no stem pool: stride 16; 4·2³·4 channels');
    t.deepEqual(out.local.shape, [2, 16, 128]);
    t.deepEqual(Array.from(out.global.dataSync()), Array.from(maps.pooled.dataSync()));
    const cells = maps.stages.layer4.arraySync() as number[][][][];
    const tokens = out.local.arraySync() as number[][][];
    for (const [y, x] of [[0, 3], [3, 0], [2, 1]]) t.deepEqual(tokens[1]![y! * 4 + x!], cells[1]![y!]![x!]);
    t.true(Array.from(out.localMask.dataSync()).every((v) => v === 1));
  });
  params.dispose();
});
