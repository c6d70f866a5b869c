import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeBackend } from '../helpers/tf.ts';
import {
  accuracy,
  argmaxRows,
  balancedAccuracy,
  confusionMatrix,
  f1Binary,
  macroAccuracy,
  macroF1,
  rocAuc,
  rocAucMultiLabel,
  rocAucOvr,
  rocCurve,
} from '../../lib/eval/metrics.ts';
import { dice, dicePerImage } from '../../lib/eval/dice.ts';
import { recallAtK, sameGroup } from '../../lib/eval/recall.ts';
import { matrix } from '../../lib/eval/matrix.ts';

type Num = number | null | 'nan' | '-inf';
interface Curve {
  fpr: Num[];
  tpr: Num[];
  thresholds: Num[];
}
interface Fixture {
  sklearn: string;
  binary: Array<{ name: string; y: number[]; scores: number[]; auc: number; curve_drop: Curve; curve_full: Curve }>;
  multilabel: Array<{ name: string; labels: number; y: number[]; scores: number[]; macro: number; per_label: number[] }>;
  ovr: Array<{ name: string; classes: number; y: number[]; scores: number[]; macro: number }>;
  labels: Array<{
    name: string;
    classes: number;
    y: number[];
    pred: number[];
    accuracy: number;
    balanced_accuracy: number;
    macro_f1: number;
    macro_f1_labels?: number[];
    macro_f1_with_labels?: number;
    confusion: number[][];
    f1_binary?: number;
  }>;
  dice: Array<{ name: string; images: number; pred: number[]; target: number[]; dice: number[] }>;
  recall: Array<{
    name: string;
    rows: number;
    cols: number;
    similarity: number[];
    groups: number[];
    ks: number[];
    max_k: number;
    image_to_text: { recall: Record<string, number>; curve: number[]; ranks: Num[] };
    text_to_image: { recall: Record<string, number>; curve: number[]; ranks: Num[] };
  }>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(fs.readFileSync(path.join(here, '..', 'fixtures', 'eval', 'metrics.json'), 'utf8')) as Fixture;
const TOL = 1e-9;

function decode(v: Num): number {
  if (v === null) return Infinity;
  if (v === 'nan') return NaN;
  if (v === '-inf') return -Infinity;
  return v;
}

function near(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= TOL;
}

function allNear(actual: readonly number[], expected: readonly Num[]): boolean {
  return actual.length === expected.length && actual.every((a, i) => near(a, decode(expected[i]!)));
}

test.before(async () => {
  await nativeBackend();
  console.log(`metrics fixtures from scikit-learn ${fixture.sklearn}; tolerance ${TOL}`);
});

for (const c of fixture.binary) {
  test(`rocAuc and rocCurve match sklearn: ${c.name}`, (t) => {
    t.true(near(rocAuc(c.y, c.scores), c.auc), `auc ${rocAuc(c.y, c.scores)} vs ${c.auc}`);
    for (const [drop, ref] of [[true, c.curve_drop], [false, c.curve_full]] as const) {
      const curve = rocCurve(c.y, c.scores, { dropIntermediate: drop });
      t.true(allNear(curve.fpr, ref.fpr), `fpr (drop=${drop}): ${curve.fpr} vs ${ref.fpr}`);
      t.true(allNear(curve.tpr, ref.tpr), `tpr (drop=${drop})`);
      t.true(allNear(curve.thresholds, ref.thresholds), `thresholds (drop=${drop}): ${curve.thresholds} vs ${ref.thresholds}`);
    }
  });
}

for (const c of fixture.multilabel) {
  test(`rocAucMultiLabel matches sklearn average='macro': ${c.name}`, (t) => {
    const out = rocAucMultiLabel(c.y, c.scores, c.labels);
    t.true(near(out.macro, c.macro), `${out.macro} vs ${c.macro}`);
    t.true(allNear(out.perClass, c.per_label));
  });
}

for (const c of fixture.ovr) {
  test(`rocAucOvr matches sklearn multi_class='ovr': ${c.name}`, (t) => {
    t.true(near(rocAucOvr(c.y, c.scores, c.classes).macro, c.macro));
  });
}

for (const c of fixture.labels) {
  test(`accuracy, balanced accuracy, F1, confusion match sklearn: ${c.name}`, (t) => {
    t.true(near(accuracy(c.y, c.pred), c.accuracy));
    t.true(near(balancedAccuracy(c.y, c.pred), c.balanced_accuracy), `${balancedAccuracy(c.y, c.pred)} vs ${c.balanced_accuracy}`);
    t.is(macroAccuracy, balancedAccuracy);
    t.true(near(macroF1(c.y, c.pred), c.macro_f1), `${macroF1(c.y, c.pred)} vs ${c.macro_f1}`);
    if (c.macro_f1_labels) t.true(near(macroF1(c.y, c.pred, c.macro_f1_labels), c.macro_f1_with_labels!));
    if (c.f1_binary !== undefined) t.true(near(f1Binary(c.y, c.pred), c.f1_binary));
    t.deepEqual(confusionMatrix(c.y, c.pred, c.classes), c.confusion);
  });
}

for (const c of fixture.dice) {
  test(`dicePerImage matches sklearn f1_score(zero_division=1): ${c.name}`, (t) => {
    const values = dicePerImage(Uint8Array.from(c.pred), Uint8Array.from(c.target), c.images);
    t.true(allNear(values, c.dice), `${values} vs ${c.dice}`);
  });
}

for (const c of fixture.recall) {
  test(`recallAtK matches the numpy reference: ${c.name}`, (t) => {
    const sim = matrix(Float32Array.from(c.similarity), c.rows, c.cols);
    // The similarity was float64 in Python; float32 rounding must not reorder it (values have ≤ 3 sig. digits apart).
    const i2t = recallAtK(sim, c.ks, sameGroup(c.groups, c.groups), c.max_k);
    const transposed = new Float32Array(c.rows * c.cols);
    for (let r = 0; r < c.rows; r++) for (let q = 0; q < c.cols; q++) transposed[q * c.rows + r] = c.similarity[r * c.cols + q]!;
    const t2i = recallAtK(matrix(transposed, c.cols, c.rows), c.ks, sameGroup(c.groups, c.groups), c.max_k);
    for (const [out, ref] of [[i2t, c.image_to_text], [t2i, c.text_to_image]] as const) {
      for (const k of c.ks) t.true(near(out.recall[k]!, ref.recall[String(k)]!), `R@${k}: ${out.recall[k]} vs ${ref.recall[String(k)]}`);
      t.true(allNear(out.curve, ref.curve));
      t.true(allNear(out.ranks, ref.ranks));
    }
  });
}

test('rocAuc refuses a single-class target (as sklearn) and NaN scores', (t) => {
  t.throws(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3]), { message: /only one class/ });
  t.throws(() => rocAuc([0, 1], [0.1, NaN]), { message: /NaN/ });
  t.throws(() => rocAuc([0, 2], [0.1, 0.2]), { message: /0 or 1/ });
  t.throws(() => rocAuc([0, 1], [0.1]), { message: /lengths differ/ });
});

test('rocAucMultiLabel: NaN targets are left out; single-class columns throw or are skipped', (t) => {
  // Column 0: with its NaN rows removed it is [0,1,1] vs [0.1,0.9,0.8] → 1; column 1 is all 1 → undefined.
  const y = [0, 1, NaN, 1, 1, 1, 1, 1];
  const s = [0.1, 0.5, 0.05, 0.5, 0.9, 0.2, 0.8, 0.3];
  t.throws(() => rocAucMultiLabel(y, s, 2), { message: /column 1/ });
  const out = rocAucMultiLabel(y, s, 2, { onUndefined: 'skip' });
  t.is(out.macro, 1);
  t.true(Number.isNaN(out.perClass[1]!));
});

test('argmaxRows picks the first maximum', (t) => {
  t.deepEqual(Array.from(argmaxRows([1, 3, 3, 0, 0, 0], 3)), [1, 0]);
});

test('dice edge cases: empty on empty is 1, one-sided empty is 0, any non-zero value is foreground', (t) => {
  t.is(dice([0, 0, 0], [0, 0, 0]), 1);
  t.is(dice([0, 0, 0], [0, 1, 0]), 0);
  t.is(dice([1, 0, 0], [0, 0, 0]), 0);
  t.is(dice([255, 0, 1], [1, 0, 1]), 1);
  t.is(dice([1, 1, 0, 0], [1, 0, 1, 0]), 0.5);
  t.throws(() => dicePerImage(new Uint8Array(10), new Uint8Array(10), 3), { message: /do not split/ });
});
