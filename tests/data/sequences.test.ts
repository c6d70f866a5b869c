import test from 'ava';
import { chunkSequences, chunkStats, compareSteps, patientSequences, type SequenceItem } from '../../lib/data/sequences.ts';

const step = (id: string, subjectId: number, studyId: number, timestamp: number): SequenceItem => ({ id, subjectId, studyId, timestamp });

// Patient 2: five studies given out of order (two frontals in study 23); patient 1: one study.
const records = [
  step('e', 2, 25, 500),
  step('a', 2, 21, 100),
  step('c2', 2, 23, 300),
  step('z', 1, 11, 50),
  step('b', 2, 22, 200),
  step('c1', 2, 23, 300),
  step('d', 2, 24, 400),
];

test('a patient is sorted by time, then study, then image id', (t) => {
  const byPatient = patientSequences(records);
  t.deepEqual([...byPatient.keys()], [1, 2]);
  t.deepEqual(byPatient.get(2)!.map((r) => r.id), ['a', 'b', 'c1', 'c2', 'd', 'e']);
  t.true(compareSteps(step('x', 1, 1, 10), step('y', 1, 2, 10)) < 0);
});

test('chunks are consecutive, full ones first within a patient, leftovers kept short', (t) => {
  const chunks = chunkSequences(records, 4);
  t.deepEqual(
    chunks.map((c) => [c.subjectId, c.items.map((r) => r.id).join(''), c.full]),
    [
      [1, 'z', false],
      [2, 'abc1c2', true],
      [2, 'de', false],
    ],
  );
  t.deepEqual(chunkStats(chunks), { patients: 2, steps: 7, fullChunks: 1, shortChunks: 2, stepsInFullChunks: 4 });
});

test('chunk length 1 makes every step a full chunk; every step appears exactly once for any length', (t) => {
  t.true(chunkSequences(records, 1).every((c) => c.full && c.items.length === 1));
  for (const length of [1, 2, 3, 4, 7, 10]) {
    const ids = chunkSequences(records, length).flatMap((c) => c.items.map((r) => r.id));
    t.deepEqual([...ids].sort(), records.map((r) => r.id).sort(), `length ${length}`);
  }
});

test('a bad chunk length is rejected', (t) => {
  t.throws(() => chunkSequences(records, 0), { message: /chunkLength must be a positive integer, got 0/ });
  t.throws(() => chunkSequences(records, 2.5), { message: /got 2.5/ });
});
