import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { BertEncoder } from '../../lib/models/bert.ts';
import { importHfBert } from '../../lib/weights/convert_hf_bert.ts';
import { loadJson, loadWeights, maxRelativeError } from './encoder_fixtures.ts';

test.before(async () => {
  await nativeBackend();
});

interface BertFixture {
  config: { vocabSize: number; width: number; layers: number; heads: number; intermediateSize: number; maxPositions: number };
  batchSize: number;
  seqLength: number;
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
  hidden: number[];
  hiddenShape: [number, number, number];
}

test('last hidden states equal transformers.BertModel (padding and token types included)', async (t) => {
  const fx = loadJson<BertFixture>('bert_tiny.json');
  const bert = new BertEncoder(new ParameterSet(1).child('text'), fx.config);
  const report = importHfBert(bert, await loadWeights('bert_tiny.safetensors'));
  t.deepEqual(report.missing, []);
  t.deepEqual(report.mismatched, []);
  t.deepEqual(report.unused.filter((n) => !n.startsWith('pooler.') && n !== 'embeddings.position_ids'), []);
  const hidden = bert.hiddenStates(fx);
  const err = maxRelativeError(hidden.dataSync(), fx.hidden);
  t.log(`HF BertModel parity: ${err.toExponential(2)} (max relative)`);
  t.true(err < 1e-4);
  t.deepEqual(hidden.shape, fx.hiddenShape);
  hidden.dispose();
  bert.dispose();
});

test('importing into fewer layers reports the extra layers unused', async (t) => {
  const fx = loadJson<BertFixture>('bert_tiny.json');
  const bert = new BertEncoder(new ParameterSet(2), { ...fx.config, layers: 1, maxPositions: 16 });
  const report = importHfBert(bert, await loadWeights('bert_tiny.safetensors'));
  t.deepEqual(report.missing, []);
  t.true(report.unused.some((n) => n.startsWith('encoder.layer.1.')));
  t.false(report.unused.some((n) => n.startsWith('encoder.layer.0.')));
  t.deepEqual(bert.positionEmbeddings.shape, [16, 32]);
  bert.dispose();
});

test('forward returns CLS, word features and mask; bad input throws; no leaks; finite gradients', (t) => {
  const bert = new BertEncoder(new ParameterSet(3), { vocabSize: 50, width: 16, layers: 2, heads: 2, intermediateSize: 32, maxPositions: 16 });
  // [CLS] a b ##c [SEP] [PAD] | [CLS] d ##e ##f g [SEP]
  const input = {
    inputIds: [2, 10, 11, 12, 3, 0, 2, 13, 14, 15, 16, 3],
    attentionMask: [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
    wordIds: [-1, 0, 1, 1, -1, -1, -1, 0, 0, 0, 1, -1],
    batchSize: 2,
    seqLength: 6,
  };
  tf.tidy(() => bert.forward(input).global); // warm-up (cached scalar constants)
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    bert.forward(input);
    bert.forward(input);
  });
  t.is(tf.memory().numTensors, before);
  const out = bert.forward(input);
  t.is(tf.memory().numTensors, before + 3);
  t.deepEqual([out.global.shape, out.local.shape, out.localMask.shape], [[2, 16], [2, 5, 16], [2, 5]]);
  t.deepEqual(Array.from(out.localMask.dataSync()), [1, 1, 1, 0, 0, 1, 1, 1, 0, 0]);
  const hidden = bert.hiddenStates(input);
  const h = hidden.arraySync();
  const local = out.local.arraySync();
  const sum = (rows: number[][]): number[] => rows[0]!.map((_, j) => rows.reduce((s, r) => s + r[j]!, 0));
  t.true(maxRelativeError(local[0]![1]!, sum([h[0]![2]!, h[0]![3]!])) < 1e-6);
  t.true(maxRelativeError(local[1]![0]!, sum([h[1]![1]!, h[1]![2]!, h[1]![3]!])) < 1e-6);
  t.true(maxRelativeError(local[1]![2]!, h[1]![5]!) < 1e-6); // [SEP] kept as a word
  t.deepEqual(local[0]![4]!, new Array(16).fill(0));
  t.true(maxRelativeError(out.global.arraySync()[1]!, h[1]![0]!) < 1e-7);
  tf.dispose([out.global, out.local, out.localMask, hidden]);

  t.throws(() => bert.forward({ ...input, inputIds: [...input.inputIds.slice(0, 11), 99] }), { message: /token id 99/ });
  t.throws(() => bert.forward({ ...input, attentionMask: [1, 1] }), { message: /attentionMask has 2 values/ });
  t.throws(() => bert.forward({ ...input, seqLength: 17, batchSize: 1, inputIds: new Array(17).fill(1), attentionMask: new Array(17).fill(1), wordIds: undefined }), {
    message: /maxPositions/,
  });

  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(bert.forward(input).local)) as tf.Scalar, bert.params.trainable());
  t.true(Number.isFinite(value.dataSync()[0]));
  for (const g of Object.values(grads)) t.is(tf.all(tf.isFinite(g)).dataSync()[0], 1);
  tf.dispose([value, ...Object.values(grads)]);
  bert.dispose();
});
