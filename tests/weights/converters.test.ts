import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { convertHfBert } from '../../lib/weights/convert_hf_bert.ts';
import { convertTimmViT } from '../../lib/weights/convert_timm_vit.ts';
import { concatLastAxis, convToHwio, transposeLinear } from '../../lib/weights/host_ops.ts';
import { resolveBertConfig } from '../../lib/configs/bert.ts';
import { resolveViTConfig } from '../../lib/configs/vit.ts';

test.before(async () => {
  await nativeBackend();
});

const t2 = (shape: number[], values: number[]) => ({ shape, data: Float32Array.from(values) });

test('layout helpers: Linear transpose, concat, RGB-summed conv to HWIO', (t) => {
  t.deepEqual(Array.from(transposeLinear(t2([2, 3], [1, 2, 3, 4, 5, 6]), 'w').data), [1, 4, 2, 5, 3, 6]);
  const cat = concatLastAxis([t2([2, 1], [1, 2]), t2([2, 2], [3, 4, 5, 6])], 'c');
  t.deepEqual([cat.shape, Array.from(cat.data)], [[2, 3], [1, 3, 4, 2, 5, 6]]);
  // [Out=1, In=3, 1, 2] → [1, 2, 1, 1] summed over RGB.
  const conv = convToHwio(t2([1, 3, 1, 2], [1, 2, 10, 20, 100, 200]), 1, 'p');
  t.deepEqual([conv.shape, Array.from(conv.data)], [[1, 2, 1, 1], [111, 222]]);
  // The summed filter on a gray image = the RGB filter on the image replicated to 3 channels.
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const rgb = tf.randomNormal([4, 3, 2, 2], 0, 1, 'float32', 1);
    const gray = tf.randomNormal([1, 2, 2, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const hwio3 = convToHwio({ shape: [4, 3, 2, 2], data: rgb.dataSync() as Float32Array }, 3, 'p');
    const hwio1 = convToHwio({ shape: [4, 3, 2, 2], data: rgb.dataSync() as Float32Array }, 1, 'p');
    const a = tf.conv2d(tf.tile(gray, [1, 1, 1, 3]) as tf.Tensor4D, tf.tensor4d(hwio3.data, [2, 2, 3, 4]), 2, 'valid').dataSync();
    const b = tf.conv2d(gray, tf.tensor4d(hwio1.data, [2, 2, 1, 4]), 2, 'valid').dataSync();
    for (let i = 0; i < 4; i++) t.true(Math.abs((a[i] as number) - (b[i] as number)) < 1e-5);
  });
  t.is(tf.memory().numTensors, before);
  t.throws(() => convToHwio(t2([1, 3, 1, 1], [1, 2, 3]), 2, 'p'), { message: /cannot map 3 input channels to 2/ });
});

test('HF BERT names: fused qkv, bert. prefix stripped, pooler unused', (t) => {
  const w = 2;
  const lin = (v: number) => t2([w, w], [v, v + 1, v + 2, v + 3]);
  const source = new Map([
    ['bert.embeddings.LayerNorm.gamma', t2([w], [1, 1])],
    ['bert.encoder.layer.0.attention.self.query.weight', lin(0)],
    ['bert.encoder.layer.0.attention.self.key.weight', lin(10)],
    ['bert.encoder.layer.0.attention.self.value.weight', lin(20)],
    ['bert.pooler.dense.weight', lin(0)],
    ['cls.predictions.bias', t2([3], [0, 0, 0])],
  ]);
  const { tensors, unused } = convertHfBert(source, resolveBertConfig({ width: 2, heads: 1, layers: 1 }));
  t.deepEqual(unused.sort(), ['bert.pooler.dense.weight', 'cls.predictions.bias']);
  t.true(tensors.has('embeddings.norm.weight'));
  const qkv = tensors.get('layers.0.attn.qkv.weight')!;
  t.deepEqual(qkv.shape, [2, 6]);
  t.deepEqual(Array.from(qkv.data), [0, 2, 10, 12, 20, 22, 1, 3, 11, 13, 21, 23]);
});

test('timm ViT names: lateral expert copied from the frontal one, extra blocks unused, plain ViT without experts', (t) => {
  const source = new Map([
    ['blocks.0.norm2.weight', t2([2], [3, 4])],
    ['blocks.0.mlp.fc1.weight', t2([1, 2], [5, 6])],
    ['blocks.0.mlp.fc1.bias', t2([1], [7])],
    ['blocks.3.norm1.weight', t2([2], [1, 1])],
    ['head.weight', t2([1, 2], [0, 0])],
  ]);
  const withExperts = convertTimmViT(source, resolveViTConfig({ depth: 1, width: 2, heads: 1, mlpRatio: 0.5 }));
  t.deepEqual(withExperts.unused.sort(), ['blocks.3.norm1.weight', 'head.weight']);
  t.deepEqual(Array.from(withExperts.tensors.get('blocks.0.norm2_l.weight')!.data), [3, 4]);
  t.deepEqual(withExperts.tensors.get('blocks.0.mlp_l.fc1.weight')!.shape, [2, 1]);
  const plain = convertTimmViT(source, resolveViTConfig({ depth: 1, width: 2, heads: 1, mlpRatio: 0.5, viewExperts: false }));
  t.false(plain.tensors.has('blocks.0.norm2_l.weight'));
});
