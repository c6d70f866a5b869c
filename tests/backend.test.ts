import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chooseBackend, describeBackend, requestFromEnv, type BackendPackage } from '../lib/backend.ts';
import { nativeBackend, tf } from './helpers/tf.ts';

const installed = (...pkgs: BackendPackage[]) => (pkg: BackendPackage) => pkgs.includes(pkg);

test('default request picks native tfjs-node', (t) => {
  const plan = chooseBackend(requestFromEnv({}), installed('@tensorflow/tfjs-node'));
  t.is(plan.package, '@tensorflow/tfjs-node');
  t.deepEqual(plan.warnings, []);
});

test('MEDST_DEVICE=gpu picks tfjs-node-gpu when installed', (t) => {
  const plan = chooseBackend(requestFromEnv({ MEDST_DEVICE: 'gpu' }), installed('@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'));
  t.is(plan.package, '@tensorflow/tfjs-node-gpu');
});

test('MEDST_DEVICE=gpu without the gpu package falls back to native CPU with a warning', (t) => {
  const plan = chooseBackend(requestFromEnv({ MEDST_DEVICE: 'GPU' }), installed('@tensorflow/tfjs-node'));
  t.is(plan.package, '@tensorflow/tfjs-node');
  t.is(plan.warnings.length, 1);
  t.regex(plan.warnings[0]!, /tfjs-node-gpu is not installed/);
});

test('the pure-JS backend is chosen only by explicit request, with a loud warning', (t) => {
  const plan = chooseBackend(requestFromEnv({ MEDST_BACKEND: 'js' }), installed('@tensorflow/tfjs-node'));
  t.is(plan.package, '@tensorflow/tfjs-backend-cpu');
  t.regex(plan.warnings.join('\n'), /PURE-JAVASCRIPT.*\n.*1000x slower/);
  // Nothing installed and nothing asked: still the native package (which then fails loudly), never pure JS.
  t.is(chooseBackend(requestFromEnv({}), () => false).package, '@tensorflow/tfjs-node');
});

test('bad environment values are rejected with the variable named', (t) => {
  t.throws(() => requestFromEnv({ MEDST_DEVICE: 'tpu' }), { message: /MEDST_DEVICE.*"tpu"/ });
  t.throws(() => requestFromEnv({ MEDST_BACKEND: 'wasm' }), { message: /MEDST_BACKEND.*"wasm"/ });
  t.throws(() => requestFromEnv({ MEDST_THREADS: '0' }), { message: /MEDST_THREADS/ });
  t.is(requestFromEnv({ MEDST_THREADS: '3' }).threads, 3);
});

test('initBackend activates native TensorFlow and computes', async (t) => {
  const info = await nativeBackend();
  t.is(tf.getBackend(), 'tensorflow');
  t.is(info.backend, 'tensorflow');
  t.regex(info.tensorflowVersion, /^2\.\d+\.\d+/);
  t.true(info.threads >= 1);
  const product = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).arraySync());
  t.deepEqual(product, [[17], [39]]);
  // `npm run setup` builds the fused CPU kernels; the report says they are on.
  t.is(info.fusedKernelsOff, null);
  t.regex(describeBackend(info), /^medst backend: tensorflow \(@tensorflow\/tfjs-node, cpu\), TensorFlow 2\.\d+\.\d+, tfjs 4\.22\.0, \d+ threads?, fused CPU kernels$/);
  t.regex(describeBackend({ ...info, fusedKernelsOff: 'x.node is not built (run `npm run setup`)' }), /, fused CPU kernels OFF: x\.node is not built \(run `npm run setup`\)$/);
});

test('a broken native addon is a loud error, not a silent pure-JS fallback', (t) => {
  const script = `
    import { initBackend } from './lib/backend.ts';
    try { await initBackend({ log: null }); } catch (e) { console.log('ERR', e.message); process.exit(0); }
    const tf = await import('@tensorflow/tfjs-core');
    console.log('BACKEND', tf.getBackend());`;
  const result = spawnSync(process.execPath, ['--import=./tests/helpers/break_tfjs_node.mjs', '--import=tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  t.regex(result.stdout, /ERR Could not load @tensorflow\/tfjs-node: simulated/);
  t.regex(result.stdout, /npm run setup/);
  t.notRegex(result.stdout, /^BACKEND/m);
});

test('MEDST_BACKEND=js runs pure JS and prints the warning banner', (t) => {
  const script = `
    import { initBackend } from './lib/backend.ts';
    const info = await initBackend();
    console.log('BACKEND', info.backend, info.tensorflowVersion);`;
  const result = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, MEDST_BACKEND: 'js' },
  });
  t.regex(result.stdout, /BACKEND cpu none/);
  t.regex(result.stderr, /PURE-JAVASCRIPT/);
  t.regex(result.stderr, /medst backend: cpu .*no native TensorFlow/);
});
