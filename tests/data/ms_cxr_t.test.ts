import test from 'ava';
import { DataError, DataIssues } from '../../lib/data/errors.ts';
import { MS_CXR_T_FINDINGS, readMsCxrTImagePairs, readMsCxrTSentencePairs } from '../../lib/data/ms_cxr_t.ts';
import { writeTemporaryFile } from './fixture_paths.ts';

const PAIRS = [
  'dicom_id,previous_dicom_id,study_id,previous_study_id,subject_id,consolidation_progression,edema_progression,pleural_effusion_progression,pneumonia_progression,pneumothorax_progression',
  'd1,p1,51000001,50000001,10000001,improving,,,,',
  'd2,p2,51000002,50000002,10000002,,worsening,stable,,',
  'd3,p3,51000003,50000003,10000003,,,,better,',
  'd4,p4,51000004,50000004,10000004,,,,,stable',
].join('\n');

test('image pairs: progression values typed, blanks null, unknown value reported', (t) => {
  const { rows, issues } = readMsCxrTImagePairs(writeTemporaryFile('MS_CXR_T_temporal_image_classification_v1.0.0.csv', PAIRS));
  t.deepEqual(MS_CXR_T_FINDINGS, ['consolidation', 'edema', 'pleural_effusion', 'pneumonia', 'pneumothorax']);
  t.is(rows.length, 3);
  t.deepEqual(rows[0], {
    dicomId: 'd1',
    previousDicomId: 'p1',
    studyId: 51000001,
    previousStudyId: 50000001,
    subjectId: 10000001,
    progression: { consolidation: 'improving', edema: null, pleural_effusion: null, pneumonia: null, pneumothorax: null },
  });
  t.is(rows[1]!.progression.edema, 'worsening');
  t.is(rows[1]!.progression.pleural_effusion, 'stable');
  t.is(issues.count('bad-value'), 1);
  t.regex(issues.examples('bad-value')[0]!.message, /row 3 \(line 4\), field "pneumonia_progression": expected one of improving\|stable\|worsening or blank, got "better"/);
  t.throws(() => readMsCxrTImagePairs(writeTemporaryFile('p.csv', PAIRS), { issues: new DataIssues({ strict: true }) }), { instanceOf: DataError });
});

test('image pairs: missing column is named', (t) => {
  const error = t.throws(() => readMsCxrTImagePairs(writeTemporaryFile('p.csv', 'dicom_id,previous_dicom_id\nx,y\n')), { instanceOf: DataError });
  t.regex(error!.message, /^p\.csv: field "study_id": missing column/);
});

test('sentence pairs: categories checked, quoted sentences kept', (t) => {
  const text = [
    'sentence_1,sentence_2,category,subset_name',
    '"Small left effusion, unchanged.",Left effusion is stable.,paraphrase,RadGraph',
    'No pneumothorax.,Small pneumothorax.,contradiction,RadGraph',
    'A,B,similar,RadGraph',
    ',B,paraphrase,RadGraph',
  ].join('\n');
  const { rows, issues } = readMsCxrTSentencePairs(writeTemporaryFile('sentence_similarity.csv', text));
  t.deepEqual(rows, [
    { sentence1: 'Small left effusion, unchanged.', sentence2: 'Left effusion is stable.', category: 'paraphrase', subsetName: 'RadGraph' },
    { sentence1: 'No pneumothorax.', sentence2: 'Small pneumothorax.', category: 'contradiction', subsetName: 'RadGraph' },
  ]);
  t.is(issues.count('bad-value'), 2);
  t.regex(issues.examples('bad-value')[1]!.message, /row 4 \(line 5\), field "sentence_1": blank sentence/);
});
