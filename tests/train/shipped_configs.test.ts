/**
 * The run configs shipped in configs/: each reads, names a registered method
 * whose preset and overrides build, and trains a schedule that method accepts.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { createMethod, methodRules } from '../../lib/methods/registry.ts';
import { readPretrainConfig } from '../../lib/train/run.ts';
import { validateSchedule } from '../../lib/train/schedule.ts';
import { nativeBackend } from '../helpers/tf.ts';

const CONFIGS = path.resolve(import.meta.dirname, '..', '..', 'configs');
const files = fs.readdirSync(CONFIGS).filter((f) => /^pretrain-.*\.json$/.test(f));

test.before(async () => {
  await nativeBackend();
});

test('every method has a shipped cpu run config', (t) => {
  t.deepEqual(files.map((f) => readPretrainConfig(path.join(CONFIGS, f)).method ?? 'medst').sort(), ['imitate', 'medst', 'mpma', 'prior']);
});

for (const file of files) {
  test(`${file}: builds its method and its stages pass the method's rules`, (t) => {
    const config = readPretrainConfig(path.join(CONFIGS, file));
    const name = config.method ?? 'medst';
    const method = createMethod(name, { preset: config.model.preset, overrides: config.model.overrides, vocabSize: config.vocabSize ?? 1000 });
    t.true(method.params.count() > 0);
    t.truthy(config.stages, 'the shipped configs give their stages');
    t.notThrows(() => validateSchedule(config.stages!, { lossNames: methodRules(name).lossNames, checkStage: (s) => method.checkStage?.(s) ?? null }));
    method.dispose();
  });
}
