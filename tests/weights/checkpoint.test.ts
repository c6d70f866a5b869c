import test from 'ava';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { nativeBackend, tf } from '../helpers/tf.ts';
import { ParameterSet } from '../../lib/models/params.ts';
import { VisionTransformer } from '../../lib/models/vit.ts';
import { loadParameters, saveParameters } from '../../lib/weights/checkpoint.ts';
import { readSafetensors, writeSafetensors } from '../../lib/weights/safetensors.ts';
import { GlobalProjectionHead } from '../../lib/models/heads.ts';

test.before(async () => {
  await nativeBackend();
});

const config = { imageSize: 32, patchSize: 16, width: 16, depth: 1, heads: 2 };

function build(seed: number): { root: ParameterSet; vit: VisionTransformer; head: GlobalProjectionHead } {
  const root = new ParameterSet(seed);
  const vit = new VisionTransformer(root.child('image'), config);
  const head = new GlobalProjectionHead(root.child('head'), { inputWidth: 16, hiddenWidth: 8, outputWidth: 4 });
  return { root, vit, head };
}

test('save → load restores every variable (running statistics included) and the config', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medst-ckpt-'));
  const a = build(1);
  tf.tidy(() => a.head.forward(tf.randomNormal([4, 16], 0, 1, 'float32', 2) as tf.Tensor2D, { training: true }));
  await saveParameters(a.root, dir, { image: a.vit.config });
  t.deepEqual((await readdir(dir)).sort(), ['config.json', 'model.safetensors']);
  const b = build(2);
  t.notDeepEqual(Array.from(b.root.get('image.pos_embed').dataSync()), Array.from(a.root.get('image.pos_embed').dataSync()));
  const cfg = (await loadParameters(b.root, dir)) as { image: { width: number } };
  t.is(cfg.image.width, 16);
  for (const [name, v] of a.root.named()) t.deepEqual(Array.from(b.root.get(name).dataSync()), Array.from(v.dataSync()), name);
  t.is(b.root.get('head.bn1.num_batches_tracked').dataSync()[0], 1);
  a.root.dispose();
  b.root.dispose();
  await rm(dir, { recursive: true });
});

test('loading names the missing, unexpected and mis-shaped tensors and changes nothing', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medst-ckpt-'));
  const a = build(1);
  await saveParameters(a.root, dir, {});
  const file = path.join(dir, 'model.safetensors');
  const { tensors } = await readSafetensors(file);
  tensors.delete('image.norm.bias');
  tensors.set('image.extra.weight', { shape: [1], data: Float32Array.of(1) });
  tensors.set('head.fc1.weight', { shape: [8, 16], data: new Float32Array(128) });
  await writeSafetensors(file, tensors);
  const b = build(3);
  const before = Array.from(b.root.get('image.pos_embed').dataSync());
  const error = await t.throwsAsync(loadParameters(b.root, dir));
  t.regex(error!.message, /missing tensors: image\.norm\.bias/);
  t.regex(error!.message, /unexpected tensors: image\.extra\.weight/);
  t.regex(error!.message, /shape mismatch for "head\.fc1\.weight": model has \[16,8\], file has \[8,16\]/);
  t.deepEqual(Array.from(b.root.get('image.pos_embed').dataSync()), before);
  await t.throwsAsync(loadParameters(b.root, path.join(dir, 'nope')), { code: 'ENOENT' });
  a.root.dispose();
  b.root.dispose();
  await rm(dir, { recursive: true });
});
