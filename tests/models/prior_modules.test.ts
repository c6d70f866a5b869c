/**
 * PRIOR's modules against PyTorch (tests/fixtures/make_prior_refs.py): CLIP's
 * attention pooling with a token mask (F.multi_head_attention_forward), the
 * image reconstruction decoder in training mode (Upsample + Conv2d +
 * BatchNorm2d, running statistics included) and the non-autoregressive report
 * decoder (nn.TransformerDecoderLayer, post-norm, no causal mask); outputs and
 * input gradients, with the reference's weights loaded by name.
 */
import test, { type ExecutionContext } from 'ava';
import { attentionPool, createAttentionPool } from '../../lib/models/attention_pool.ts';
import { ImageDecoder } from '../../lib/models/image_decoder.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { SentenceDecoder } from '../../lib/models/sentence_decoder.ts';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { assertClose, loadFixture, unpack, type PackedTensor } from '../objectives/reference.ts';

type Module = Record<string, unknown> & { weights: Record<string, PackedTensor>; grads: Record<string, PackedTensor> };
const { modules } = loadFixture<{ modules: Record<string, Module> }>('prior_modules');

test.before(async () => {
  await nativeBackend();
});

/** Loads every reference weight into the set by name; each must exist with the same shape. */
function loadWeights(t: ExecutionContext, params: ParameterSet, weights: Record<string, PackedTensor>): void {
  for (const [name, packed] of Object.entries(weights)) {
    const variable = params.get(name);
    t.deepEqual(variable.shape, packed.shape, `${name}: shape`);
    tf.tidy(() => variable.assign(unpack(packed)));
  }
}

test('attentionPool matches CLIP-style pooling through F.multi_head_attention_forward, masked tokens left out', (t) => {
  const m = modules['attention_pool']!;
  const dims = m['dims'] as { tokens: number; width: number; outputWidth: number; heads: number };
  const params = new ParameterSet(0);
  const pool = createAttentionPool(params, 'pool', dims, dims.heads);
  loadWeights(t, params, m.weights);
  const tokens = unpack<tf.Rank.R3>(m['tokens'] as PackedTensor);
  const mask = unpack<tf.Rank.R2>(m['mask'] as PackedTensor);
  const probe = unpack(m['probe'] as PackedTensor);
  tf.tidy(() => assertClose(t, attentionPool(tokens, pool, mask), m['output'] as PackedTensor, 'pooled'));
  const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(attentionPool(x as tf.Tensor3D, pool, mask), probe)))(tokens);
  assertClose(t, grad, m.grads['tokens']!, 'd/dtokens');
  t.throws(() => attentionPool(tf.zeros([1, dims.tokens + 1, dims.width]) as tf.Tensor3D, pool), { message: /6 tokens, but the pool has positions for 5/ });
  tf.dispose([tokens, mask, probe, grad]);
  params.dispose();
});

test('ImageDecoder matches Upsample(nearest) + 2×[Conv3×3, BatchNorm2d, ReLU] blocks and a conv head, in training mode', (t) => {
  const m = modules['image_decoder']!;
  const params = new ParameterSet(0);
  const decoder = new ImageDecoder(params.child('dec'), m['inChannels'] as number, m['blocks'] as number);
  loadWeights(t, params, m.weights);
  const input = unpack<tf.Rank.R4>(m['input'] as PackedTensor);
  const probe = unpack(m['probe'] as PackedTensor);
  tf.tidy(() => assertClose(t, decoder.forward(input, { training: true }), m['output'] as PackedTensor, 'image'));
  // One training forward moved the running statistics as PyTorch's did.
  assertClose(t, params.get('dec.blocks.0.bn1.running_mean'), m['runningMean'] as PackedTensor, 'running mean');
  assertClose(t, params.get('dec.blocks.0.bn1.running_var'), m['runningVar'] as PackedTensor, 'running var');
  const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(decoder.forward(x as tf.Tensor4D, { training: true }), probe)))(input);
  assertClose(t, grad, m.grads['input']!, 'd/dinput');
  t.throws(() => new ImageDecoder(new ParameterSet(0), 6, 2), { message: /6 channels cannot be halved 2 times/ });
  tf.dispose([input, probe, grad]);
  params.dispose();
});

test('SentenceDecoder matches nn.TransformerDecoderLayer stacks (post-norm, GELU, no causal mask) from learned queries', (t) => {
  const m = modules['sentence_decoder']!;
  const params = new ParameterSet(0);
  const decoder = new SentenceDecoder(params.child('sd'), m['config'] as { queries: number; width: number; layers: number; heads: number });
  loadWeights(t, params, m.weights);
  t.is(params.named().length, Object.keys(m.weights).length, 'every weight is the reference’s');
  const memory = unpack<tf.Rank.R3>(m['memory'] as PackedTensor);
  const probe = unpack(m['probe'] as PackedTensor);
  tf.tidy(() => assertClose(t, decoder.forward(memory), m['output'] as PackedTensor, 'generated'));
  const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(decoder.forward(x as tf.Tensor3D), probe)))(memory);
  assertClose(t, grad, m.grads['memory']!, 'd/dmemory');
  tf.dispose([memory, probe, grad]);
  params.dispose();
});

test('an attention pool without positions (PRIOR\'s sentence pool) ignores token order', (t) => {
  const params = new ParameterSet(3);
  const pool = createAttentionPool(params, 'sentences', { tokens: 4, width: 8, outputWidth: 8, positional: false }, 2);
  t.false(params.has('sentences.positional'));
  tf.tidy(() => {
    const x = tf.randomNormal([1, 4, 8], 0, 1, 'float32', 5) as tf.Tensor3D;
    const reversed = tf.reverse(x, 1) as tf.Tensor3D;
    assertClose(t, attentionPool(reversed, pool), { shape: [1, 8], data: Array.from(attentionPool(x, pool).dataSync()) }, 'permutation invariant');
    // With a mask, absent sentences change nothing.
    const padded = tf.concat([x, tf.fill([1, 2, 8], 7)], 1) as tf.Tensor3D;
    const mask = tf.tensor2d([[1, 1, 1, 1, 0, 0]]);
    const pool6 = createAttentionPool(new ParameterSet(3), 'sentences', { tokens: 6, width: 8, outputWidth: 8, positional: false }, 2);
    assertClose(t, attentionPool(padded, pool6, mask), { shape: [1, 8], data: Array.from(attentionPool(x, pool6).dataSync()) }, 'masked padding');
  });
  params.dispose();
});
