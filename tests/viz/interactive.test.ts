/** Client-side choices in figures (sliders, menus) and the filter checks of notebook 04. */
import test from 'ava';
import { TEMPORAL_ERROR_TYPES, checkChoice, checkTemporalFilter } from '../../lib/eval/choices.ts';
import { MS_CXR_T_FINDINGS } from '../../lib/data/ms_cxr_t.ts';
import { pairBrowserFigure, scatterMenuFigure, wrapForPlotly } from '../../lib/viz/interactive.ts';

test('filters: the error types are any and the six truth→predicted pairs; a misspelt choice lists the valid ones', (t) => {
  t.deepEqual(TEMPORAL_ERROR_TYPES, ['any', 'improving→stable', 'improving→worsening', 'stable→improving', 'stable→worsening', 'worsening→improving', 'worsening→stable']);
  t.deepEqual(checkTemporalFilter('pleural_effusion', 'worsening→stable'), { finding: 'pleural_effusion', errorType: 'worsening→stable' });
  t.throws(() => checkTemporalFilter('effusion', 'any'), { message: `finding "effusion" is not one of ${MS_CXR_T_FINDINGS.join(', ')}` });
  t.throws(() => checkChoice('errorType', 'worse→stable', TEMPORAL_ERROR_TYPES), { message: /errorType "worse→stable" is not one of any, improving→stable, /});
});

test('pair browser: one slider step per item, each showing only its two images, with its title and captions', (t) => {
  const png = Uint8Array.from([137, 80, 78, 71]);
  const items = ['a', 'b', 'c'].map((label) => ({ label, left: { png, caption: `${label} before` }, right: { png: 'data:image/png;base64,AA==', caption: `${label} after` } }));
  const figure = pairBrowserFigure(items, { title: 'errors' });
  t.is(figure.data.length, 6);
  t.deepEqual(figure.data.map((trace) => trace['visible']), [true, true, false, false, false, false]);
  t.is(figure.data[0]!['source'], 'data:image/png;base64,iVBORw==');
  const steps = (figure.layout!['sliders'] as Array<{ steps: Array<{ args: [{ visible: boolean[] }, { title: { text: string }; annotations: Array<{ text: string }> }] }> }>)[0]!.steps;
  t.is(steps.length, 3);
  t.deepEqual(steps[1]!.args[0].visible, [false, false, true, true, false, false]);
  t.is(steps[2]!.args[1].title.text, 'errors: c');
  t.deepEqual(steps[2]!.args[1].annotations.map((a) => a.text), ['c before', 'c after']);
  t.throws(() => pairBrowserFigure([]), { message: /no items/ });
});

test('scatter with menus: colour buttons restyle the points only, map buttons move points and trajectory together', (t) => {
  const figure = scatterMenuFigure({
    projections: [{ name: 'UMAP', x: [0, 1], y: [2, 3] }, { name: 'PCA', x: [5, 6], y: [7, 8] }],
    colourings: [{ name: 'severity', values: [0.1, 0.9] }, { name: 'days', values: [0, 30], colorscale: 'Plasma' }],
    extra: [[{ type: 'scatter', x: [0], y: [2], name: 'patient' }], [{ type: 'scatter', x: [5], y: [7], name: 'patient' }]],
  });
  t.is(figure.data.length, 2);
  const [colour, map] = figure.layout!['updatemenus'] as Array<{ buttons: Array<{ label: string; args: [Record<string, unknown>, number[]] }> }>;
  t.deepEqual(colour!.buttons.map((b) => b.label), ['severity', 'days']);
  t.deepEqual(colour!.buttons[1]!.args, [{ 'marker.color': [[0, 30]], 'marker.colorscale': 'Plasma', 'marker.colorbar.title.text': 'days' }, [0]]);
  t.deepEqual(map!.buttons[1]!.args, [{ x: [[5, 6], [5]], y: [[7, 8], [7]] }, [0, 1]]);
});

test('long captions wrap for Plotly annotations', (t) => {
  t.is(wrapForPlotly('one two three four five', 9), 'one two<br>three<br>four five');
});
