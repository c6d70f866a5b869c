/**
 * Unit checks of the generator's parts: the disease process, the renderers'
 * view asymmetries and masks, the SIIM RLE encoder, and the report language.
 */
import test from 'ava';
import { Rng } from '../../lib/util/rng.ts';
import { sampleAcquisition, samplePatientAnatomy } from '../../data-prep/synth/anatomy.ts';
import { resolveSynthConfig } from '../../data-prep/synth/config.ts';
import { cardiothoracicRatio, classifyChange, FINDING_KEYS, simulateCourse, type Severities } from '../../data-prep/synth/course.ts';
import type { StudyScene } from '../../data-prep/synth/findings.ts';
import { renderFrontal } from '../../data-prep/synth/render_frontal.ts';
import { renderLateral } from '../../data-prep/synth/render_lateral.ts';
import { CHANGE_PATTERNS, describeChange } from '../../data-prep/synth/report_phrases.ts';
import { encodeSiimRle } from '../../lib/data/rle.ts';

const encodeSiimRelativeRle = (data: Uint8Array, width: number, height: number) => encodeSiimRle({ data, width, height });

/** Reference decoder written from the SIIM description (relative starts, column-major). */
function decodeRelativeRle(rle: string, w: number, h: number): Uint8Array {
  const mask = new Uint8Array(w * h);
  if (rle.trim() === '-1') return mask;
  const nums = rle.trim().split(/\s+/).map(Number);
  let pos = 0;
  for (let i = 0; i < nums.length; i += 2) {
    pos += nums[i]!;
    for (let k = 0; k < nums[i + 1]!; k++) {
      const idx = pos + k;
      const x = Math.floor(idx / h), y = idx % h;
      mask[y * w + x] = 1;
    }
    pos += nums[i + 1]!;
  }
  return mask;
}

function scene(sev: Partial<Severities>, size = 128, seed = 3): StudyScene {
  const rng = new Rng(seed);
  const anatomy = samplePatientAnatomy(rng, 'M', 60);
  const severity = Object.fromEntries(FINDING_KEYS.map((k) => [k, 0])) as Severities;
  Object.assign(severity, sev);
  return {
    anatomy, acq: sampleAcquisition(rng, false, 0, size), severity,
    sites: { consolidationLobe: 'RML', pneumoniaLobe: 'RLL', pneumothoraxSide: 'right', atelectasisSite: 'left', opacitySide: 'left', opacityZone: 'mid' },
    devices: { ett: false, ngt: false, cvc: false, pacemaker: false },
    ctr: cardiothoracicRatio(severity.cardiomegaly, anatomy.normalCtr), findingGain: 1, imageSeed: 11, size,
  };
}

const meanDiff = (a: Uint8Array, b: Uint8Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
};

test('config validates and fills defaults', (t) => {
  const c = resolveSynthConfig({ out: '/tmp/x' });
  t.is(c.size, 256);
  t.is(c.lateralRate, 0.7);
  t.throws(() => resolveSynthConfig({ out: '/tmp/x', noise: 2 }), { message: /noise must be in \[0, 1\], got 2/ });
  t.throws(() => resolveSynthConfig({ out: '/tmp/x', maxStudies: 0 }));
});

test('course: lateral rate honoured, study counts bounded, change classes unambiguous', (t) => {
  let studies = 0, laterals = 0, ambiguous = 0, pairs = 0;
  for (let i = 0; i < 1500; i++) {
    const c = simulateCourse(new Rng(1000 + i), 5, 0.7);
    t.true(c.studies.length >= 1 && c.studies.length <= 5);
    for (const s of c.studies) {
      studies++;
      if (s.lateralView) laterals++;
    }
    for (let k = 1; k < c.studies.length; k++) {
      for (const f of FINDING_KEYS) {
        const a = c.studies[k - 1]!.severity[f], b = c.studies[k]!.severity[f];
        if (a > 0 && b > 0) {
          pairs++;
          const d = Math.abs(b - a);
          // Stable steps stay ≤ 0.06 (jitter and clamping); change steps are ≥ 0.14.
          if (d > 0.06 && d < 0.14) ambiguous++;
        }
      }
      t.true(c.studies[k]!.hoursFromFirst > c.studies[k - 1]!.hoursFromFirst);
    }
  }
  t.true(Math.abs(laterals / studies - 0.7) < 0.03, `lateral rate ${laterals / studies}`);
  t.true(pairs > 500);
  t.is(ambiguous, 0);
  t.is(simulateCourse(new Rng(5), 8, 0).studies.filter((s) => s.lateralView).length, 0);
});

test('classifyChange reads change classes back from severities', (t) => {
  t.is(classifyChange(0, 0), 'absent');
  t.is(classifyChange(0, 0.3), 'new');
  t.is(classifyChange(0.3, 0), 'resolved');
  t.is(classifyChange(0.3, 0.5), 'worsening');
  t.is(classifyChange(0.5, 0.3), 'improving');
  t.is(classifyChange(0.5, 0.52), 'stable');
});

test('SIIM RLE round-trips and is relative + column-major', (t) => {
  const w = 7, h = 5;
  const m = new Uint8Array(w * h);
  // Column 1 rows 1–3 and column 2 rows 0–1: column-major runs [6..8] and [10..11].
  m[1 * w + 1] = m[2 * w + 1] = m[3 * w + 1] = 1;
  m[0 * w + 2] = m[1 * w + 2] = 1;
  const rle = encodeSiimRelativeRle(m, w, h);
  t.is(rle, '6 3 1 2');
  t.deepEqual(decodeRelativeRle(rle, w, h), m);
  t.is(encodeSiimRelativeRle(new Uint8Array(w * h), w, h), '-1');
});

test('pneumothorax mask decodes back to the rendered region, which is dark and on the right side', (t) => {
  const s = scene({ pneumothorax: 0.7 });
  const v = renderFrontal(s);
  t.truthy(v.pneumothoraxMask);
  const mask = v.pneumothoraxMask!;
  const back = decodeRelativeRle(encodeSiimRelativeRle(mask, 128, 128), 128, 128);
  t.deepEqual(back, mask);
  let n = 0, sumX = 0, inside = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    n++;
    sumX += i % 128;
    inside += v.pixels[i]!;
  }
  t.true(n > 100);
  // Patient's right is the image left.
  t.true(sumX / n < 64);
  // The pleural space is darker than the image on average.
  const mean = v.pixels.reduce((a, b) => a + b, 0) / v.pixels.length;
  t.true(inside / n < mean, `${inside / n} vs ${mean}`);
});

test('a small effusion shows more on the lateral than on the frontal; a large one on both', (t) => {
  const normal = scene({});
  const small = scene({ effusionRight: 0.12 });
  const large = scene({ effusionRight: 0.8 });
  const fr0 = renderFrontal(normal).pixels, la0 = renderLateral(normal).pixels;
  const frS = renderFrontal(small).pixels, laS = renderLateral(small).pixels;
  const frL = renderFrontal(large).pixels;
  t.true(meanDiff(laS, la0) > 1.5 * meanDiff(frS, fr0), `lateral ${meanDiff(laS, la0)} frontal ${meanDiff(frS, fr0)}`);
  t.true(meanDiff(frL, fr0) > 3 * meanDiff(frS, fr0));
});

test('middle-lobe consolidation is stronger on the lateral than the frontal', (t) => {
  const normal = scene({});
  const rml = scene({ consolidation: 0.6 });
  const dF = meanDiff(renderFrontal(rml).pixels, renderFrontal(normal).pixels);
  const dL = meanDiff(renderLateral(rml).pixels, renderLateral(normal).pixels);
  t.true(dL > dF, `lateral ${dL} frontal ${dF}`);
  t.true(renderFrontal(rml).opacityMasks.length === 1);
});

test('change sentences use their own family of words', (t) => {
  const rng = new Rng(9);
  const sites = scene({}).sites;
  for (let i = 0; i < 200; i++) {
    const key = rng.pick(FINDING_KEYS);
    const change = rng.pick(['new', 'worsening', 'improving', 'stable', 'resolved'] as const);
    const sentence = describeChange(rng, key, change, 0.3, 0.6, sites);
    t.regex(sentence, CHANGE_PATTERNS[change]);
    for (const other of ['worsening', 'improving', 'stable', 'resolved'] as const) {
      if (other !== change) t.notRegex(sentence, CHANGE_PATTERNS[other], `${change}: ${sentence}`);
    }
  }
});
