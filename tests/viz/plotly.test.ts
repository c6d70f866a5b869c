import test from 'ava';
import vm from 'node:vm';
import { PLOTLY_MIME, figureBundle, figureHtml, figuresPageHtml, plotlyJsVersion, plotlyLoaderHtml, showFigure } from '../../lib/viz/plotly.ts';

const figure = {
  data: [{ x: [1, 2, 3], y: [4, 5, 6], type: 'scatter', name: 'a</script><b>' }],
  layout: { title: { text: 'T' }, height: 300 },
};

test('the bundle has the plotly mime type with the figure as JSON, an HTML fallback and plain text', (t) => {
  const bundle = figureBundle(figure, { includeLoader: false, divId: 'd1' });
  t.deepEqual(Object.keys(bundle).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
  t.deepEqual(bundle[PLOTLY_MIME], { data: figure.data, layout: figure.layout, config: {} });
  t.is(bundle['text/plain'], '<Plotly figure "T": 1 trace(s)>');
  const html = bundle['text/html'] as string;
  t.true(html.startsWith('<div id="d1" class="medst-plotly" style="width:100%;height:300px;"></div>'));
  t.notRegex(html, /plotly\.js-dist/, 'no loader when not asked for');
});

test('the loader is embedded only when asked for, and carries plotly.js-dist-min', (t) => {
  const withLoader = figureBundle(figure, { includeLoader: true, divId: 'd2' })['text/html'] as string;
  t.true(withLoader.startsWith(`<script type="text/javascript">/* plotly.js-dist-min ${plotlyJsVersion()} */`));
  t.true(withLoader.length > 1_000_000, 'the full plotly.js source is inlined');
  t.is(withLoader.match(/plotly\.js-dist-min/g)?.length, 1);
  t.true(withLoader.length < 6_000_000, 'the minified build');
});

test('figure JSON cannot break out of its script element', (t) => {
  const html = figureHtml(figure, 'd3');
  // Only the closing tag of our own script may appear.
  t.is(html.match(/<\/script>/g)?.length, 1);
  t.regex(html, /a\\u003c\/script>\\u003cb>/);
});

test('the HTML fallback draws with window.Plotly.newPlot once Plotly is present', (t) => {
  const calls: unknown[][] = [];
  const html = figureHtml(figure, 'd4');
  const script = html.slice(html.indexOf('<script type="text/javascript">') + 31, html.lastIndexOf('</script>'));
  const window: Record<string, unknown> = {};
  const timers: Array<() => void> = [];
  vm.runInNewContext(script, { window, setTimeout: (fn: () => void) => timers.push(fn) });
  t.is(calls.length, 0);
  t.is(timers.length, 1, 'waits for plotly.js to load');
  window.Plotly = { newPlot: (...args: unknown[]) => calls.push(args) };
  timers.shift()!();
  t.is(calls.length, 1);
  const [divId, data, layout, config] = calls[0]!;
  t.is(divId, 'd4');
  t.deepEqual(data, figure.data);
  t.deepEqual(layout, figure.layout);
  t.deepEqual(config, { responsive: true });
});

test('the loader sets window.Plotly even on pages with AMD or CommonJS globals', (t) => {
  // The two UMD preambles seen in plotly.js builds: CommonJS-first (plotly.js-dist 4) and AMD-first.
  const umdSources = [
    '(function(root, factory){ if (typeof module === "object" && module.exports) { module.exports = factory(); } else { root.moduleName = factory(); } }(typeof self !== "undefined" ? self : this, () => { var Plotly = { newPlot() {} }; window.Plotly = Plotly; return Plotly; }));',
    '!function(t,e){"object"==typeof exports&&"undefined"!=typeof module?module.exports=e():"function"==typeof define&&define.amd?define([],e):(t.Plotly=e())}(window,function(){return { newPlot(){} }});',
  ];
  for (const source of umdSources) {
    const loader = plotlyLoaderHtml(source);
    const script = loader.slice(loader.indexOf('\n') + 1, loader.lastIndexOf('</script>'));
    const page: Record<string, unknown> = {
      define: Object.assign(() => t.fail('AMD define must not be used'), { amd: true }),
      module: { exports: {} },
      exports: {},
    };
    page.window = page;
    page.self = page;
    vm.runInNewContext(script, page);
    t.is(typeof (page.Plotly as { newPlot?: unknown })?.newPlot, 'function');
    t.deepEqual((page.module as { exports: object }).exports, {});
  }
});

test('a standalone page includes the loader once and every figure', (t) => {
  const page = figuresPageHtml('Report <1>', [{ heading: 'A', figure }, { figure }]);
  t.is(page.match(/plotly\.js-dist/g)?.length, 1);
  t.regex(page, /<title>Report &lt;1&gt;<\/title>/);
  t.is(page.match(/class="medst-plotly"/g)?.length, 2);
});

test('showFigure outside a notebook sends nothing and returns nothing', (t) => {
  t.is(showFigure(figure), undefined);
});

test('a figure without a data array is rejected', (t) => {
  t.throws(() => figureBundle({ data: 'x' } as never, { includeLoader: false }), { message: /figure.data must be an array/ });
});
