import test from 'ava';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { BatchNorm } from '../../lib/models/layers/batch_norm.ts';
import { GlobalProjectionHead, LocalProjectionHead } from '../../lib/models/heads.ts';
import { loadJson, maxRelativeError } from './encoder_fixtures.ts';

test.before(async () => {
  await nativeBackend();
});

interface Step {
  x: number[];
  y: number[];
  runningMean: number[];
  runningVar: number[];
}
interface HeadsFixture {
  channels: number;
  init: { weight: number[]; bias: number[] };
  steps: Step[];
  eval: { x: number[]; y: number[] };
  masked: { x: number[]; mask: number[]; yReal: number[]; runningMean: number[]; runningVar: number[] };
  head: {
    inputWidth: number;
    hiddenWidth: number;
    outputWidth: number;
    fc1: { weight: number[]; bias: number[] };
    bn1: { weight: number[]; bias: number[] };
    fc2: { weight: number[]; bias: number[] };
    x: number[];
    yTrain: number[];
    yEval: number[];
  };
}

const fx = loadJson<HeadsFixture>('heads.json');

function makeBn(params: ParameterSet): BatchNorm {
  const bn = new BatchNorm(params, 'bn', fx.channels);
  bn.weight!.assign(tf.tensor1d(fx.init.weight));
  bn.bias!.assign(tf.tensor1d(fx.init.bias));
  return bn;
}

test('BatchNorm train/eval equals torch.nn.BatchNorm1d (values and running statistics after 2 steps)', (t) => {
  const params = new ParameterSet(1);
  const bn = makeBn(params);
  let worst = 0;
  for (const step of fx.steps) {
    const x = tf.tensor2d(step.x, [step.x.length / fx.channels, fx.channels]);
    const y = bn.forward(x, { training: true });
    worst = Math.max(worst, maxRelativeError(y.dataSync(), step.y));
    worst = Math.max(worst, maxRelativeError(bn.runningMean.dataSync(), step.runningMean));
    worst = Math.max(worst, maxRelativeError(bn.runningVar.dataSync(), step.runningVar));
    tf.dispose([x, y]);
  }
  t.is(bn.numBatchesTracked.dataSync()[0], 2);
  const xe = tf.tensor2d(fx.eval.x, [fx.eval.x.length / fx.channels, fx.channels]);
  const ye = bn.forward(xe, { training: false });
  worst = Math.max(worst, maxRelativeError(ye.dataSync(), fx.eval.y));
  t.log(`BatchNorm1d parity: ${worst.toExponential(2)} (max relative)`);
  t.true(worst < 1e-5);
  tf.dispose([xe, ye]);
  params.dispose();
});

test('masked BatchNorm uses the real rows only (= BatchNorm1d on x[mask])', (t) => {
  const params = new ParameterSet(2);
  const bn = makeBn(params);
  const m = fx.masked;
  const x = tf.tensor2d(m.x, [m.mask.length, fx.channels]);
  const y = bn.forward(x, { training: true, mask: tf.tensor1d(m.mask) });
  const rows = (y.arraySync() as number[][]).filter((_, i) => m.mask[i] === 1).flat();
  const err = Math.max(
    maxRelativeError(rows, m.yReal),
    maxRelativeError(bn.runningMean.dataSync(), m.runningMean),
    maxRelativeError(bn.runningVar.dataSync(), m.runningVar),
  );
  t.true(err < 1e-5, `masked BN error ${err}`);
  t.throws(() => bn.forward(tf.zeros([2, 3, fx.channels]), { training: true, mask: tf.ones([2]) as tf.Tensor1D }), { message: /mask needs x \[N, C\]/ });
  t.throws(() => bn.forward(tf.zeros([4, 3]), { training: true }), { message: /\[4,3\]/ });
  tf.dispose([x, y]);
  params.dispose();
});

test('running-stat updates inside tf.variableGrads do not disturb gradients', (t) => {
  const params = new ParameterSet(3);
  const bn = makeBn(params);
  const x = tf.tensor2d(fx.steps[0]!.x, [6, fx.channels]);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.forward(x, { training: true }), tf.reshape(tf.range(0, 30), [6, 5]))) as tf.Scalar, params.trainable());
  t.deepEqual(Object.keys(grads).length, 2); // weight and bias only: running stats are not trainable
  for (const g of Object.values(grads)) t.is(tf.all(tf.isFinite(g)).dataSync()[0], 1);
  t.true(maxRelativeError(bn.runningMean.dataSync(), fx.steps[0]!.runningMean) < 1e-5);
  tf.dispose([x, value, ...Object.values(grads)]);
  params.dispose();
});

function loadHead(head: GlobalProjectionHead | LocalProjectionHead): void {
  const h = fx.head;
  const { fc1, bn1, fc2 } = head.mlp;
  fc1.weight.assign(tf.tensor2d(h.fc1.weight, [h.inputWidth, h.hiddenWidth]));
  fc1.bias!.assign(tf.tensor1d(h.fc1.bias));
  bn1.weight!.assign(tf.tensor1d(h.bn1.weight));
  bn1.bias!.assign(tf.tensor1d(h.bn1.bias));
  fc2.weight.assign(tf.tensor2d(h.fc2.weight, [h.hiddenWidth, h.outputWidth]));
  fc2.bias!.assign(tf.tensor1d(h.fc2.bias));
}

test('projection head equals the PyTorch Linear→BN→ReLU→Linear→BN(no affine)→normalize, train then eval', (t) => {
  const h = fx.head;
  const params = new ParameterSet(4);
  const head = new GlobalProjectionHead(params.child('global'), { inputWidth: h.inputWidth, hiddenWidth: h.hiddenWidth, outputWidth: h.outputWidth });
  t.false(params.has('global.bn2.weight'));
  loadHead(head);
  const x = tf.tensor2d(h.x, [h.x.length / h.inputWidth, h.inputWidth]);
  const yTrain = head.forward(x, { training: true });
  const yEval = head.forward(x, { training: false });
  const err = Math.max(maxRelativeError(yTrain.dataSync(), h.yTrain), maxRelativeError(yEval.dataSync(), h.yEval));
  t.log(`projection head parity: ${err.toExponential(2)} (max relative)`);
  t.true(err < 1e-4);
  const norms = tf.norm(yTrain, 'euclidean', 1).dataSync();
  for (const n of norms) t.true(Math.abs(n - 1) < 1e-5);
  t.throws(() => head.forward(tf.zeros([2, 3]) as tf.Tensor2D, { training: false }), { message: /\[2,3\]/ });
  tf.dispose([x, yTrain, yEval]);
  params.dispose();
});

test('local head: per-token head, statistics over real tokens only, padding zeroed, no leaks', (t) => {
  const h = fx.head;
  const params = new ParameterSet(5);
  const local = new LocalProjectionHead(params.child('local'), { inputWidth: h.inputWidth, hiddenWidth: h.hiddenWidth, outputWidth: h.outputWidth });
  const global = new GlobalProjectionHead(params.child('ref'), { inputWidth: h.inputWidth, hiddenWidth: h.hiddenWidth, outputWidth: h.outputWidth });
  loadHead(local);
  loadHead(global);
  // 7 real rows spread over [2, 5] tokens with 3 padding tokens holding garbage.
  const real = tf.tensor2d(h.x, [7, h.inputWidth]).arraySync();
  const rows = [real[0], real[1], real[2], [9, 9, 9, 9, 9, 9], [5, 5, 5, 5, 5, 5], real[3], real[4], real[5], real[6], [-7, 1, 2, 3, 4, 5]] as number[][];
  const mask = tf.tensor2d([1, 1, 1, 0, 0, 1, 1, 1, 1, 0], [2, 5]);
  const x = tf.tensor3d(rows.flat(), [2, 5, h.inputWidth]);
  const before = tf.memory().numTensors;
  const y = local.forward(x, { training: true, mask });
  t.is(tf.memory().numTensors, before + 1);
  const flat = y.arraySync().flat();
  const realOut = [0, 1, 2, 5, 6, 7, 8].map((i) => flat[i]!).flat();
  t.true(maxRelativeError(realOut, h.yTrain) < 1e-4);
  t.deepEqual(flat[3]!.map(Math.abs), new Array(h.outputWidth).fill(0));
  // Without a mask, statistics count every token.
  const y2 = local.forward(x, { training: false });
  t.deepEqual(y2.shape, [2, 5, h.outputWidth]);
  tf.dispose([mask, x, y, y2]);
  params.dispose();
});
