import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { createEncoder, encoderPreset, listEncoders, type EncoderName } from '../../lib/models/registry.ts';
import { BertEncoder } from '../../lib/models/bert.ts';
import { ResNet } from '../../lib/models/resnet.ts';
import { VisionTransformer } from '../../lib/models/vit.ts';
import { resolveViTConfig } from '../../lib/configs/vit.ts';
import { resolveBertConfig } from '../../lib/configs/bert.ts';

test.before(async () => {
  await nativeBackend();
});

/** Paper-size presets are built with reduced depth (and vocab) to keep the smoke test fast. */
const SHRINK: Partial<Record<EncoderName, Record<string, unknown>>> = {
  'vit-small': { depth: 1 },
  'vit-paper': { depth: 1 },
  'bert-paper': { layers: 1, vocabSize: 1000 },
  'bert-tiny': { vocabSize: 1000 },
  resnet50: { blocks: [1, 1, 1, 1] },
};

for (const name of listEncoders()) {
  test(`${name}: builds, forwards a tiny batch, returns the documented shapes`, (t) => {
    const preset = encoderPreset(name);
    t.deepEqual(JSON.parse(JSON.stringify(preset)), preset); // presets round-trip through JSON
    const params = new ParameterSet(7);
    const encoder = createEncoder(name, params.child('enc'), (SHRINK[name] ?? {}) as never);
    const run = () => tf.tidy(() => {
      if (encoder instanceof VisionTransformer) {
        const s = encoder.config.imageSize;
        const x = tf.randomUniform([1, s, s, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
        const out = encoder.forward({ frontal: x, lateral: x, lateralPresent: [0] });
        const n = (s / encoder.config.patchSize) ** 2;
        t.deepEqual([out.global.shape, out.local.shape, out.localMask.shape], [[1, encoder.config.width], [1, 2 * n, encoder.config.width], [1, 2 * n]]);
      } else if (encoder instanceof BertEncoder) {
        const out = encoder.forward({ inputIds: [2, 5, 6, 3], attentionMask: [1, 1, 1, 1], wordIds: [-1, 0, 0, -1], batchSize: 1, seqLength: 4 });
        t.deepEqual([out.global.shape, out.local.shape], [[1, encoder.config.width], [1, 3, encoder.config.width]]);
      } else if (encoder instanceof ResNet) {
        const out = encoder.forward(tf.zeros([1, 64, 64, 1]) as tf.Tensor4D, { training: false });
        const c4 = encoder.config.baseWidth * 32;
        t.deepEqual([out.stages.layer1.shape, out.stages.layer4.shape, out.pooled.shape], [[1, 16, 16, c4 / 8], [1, 2, 2, c4], [1, c4]]);
      }
    });
    run(); // warm-up: fills the cache of scalar constants
    const before = tf.memory().numTensors;
    run();
    t.is(tf.memory().numTensors, before);
    params.dispose();
  });
}

test('paper presets have the published shapes', (t) => {
  const vit = resolveViTConfig(encoderPreset('vit-paper'));
  t.deepEqual([vit.imageSize, vit.patchSize, vit.width, vit.depth, vit.heads, vit.mlpRatio, vit.layerNormEps], [224, 16, 768, 12, 12, 4, 1e-6]);
  const bert = resolveBertConfig(encoderPreset('bert-paper'));
  t.deepEqual([bert.vocabSize, bert.width, bert.layers, bert.heads, bert.intermediateSize, bert.maxPositions, bert.layerNormEps], [28996, 768, 6, 12, 3072, 512, 1e-12]);
  t.deepEqual(encoderPreset('resnet50').blocks, [3, 4, 6, 3]);
  t.throws(() => resolveViTConfig({ width: 100, heads: 3 }), { message: /divisible/ });
  t.throws(() => resolveViTConfig({ imageSize: 100 }), { message: /multiple of patchSize/ });
  t.throws(() => encoderPreset('nope' as EncoderName), { message: /unknown encoder "nope"/ });
});
