import test from 'ava';
import { parseCsvText } from '../../lib/data/csv.ts';
import { CHEXPERT_COMPETITION_LABELS, CHEXPERT_LABELS, readTriStateLabel } from '../../lib/data/labels.ts';

test('14 labels and the 5 competition labels', (t) => {
  t.is(CHEXPERT_LABELS.length, 14);
  t.deepEqual([...CHEXPERT_COMPETITION_LABELS], ['Atelectasis', 'Cardiomegaly', 'Consolidation', 'Edema', 'Pleural Effusion']);
  t.true(CHEXPERT_COMPETITION_LABELS.every((label) => (CHEXPERT_LABELS as readonly string[]).includes(label)));
});

test('tri-state values: 1/1.0, 0/0.0/-0.0, -1/-1.0, blank; anything else is an error', (t) => {
  const { rows, issues } = parseCsvText('v\n1\n1.0\n0\n-0.0\n-1\n-1.0\n\n2\nyes\n0.5\n', 'l.csv', (r) => readTriStateLabel(r, 'v'));
  // The blank line is skipped by the CSV reader (an empty record), so check blank with a two-column file.
  t.deepEqual(rows, [1, 1, 0, 0, -1, -1]);
  t.true(Object.is(rows[3], 0));
  t.is(issues.count('bad-value'), 3);
  t.deepEqual(parseCsvText('a,v\nx,\n', 'l.csv', (r) => ({ value: readTriStateLabel(r, 'v') })).rows, [{ value: null }]);
});
