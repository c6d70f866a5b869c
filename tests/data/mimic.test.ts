import test from 'ava';
import { DataError, DataIssues } from '../../lib/data/errors.ts';
import {
  classifyViewPosition,
  mimicImagePath,
  mimicReportPath,
  pairFrontalLateral,
  parseStudyTimestamp,
  readMimicLabels,
  readMimicMetadata,
  readMimicSplit,
} from '../../lib/data/mimic.ts';
import { writeTemporaryFile } from './fixture_paths.ts';

const METADATA_HEADER =
  'dicom_id,subject_id,study_id,PerformedProcedureStepDescription,ViewPosition,Rows,Columns,StudyDate,StudyTime,ProcedureCodeSequence_CodeMeaning,ViewCodeSequence_CodeMeaning,PatientOrientationCodeSequence_CodeMeaning';
const METADATA = [
  METADATA_HEADER,
  '02aa804e-bde0afdd-112c0b34-7bc16630-4e384014,10000032,50414267,CHEST (PA AND LAT),PA,3056,2544,21800506,213014.531,CHEST (PA AND LAT),postero-anterior,Erect',
  '174413ec-4ec4c1f7-34ea26b7-c5f994f8-79ef1962,10000032,50414267,CHEST (PA AND LAT),LATERAL,3056,2544,21800506,213014.531,CHEST (PA AND LAT),lateral,Erect',
  '2a2277a9-b0ded155-c0de8eb9-c124d10e-82c5caab,10000032,53189527,CHEST (PA AND LAT),PA,3056,2544,21800626,165500.312,CHEST (PA AND LAT),postero-anterior,Erect',
  'e084de3b-be89b11e-20fe3f9f-9c8d8dfe-4cfd202c,10000032,53189527,CHEST (PA AND LAT),LL,3056,2544,21800626,165500.312,CHEST (PA AND LAT),left lateral,Erect',
  '68b5c4b1-227d0485-9cc38c3f-7b84ab51-4b472714,10000032,53911762,CHEST (PORTABLE AP),AP,2705,2539,21800723,80556.875,CHEST (PORTABLE AP),antero-posterior,Erect',
  'fffabebf-74fd3a1f-673b6b41-96ec0ac9-2ab69818,10000032,53911762,CHEST (PORTABLE AP),,2705,2539,21800723,80556.875,CHEST (PORTABLE AP),,',
  'aaaa0001-00000000-00000000-00000000-00000001,10000764,57375967,CHEST,AP AXIAL,2022,2022,21321015,102553,CHEST,,',
  'aaaa0002-00000000-00000000-00000000-00000002,10000764,57375967,CHEST,OBLIQUE,2022,2022,21321015,102553,CHEST,,',
  'aaaa0003-00000000-00000000-00000000-00000003,10000764,57375967,CHEST,PA,2022,2022,2132101,102553,CHEST,,',
].join('\n');

test('view classification follows the §1.6 rule', (t) => {
  t.deepEqual(classifyViewPosition('PA'), { view: 'frontal', known: true });
  t.deepEqual(classifyViewPosition(' ap '), { view: 'frontal', known: true });
  t.deepEqual(classifyViewPosition('LATERAL'), { view: 'lateral', known: true });
  t.deepEqual(classifyViewPosition('LL'), { view: 'lateral', known: true });
  for (const other of ['AP AXIAL', 'LAO', 'RAO', 'XTABLE LATERAL', '', null]) t.deepEqual(classifyViewPosition(other), { view: 'other', known: true });
  t.deepEqual(classifyViewPosition('OBLIQUE'), { view: 'other', known: false });
});

test('study timestamps: HHMMSS.fff, lost leading zeros, no fraction; sortable', (t) => {
  t.is(parseStudyTimestamp('21800506', '213014.531'), Date.UTC(2180, 4, 6, 21, 30, 14, 531));
  t.is(parseStudyTimestamp('21800723', '84512.5'), Date.UTC(2180, 6, 23, 8, 45, 12, 500));
  t.is(parseStudyTimestamp('21800723', '084512'), Date.UTC(2180, 6, 23, 8, 45, 12));
  t.is(parseStudyTimestamp('21800723', '512'), Date.UTC(2180, 6, 23, 0, 5, 12));
  t.true(parseStudyTimestamp('21800506', '235959.999') < parseStudyTimestamp('21800507', '0.0'));
  t.throws(() => parseStudyTimestamp('2180056', '1'), { instanceOf: RangeError, message: /YYYYMMDD/ });
  t.throws(() => parseStudyTimestamp('21800230', '1'), { instanceOf: RangeError, message: /calendar/ });
  t.throws(() => parseStudyTimestamp('21800506', '256000'), { instanceOf: RangeError, message: /out of range/ });
  t.throws(() => parseStudyTimestamp('21800506', '12:00'), { instanceOf: RangeError });
});

test('paths from ids: pNN is the first two digits of the subject id', (t) => {
  t.is(mimicImagePath(10000032, 50414267, '02aa804e'), 'files/p10/p10000032/s50414267/02aa804e.jpg');
  t.is(mimicImagePath('19999987', '58971208', 'x'), 'files/p19/p19999987/s58971208/x.jpg');
  t.is(mimicReportPath(10000032, 50414267), 'files/p10/p10000032/s50414267.txt');
  t.throws(() => mimicReportPath('abc', 1), { instanceOf: RangeError });
});

test('metadata: typed rows, unknown view counted but kept as other, bad date skipped', (t) => {
  const path = writeTemporaryFile('mimic-cxr-2.0.0-metadata.csv', METADATA);
  const { rows, issues } = readMimicMetadata(path);
  t.is(rows.length, 8);
  const first = rows[0]!;
  t.is(first.subjectId, 10000032);
  t.is(first.studyId, 50414267);
  t.is(first.view, 'frontal');
  t.is(first.rows, 3056);
  t.is(first.viewCodeMeaning, 'postero-anterior');
  t.is(rows[4]!.timestamp, Date.UTC(2180, 6, 23, 8, 5, 56, 875));
  t.is(rows[5]!.viewPosition, null);
  t.is(rows[5]!.view, 'other');
  t.is(rows[7]!.view, 'other');
  t.is(issues.count('unknown-view'), 1);
  t.is(issues.examples('unknown-view')[0]!.message, 'mimic-cxr-2.0.0-metadata.csv: row 8 (line 9), field "ViewPosition": unknown ViewPosition "OBLIQUE"');
  t.is(issues.count('bad-value'), 1);
  t.regex(issues.examples('bad-value')[0]!.message, /row 9 \(line 10\), field "StudyDate"/);
});

test('metadata: strict mode throws on the bad view position', (t) => {
  const path = writeTemporaryFile('mimic-cxr-2.0.0-metadata.csv', METADATA);
  const error = t.throws(() => readMimicMetadata(path, { issues: new DataIssues({ strict: true }) }), { instanceOf: DataError });
  t.is(error?.kind, 'unknown-view');
  t.is(error?.row, 8);
});

test('metadata: missing column names file and column', (t) => {
  const path = writeTemporaryFile('meta.csv', 'dicom_id,subject_id,study_id,StudyDate,StudyTime\nx,1,2,21800101,1\n');
  const error = t.throws(() => readMimicMetadata(path), { instanceOf: DataError });
  t.regex(error!.message, /^meta\.csv: field "ViewPosition": missing column "ViewPosition"/);
});

test('frontal/lateral pairing: each frontal gets the first lateral of its study or none', (t) => {
  const { rows } = readMimicMetadata(writeTemporaryFile('m.csv', METADATA));
  const pairs = pairFrontalLateral(rows);
  t.deepEqual(
    pairs.map((pair) => [pair.frontal.dicomId.slice(0, 8), pair.lateral?.dicomId.slice(0, 8) ?? null]),
    [['02aa804e', '174413ec'], ['2a2277a9', 'e084de3b'], ['68b5c4b1', null]],
  );
  const images = [
    { studyId: 1, view: 'lateral' as const, id: 'L1' },
    { studyId: 1, view: 'frontal' as const, id: 'F1' },
    { studyId: 1, view: 'lateral' as const, id: 'L2' },
    { studyId: 1, view: 'frontal' as const, id: 'F2' },
    { studyId: 2, view: 'other' as const, id: 'O' },
  ];
  t.deepEqual(pairFrontalLateral(images).map((pair) => `${pair.frontal.id}-${pair.lateral?.id}`), ['F1-L1', 'F2-L1']);
});

test('split file: values checked', (t) => {
  const path = writeTemporaryFile('split.csv', 'dicom_id,study_id,subject_id,split\na,50414267,10000032,train\nb,1,2,validate\nc,1,2,val\nd,3,4,test\n');
  const { rows, issues } = readMimicSplit(path);
  t.deepEqual(rows.map((row) => `${row.dicomId}:${row.split}`), ['a:train', 'b:validate', 'd:test']);
  t.regex(issues.examples('bad-value')[0]!.message, /^split\.csv: row 3 \(line 4\), field "split": expected one of train\|validate\|test/);
});

test('chexpert/negbio label file: 1.0/0.0/-1.0/blank → 1/0/-1/null', (t) => {
  const labels = 'Atelectasis,Cardiomegaly,Consolidation,Edema,Enlarged Cardiomediastinum,Fracture,Lung Lesion,Lung Opacity,No Finding,Pleural Effusion,Pleural Other,Pneumonia,Pneumothorax,Support Devices';
  const text = `subject_id,study_id,${labels}\n10000032,50414267,,,,,,,,,1.0,,,,,\n10000032,53189527,-1.0,0.0,,1.0,,,,,,0.0,,,,\n10000764,1,2.0,,,,,,,,,,,,,\n`;
  const { rows, issues } = readMimicLabels(writeTemporaryFile('mimic-cxr-2.0.0-chexpert.csv', text));
  t.is(rows.length, 2);
  t.is(rows[0]!.labels['No Finding'], 1);
  t.is(rows[0]!.labels.Atelectasis, null);
  t.is(rows[1]!.labels.Atelectasis, -1);
  t.is(rows[1]!.labels.Cardiomegaly, 0);
  t.is(rows[1]!.labels.Edema, 1);
  t.is(rows[1]!.labels['Pleural Effusion'], 0);
  t.regex(issues.examples('bad-value')[0]!.message, /row 3 \(line 4\), field "Atelectasis": expected 1, 0, -1 or blank, got "2.0"/);
});
