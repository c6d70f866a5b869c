import test from 'ava';
import { DataError, DataIssues } from '../../lib/data/errors.ts';
import {
  DEID_TOKEN,
  cleanReportText,
  cleanSectionedReport,
  readReportFile,
  reportContent,
  sectionReport,
  splitSentences,
  tokenizeWords,
} from '../../lib/data/report.ts';
import { writeTemporaryFile } from './fixture_paths.ts';

// A MIMIC-style report: centred FINAL REPORT, header text on the same line, wrapped lines, ___ de-id.
const MIMIC_REPORT = `                                 FINAL REPORT
 EXAMINATION:  CHEST (PA AND LAT)

 INDICATION:  ___F with new onset ascites  // eval for infection

 TECHNIQUE:  Chest PA and lateral

 COMPARISON:  None.

 FINDINGS:

 There is no focal consolidation, pleural effusion or pneumothorax.  Bilateral
 nodular opacities that most likely represent nipple shadows. The
 cardiomediastinal silhouette is normal.

 IMPRESSION:

 No acute cardiopulmonary process.
`;

test('sections MIMIC-style report text', (t) => {
  const { sections, byKey, preamble } = sectionReport(MIMIC_REPORT);
  t.deepEqual(sections.map((section) => section.key), ['final_report', 'examination', 'indication', 'technique', 'comparison', 'findings', 'impression']);
  t.is(preamble, '');
  t.is(byKey['examination'], 'CHEST (PA AND LAT)');
  t.is(byKey['indication'], '___F with new onset ascites  // eval for infection');
  t.is(byKey['comparison'], 'None.');
  t.true(byKey['findings']!.startsWith('There is no focal consolidation'));
  t.true(byKey['findings']!.endsWith('silhouette is normal.'));
  t.is(byKey['impression'], 'No acute cardiopulmonary process.');
  t.false('final_report' in byKey); // header without text
});

test('sections: wet read, history, aliases, unknown upper-case headers, missing sections', (t) => {
  const text = [
    'WET READ: ___ ___ 9:45 AM',
    '  No pneumothorax.',
    'HISTORY: Cough.',
    'CLINICAL HISTORY: Fever.',
    'PA AND LATERAL VIEWS OF THE CHEST: Lungs are clear.',
    'Note: this line has a lower-case label and stays in the section.',
    'IMPRESSIONS: Normal.',
  ].join('\n');
  const { byKey, sections } = sectionReport(text);
  t.is(byKey['wet_read'], '___ ___ 9:45 AM\n  No pneumothorax.');
  t.is(byKey['history'], 'Cough.\nFever.');
  t.is(byKey['pa_and_lateral_views_of_the_chest'], 'Lungs are clear.\nNote: this line has a lower-case label and stays in the section.');
  t.is(byKey['impression'], 'Normal.');
  t.false('findings' in byKey);
  t.is(sections[0]!.header, 'WET READ');
  // No header at all: everything is preamble.
  t.deepEqual(sectionReport('Lungs are clear.\nNo effusion.'), { preamble: 'Lungs are clear.\nNo effusion.', sections: [], byKey: {} });
});

test('sentence splitting: periods, numbered lists, blank lines, decimals kept', (t) => {
  t.deepEqual(splitSentences('1. No pneumonia. 2. Small left effusion.\n3) Stable 2.5 cm nodule'), [
    'No pneumonia.',
    'Small left effusion.',
    'Stable 2.5 cm nodule',
  ]);
  t.deepEqual(splitSentences('Heart size normal\n\nLungs clear'), ['Heart size normal', 'Lungs clear']);
  // Line wrapping does not split; "level 3." is a sentence end, not a list marker, so the 3 stays.
  t.deepEqual(splitSentences('Fracture at the\nlevel 3. Otherwise normal.'), ['Fracture at the level 3.', 'Otherwise normal.']);
  t.deepEqual(splitSentences('IMPRESSION: 1. Clear. 2. Normal heart.'), ['IMPRESSION:', 'Clear.', 'Normal heart.']);
});

test('word tokens: lower-case, ASCII only, de-identification as one placeholder token', (t) => {
  t.is(DEID_TOKEN, '___');
  t.deepEqual(tokenizeWords('No pleural effusion, 2.5 cm.'), ['no', 'pleural', 'effusion', '2.5', 'cm']);
  t.deepEqual(tokenizeWords('Normal chest x-XXXX.'), ['normal', 'chest', 'x', '___']);
  t.deepEqual(tokenizeWords('Inferior XXXX XXXX XXXX.'), ['inferior', '___', '___', '___']);
  t.deepEqual(tokenizeWords('___F with ascites'), ['___', 'f', 'with', 'ascites']);
  t.deepEqual(tokenizeWords('Dr. ___ was paged at ___.'), ['dr', '___', 'was', 'paged', 'at', '___']);
  t.deepEqual(tokenizeWords('Café naïve 5°C →'), ['caf', 'nave', '5', 'c']);
});

test('§1.6 cleaning: impression first, then findings; one-token sentences dropped', (t) => {
  const cleaned = cleanReportText('1. No acute process. 2. Stable.', 'Heart size normal. Lungs clear.')!;
  t.deepEqual(cleaned.sentences, [['no', 'acute', 'process'], ['heart', 'size', 'normal'], ['lungs', 'clear']]);
  t.is(cleaned.tokenCount, 8);
  t.is(cleaned.text, 'no acute process. heart size normal. lungs clear.');
  t.deepEqual(cleaned.sentenceTexts, ['no acute process', 'heart size normal', 'lungs clear']);
  const mimic = cleanSectionedReport(MIMIC_REPORT)!;
  t.deepEqual(mimic.sentences[0], ['no', 'acute', 'cardiopulmonary', 'process']);
  t.is(mimic.sentences.length, 4);
});

test('§1.6 cleaning: empty and short reports are dropped with an issue', (t) => {
  const issues = new DataIssues();
  t.is(cleanReportText(null, '  ', { issues, where: { file: 's123.txt' } }), null);
  t.is(cleanReportText('Normal.', 'Clear. Stable.', { issues, where: { file: 'r.csv', row: 4 } }), null);
  t.is(cleanReportText('No change.', null, { issues }), null); // 2 tokens < 3
  t.is(issues.count('empty-report'), 1);
  t.is(issues.count('short-report'), 2);
  t.is(issues.examples('empty-report')[0]!.message, 's123.txt: no impression and no findings');
  t.is(issues.examples('short-report')[0]!.message, 'r.csv: row 4: only 0 token(s) after cleaning (need 3)');
  t.truthy(cleanReportText('No acute change.', null));
  const strict = new DataIssues({ strict: true });
  t.throws(() => cleanReportText('', '', { issues: strict }), { instanceOf: DataError, message: /no impression and no findings/ });
});

test('readReportFile sections and cleans a report on disk, naming it in issues', (t) => {
  const path = writeTemporaryFile('s50414267.txt', MIMIC_REPORT);
  const report = readReportFile(path);
  t.is(report.cleaned!.sentences.length, 4);
  const issues = new DataIssues();
  const empty = readReportFile(writeTemporaryFile('s1.txt', 'FINAL REPORT\nINDICATION: Cough.\n'), { issues });
  t.is(empty.cleaned, null);
  t.is(issues.examples('empty-report')[0]!.message, 's1.txt: no impression and no findings');
  t.throws(() => readReportFile('/nonexistent/s2.txt'), { instanceOf: DataError, message: /^\/nonexistent\/s2\.txt: cannot read report/ });
});

test('numbered lists split the same whether or not the report wraps before each number', (t) => {
  const oneLine = '1. Vascular congestion and diffuse interstitial edema 2. Stable cardiomegaly 3. Low lung volumes';
  const expected = ['vascular congestion and diffuse interstitial edema', 'stable cardiomegaly', 'low lung volumes'];
  t.deepEqual(cleanReportText(oneLine, null)!.sentenceTexts, expected);
  t.deepEqual(cleanReportText(oneLine.replace(/ (?=\d\.)/g, '\n'), null)!.sentenceTexts, expected);
  t.deepEqual(cleanReportText('1) Mild edema 2) Small effusion.', null)!.sentenceTexts, ['mild edema', 'small effusion']);
  // Not lists: a grade or a size after a word, decimals, a number that does not continue the list.
  t.deepEqual(splitSentences('Grade 1. The heart is 2.5 cm wide. Opacity 3. Fine.'), ['Grade 1.', 'The heart is 2.5 cm wide.', 'Opacity 3.', 'Fine.']);
  t.deepEqual(splitSentences('1. Edema with a 4. rib fracture'), ['Edema with a 4.', 'rib fracture'], 'the 4 stays: it does not continue the list');
});

test('header variants of real reports: combined findings/impression, FINAL REPORT only, no headers, <BR> tags', (t) => {
  for (const header of ['FINDINGS AND IMPRESSION:', 'FINDINGS/IMPRESSION:', 'FINDINGS / IMPRESSION:']) {
    t.deepEqual(cleanSectionedReport(`${header} No acute process. Lungs are clear.`)!.sentenceTexts, ['no acute process', 'lungs are clear'], header);
  }
  const finalOnly = '                                 FINAL REPORT\n EXAMINATION:  CHEST (PORTABLE AP)\n\n INDICATION:  ___ with cough\n\n Heart size is normal.\n\n No focal consolidation. No effusion.\n';
  t.deepEqual(cleanSectionedReport(finalOnly)!.sentenceTexts, ['no focal consolidation', 'no effusion'], 'the last paragraph');
  t.deepEqual(cleanSectionedReport(finalOnly, { fallback: 'whole-text' })!.sentenceTexts, ['heart size is normal', 'no focal consolidation', 'no effusion']);
  t.is(cleanSectionedReport(finalOnly, { fallback: 'none' }), null);
  t.deepEqual(cleanSectionedReport('The lungs are clear.\nNo pneumothorax.')!.sentenceTexts, ['the lungs are clear', 'no pneumothorax'], 'no headers');
  t.deepEqual(reportContent('FINAL REPORT\nINDICATION: Cough.\n'), { impression: null, findings: null, source: 'last-paragraph' });
  const tagged = cleanSectionedReport('FINDINGS: Heart size normal.<BR>No pneumothorax <b>seen</b>.<br/>Stable < 5 mm > nodule.')!;
  t.deepEqual(tagged.sentenceTexts, ['heart size normal', 'no pneumothorax seen', 'stable 5 mm nodule']);
});
