// SVG evaluation plots: ROC and precision-recall curves, confusion-matrix heatmaps, training
// curves and the atomic SVG writer. Every plot is checked for XML well-formedness and for the
// numbers it shows, read back from the SVG text.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import test from 'ava';

import {
  IOError,
  ValueError,
  confusionMatrixSvg,
  historyToSvg,
  normalizeConfusionMatrix,
  precisionRecallCurveSvg,
  rocCurveSvg,
  saveHistorySvg,
  saveSvg,
  trainingCurvesSvg,
} from '../ts';
import type { History } from '../ts';
import { niceTicks } from '../ts/svg/writer';

// ---------------------------------------------------------------------------------------------
// A tiny XML well-formedness checker: one root, balanced and properly nested tags, quoted and
// unique attributes, no bare `<` or `&` in text or attribute values.

const NAME = '[A-Za-z_][\\w.:-]*';
const TAG = new RegExp(`^<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*"[^"<]*")*)\\s*(/?)>$`);
const ATTR = new RegExp(`(${NAME})\\s*=\\s*"([^"]*)"`, 'g');
const BARE_AMP = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;

function xmlProblem(xml: string): string | undefined {
  const stack: string[] = [];
  let roots = 0;
  for (const [token] of xml.matchAll(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<[^<>]*>|[^<]+|</g)) {
    if (token.startsWith('<!--') || (token.startsWith('<?') && roots === 0)) continue;
    if (!token.startsWith('<')) {
      if (BARE_AMP.test(token)) return `bare & in text ${JSON.stringify(token)}`;
      if (stack.length === 0 && token.trim() !== '') return `text outside the root: ${JSON.stringify(token)}`;
      continue;
    }
    const m = TAG.exec(token);
    if (m === null) return `malformed tag ${JSON.stringify(token)}`;
    const [, close, name, attrs, selfClose] = m as unknown as [string, string, string, string, string];
    const names = [...attrs.matchAll(ATTR)].map((a) => a[1]!);
    if (new Set(names).size !== names.length) return `duplicate attribute in ${token}`;
    if ([...attrs.matchAll(ATTR)].some((a) => BARE_AMP.test(a[2]!))) return `bare & in an attribute of ${token}`;
    if (close === '/') {
      if (attrs !== '' || selfClose === '/') return `malformed closing tag ${token}`;
      const open = stack.pop();
      if (open !== name) return `</${name}> closes <${open ?? 'nothing'}>`;
      continue;
    }
    if (stack.length === 0 && roots++ > 0) return `second root element <${name}>`;
    if (selfClose !== '/') stack.push(name);
  }
  if (stack.length > 0) return `unclosed <${stack.join('>, <')}>`;
  return roots === 1 ? undefined : 'no root element';
}

function assertWellFormed(t: { is: (a: unknown, b: unknown, m?: string) => void }, svg: string): void {
  t.is(xmlProblem(svg), undefined, 'the SVG is well-formed XML');
}

type Attributes = Record<string, string>;

/** Attributes of every `<tag ...>` (optionally only those with `class="cls"`), in document order. */
function elements(svg: string, tag: string, cls?: string): Attributes[] {
  return [...svg.matchAll(new RegExp(`<${tag}\\b([^>]*?)/?>`, 'g'))]
    .map((m) => Object.fromEntries([...m[1]!.matchAll(ATTR)].map((a) => [a[1]!, a[2]!])))
    .filter((a) => cls === undefined || a.class === cls);
}

/** Raw (still escaped) contents of every `<text class="cls">`. */
function texts(svg: string, cls?: string): string[] {
  return [...svg.matchAll(/<text\b([^>]*)>([^<]*)<\/text>/g)].filter((m) => cls === undefined || m[1]!.includes(`class="${cls}"`)).map((m) => m[2]!);
}

function points(polyline: Attributes): [number, number][] {
  return polyline.points!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
}

function plotArea(svg: string): { left: number; top: number; right: number; bottom: number } {
  const rects = elements(svg, 'rect', 'plot-area');
  if (rects.length !== 1) throw new Error(`expected one plot area, found ${rects.length}`);
  const r = rects[0]!;
  const [left, top, width, height] = [r.x, r.y, r.width, r.height].map(Number) as [number, number, number, number];
  return { left, top, right: left + width, bottom: top + height };
}

/** Maps data (x, y) in the unit square to pixels of `svg`'s plot area. */
function unitToPixel(svg: string, x: number, y: number): [number, number] {
  const a = plotArea(svg);
  return [a.left + x * (a.right - a.left), a.bottom - y * (a.bottom - a.top)];
}

function closeTo(t: { true: (v: boolean, m?: string) => void }, got: [number, number][], want: [number, number][]): void {
  t.true(got.length === want.length && got.every(([x, y], i) => Math.abs(x - want[i]![0]) <= 0.01 && Math.abs(y - want[i]![1]) <= 0.01), `points ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

// ---------------------------------------------------------------------------------------------

test('the XML checker accepts a good document and rejects broken ones', (t) => {
  t.is(xmlProblem('<svg xmlns="x"><g a="1"><text>a &amp; b &lt; c</text></g><rect/></svg>\n'), undefined);
  t.regex(xmlProblem('<svg><g></svg>') ?? '', /closes/);
  t.regex(xmlProblem('<svg><text>a < b</text></svg>') ?? '', /malformed/);
  t.regex(xmlProblem('<svg><text>cat & dog</text></svg>') ?? '', /bare &/);
  t.regex(xmlProblem('<svg a="1" a="2"/>') ?? '', /duplicate/);
  t.regex(xmlProblem('<svg x=1/>') ?? '', /malformed/);
  t.regex(xmlProblem('<svg/><svg/>') ?? '', /second root/);
  t.regex(xmlProblem('<svg><g>') ?? '', /unclosed/);
});

test('nice ticks are 1, 2 or 5 times a power of ten', (t) => {
  t.deepEqual(niceTicks(0, 1, { extend: false }).values, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  t.deepEqual(niceTicks(0.13, 0.97), { lo: 0, hi: 1, step: 0.2, values: [0, 0.2, 0.4, 0.6, 0.8, 1] });
  t.deepEqual(niceTicks(3, 47).values, [0, 10, 20, 30, 40, 50]);
  t.deepEqual(niceTicks(1, 5, { extend: false, maxTicks: 6, integer: true }).values, [1, 2, 3, 4, 5]);
  t.deepEqual(niceTicks(0.3, 0.31).values, [0.3, 0.302, 0.304, 0.306, 0.308, 0.31]);
  t.deepEqual(niceTicks(-12, 7).values, [-15, -10, -5, 0, 5, 10]);
  t.deepEqual(niceTicks(2, 2).values, [1.8, 1.9, 2, 2.1, 2.2], 'an empty range is widened around its value');
});

test('rocCurveSvg maps points into the unit-square plot area with the chance diagonal and AUC legend', (t) => {
  const svg = rocCurveSvg({ fpr: [0, 0.5, 1], tpr: [0, 1, 1], auc: 0.9731 });
  assertWellFormed(t, svg);
  t.regex(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="480" height="440" viewBox="0 0 480 440"/);
  const lines = elements(svg, 'polyline', 'series');
  t.is(lines.length, 1);
  // (0.5, 1) is half-way across and at the very top of the plot area.
  const a = plotArea(svg);
  closeTo(t, points(lines[0]!), [
    [a.left, a.bottom],
    [(a.left + a.right) / 2, a.top],
    [a.right, a.top],
  ]);
  t.true(a.right > a.left + 300 && a.bottom > a.top + 300, 'the plot area fills most of the 480x440 document');
  const diagonal = elements(svg, 'line', 'diagonal');
  t.is(diagonal.length, 1);
  closeTo(t, [[Number(diagonal[0]!.x1), Number(diagonal[0]!.y1)], [Number(diagonal[0]!.x2), Number(diagonal[0]!.y2)]], [unitToPixel(svg, 0, 0), unitToPixel(svg, 1, 1)]);
  t.truthy(diagonal[0]!['stroke-dasharray'], 'the chance line is dashed');
  t.true(texts(svg).includes('model (AUC 0.973)'));
  t.true(texts(svg).includes('chance'));
  t.true(texts(svg, 'axis-label').includes('False positive rate') && texts(svg, 'axis-label').includes('True positive rate'));
  for (const tick of ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']) t.is(texts(svg).filter((s) => s === tick).length, 2, `tick ${tick} on both axes`);
});

test('rocCurveSvg draws one line per curve and escapes labels', (t) => {
  const svg = rocCurveSvg(
    [
      { fpr: [0, 0.2, 1], tpr: [0, 0.9, 1], label: '<cat & dog>', auc: 0.85 },
      { fpr: Float64Array.from([0, 1]), tpr: Float64Array.from([0, 1]), label: "b's \"net\"" },
    ],
    { title: 'ROC <test>', chanceLine: false },
  );
  assertWellFormed(t, svg);
  t.is(elements(svg, 'polyline', 'series').length, 2);
  t.is(elements(svg, 'line', 'diagonal').length, 0);
  t.false(texts(svg).includes('chance'));
  t.true(texts(svg).includes('&lt;cat &amp; dog&gt; (AUC 0.850)'));
  t.true(texts(svg).includes('b&apos;s &quot;net&quot;'));
  t.true(svg.includes('<title>ROC &lt;test&gt;</title>'));
  t.false(svg.includes('<cat') || svg.includes('<test>'));
  const colors = elements(svg, 'polyline', 'series').map((p) => p.stroke);
  t.not(colors[0], colors[1]);
});

test('rocCurveSvg rejects malformed curves with ValueError', (t) => {
  const bad: [unknown, RegExp][] = [
    [[], /at least one curve/],
    [{ fpr: [0, 0.5, 1], tpr: [0, 1] }, /3 fpr values but 2 tpr values/],
    [{ fpr: [], tpr: [] }, /no points/],
    [{ fpr: [0, NaN], tpr: [0, 1] }, /fpr\[1\] is NaN; values must be finite/],
    [{ fpr: [0, 1], tpr: [0, Infinity] }, /tpr\[1\] is Infinity/],
    [{ fpr: [0, 1.5], tpr: [0, 1] }, /fpr\[1\] = 1.5 is outside \[0, 1\]/],
    [{ fpr: [0, 1], tpr: [0, 1], auc: 2 }, /auc must be a number in \[0, 1\]/],
    [{ tpr: [0, 1] }, /fpr must be an array of numbers/],
    [[null], /curve 1 must be an object/],
  ];
  for (const [curves, message] of bad) {
    t.throws(() => rocCurveSvg(curves as Parameters<typeof rocCurveSvg>[0]), { instanceOf: ValueError, message }, String(message));
  }
  t.throws(() => rocCurveSvg({ fpr: [0, 1], tpr: [0, 1] }, { width: -5 }), { instanceOf: ValueError, message: /width must be a positive number/ });
});

test('precisionRecallCurveSvg draws the step function whose area is the average precision', (t) => {
  const recall = [0, 0.5, 1];
  const precision = [1, 0.8, 0.6];
  // Between two thresholds the precision of the higher-recall point holds.
  const steps: [number, number][] = [
    [0, 1],
    [0, 0.8],
    [0.5, 0.8],
    [0.5, 0.6],
    [1, 0.6],
  ];
  const up = precisionRecallCurveSvg({ recall, precision, label: 'mlp', averagePrecision: 0.7 });
  assertWellFormed(t, up);
  t.is(elements(up, 'polyline', 'series').length, 1);
  closeTo(t, points(elements(up, 'polyline', 'series')[0]!), steps.map(([r, p]) => unitToPixel(up, r, p)));
  t.true(texts(up).includes('mlp (AP 0.700)'));
  t.true(texts(up, 'axis-label').includes('Recall') && texts(up, 'axis-label').includes('Precision'));
  t.is(elements(up, 'line', 'diagonal').length, 0);
  // scikit-learn's order (recall decreasing to 0) draws the same steps, traversed backwards.
  const down = precisionRecallCurveSvg([{ recall: [...recall].reverse(), precision: [...precision].reverse() }]);
  closeTo(t, points(elements(down, 'polyline', 'series')[0]!), [...steps].reverse().map(([r, p]) => unitToPixel(down, r, p)));
  t.true(texts(down).includes('model'));
  const area = steps.slice(1).reduce((s, [r, p], i) => s + (r - steps[i]![0]) * p, 0);
  t.is(Number(area.toFixed(10)), 0.7, 'the drawn steps enclose Σ (R_n − R_{n−1}) P_n');

  t.throws(() => precisionRecallCurveSvg({ recall: [0, 1, 0.5], precision: [1, 0.5, 0.6] }), { instanceOf: ValueError, message: /recall must be sorted/ });
  t.throws(() => precisionRecallCurveSvg({ recall: [0, 1], precision: [1] }), { instanceOf: ValueError, message: /2 recall values but 1 precision values/ });
  t.throws(() => precisionRecallCurveSvg({ recall: [0, 1], precision: [1, -0.1] }), { instanceOf: ValueError, message: /outside \[0, 1\]/ });
  t.throws(() => precisionRecallCurveSvg({ recall: [0, 1], precision: [1, 0.5], averagePrecision: NaN }), { instanceOf: ValueError, message: /averagePrecision/ });
});

test('confusionMatrixSvg prints counts and row-normalised values in a grid of cells', (t) => {
  const m = [
    [3, 1],
    [2, 6],
  ];
  const svg = confusionMatrixSvg(m, { labels: ['<cat & dog>', 'bird'], title: 'Pets' });
  assertWellFormed(t, svg);
  const cells = elements(svg, 'rect', 'cell');
  t.is(cells.length, 4);
  t.deepEqual(texts(svg, 'cell-value'), ['3', '1', '2', '6']);
  t.deepEqual(texts(svg, 'row-label'), ['&lt;cat &amp; dog&gt;', 'bird']);
  t.deepEqual(texts(svg, 'col-label'), ['&lt;cat &amp; dog&gt;', 'bird']);
  t.deepEqual(texts(svg, 'axis-label'), ['Predicted', 'True']);
  t.true(texts(svg, 'chart-title').includes('Pets'));
  // Row-major grid: same size cells, columns left to right, rows top to bottom.
  const [c00, c01, c10] = cells.map((c) => ({ x: Number(c.x), y: Number(c.y), w: Number(c.width) })) as [{ x: number; y: number; w: number }, { x: number; y: number; w: number }, { x: number; y: number; w: number }];
  t.is(c01.x, c00.x + c00.w);
  t.is(c01.y, c00.y);
  t.is(c10.x, c00.x);
  t.is(c10.y, c00.y + c00.w);
  t.deepEqual(cells.map((c) => [c['data-row'], c['data-col']]), [['0', '0'], ['0', '1'], ['1', '0'], ['1', '1']]);

  const normalized = confusionMatrixSvg(m, { normalize: 'true' });
  assertWellFormed(t, normalized);
  t.deepEqual(texts(normalized, 'cell-value'), ['0.75', '0.25', '0.25', '0.75']);
  t.deepEqual(texts(normalized, 'row-label'), ['0', '1']);
  t.deepEqual(texts(confusionMatrixSvg(m, { normalize: 'all', digits: 3 }), 'cell-value'), ['0.250', '0.083', '0.167', '0.500']);
  t.deepEqual(texts(confusionMatrixSvg([[0.5, 1.25], [2, 0]]), 'cell-value'), ['0.5', '1.25', '2', '0']);
});

test('normalizeConfusionMatrix divides by row, column or total sums and maps empty classes to 0', (t) => {
  const m = [
    [3, 1],
    [2, 6],
  ];
  t.deepEqual(normalizeConfusionMatrix(m, 'true'), [
    [0.75, 0.25],
    [0.25, 0.75],
  ]);
  t.deepEqual(normalizeConfusionMatrix(m, 'pred'), [
    [3 / 5, 1 / 7],
    [2 / 5, 6 / 7],
  ]);
  t.deepEqual(normalizeConfusionMatrix(m, 'all'), [
    [3 / 12, 1 / 12],
    [2 / 12, 6 / 12],
  ]);
  const copy = normalizeConfusionMatrix(m, undefined);
  t.deepEqual(copy, m);
  t.not(copy, m);
  t.deepEqual(normalizeConfusionMatrix([[0, 0], [1, 3]], 'true'), [
    [0, 0],
    [0.25, 0.75],
  ]);
  t.deepEqual(normalizeConfusionMatrix([[0, 2], [0, 3]], 'pred'), [
    [0, 0.4],
    [0, 0.6],
  ]);
  for (const row of normalizeConfusionMatrix([[5, 2, 1], [0, 4, 4], [3, 3, 9]], 'true')) t.is(Number(row.reduce((a, b) => a + b).toFixed(12)), 1);
});

test('confusion-matrix cells get darker as counts grow and their text stays readable', (t) => {
  const m = [
    [0, 1, 2],
    [4, 8, 16],
    [32, 64, 128],
  ];
  const svg = confusionMatrixSvg(m);
  const fills = elements(svg, 'rect', 'cell').map((c) => c.fill!);
  t.is(fills.length, 9);
  t.is(fills[0], '#ffffff', 'zero is white');
  t.is(fills[8], '#08306b', 'the maximum is the darkest blue');
  const lum = fills.map(luminance);
  for (let i = 1; i < lum.length; i++) t.true(lum[i]! < lum[i - 1]!, `count ${m.flat()[i]} is darker than ${m.flat()[i - 1]} (${fills[i - 1]} -> ${fills[i]})`);
  for (const f of fills) t.regex(f, /^#[0-9a-f]{6}$/);
  // Blue-ish: the blue channel dominates on every non-white cell.
  for (const f of fills.slice(1)) t.true(parseInt(f.slice(5, 7), 16) > parseInt(f.slice(1, 3), 16));
  const textFills = elements(svg, 'text', 'cell-value').map((e) => e.fill!);
  t.is(textFills[0], '#1a1a1a', 'dark text on white');
  t.is(textFills[8], '#ffffff', 'white text on dark blue');
  // Each text colour is the one with more contrast against its cell.
  textFills.forEach((tf, i) => {
    const bg = luminance(fills[i]!);
    const ratio = (a: number, b: number): number => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    t.true(ratio(bg, luminance(tf)) >= ratio(bg, luminance(tf === '#ffffff' ? '#1a1a1a' : '#ffffff')));
  });
  t.is(elements(svg, 'linearGradient').length, 1, 'a colour bar');
  t.is(elements(confusionMatrixSvg(m, { colorbar: false }), 'linearGradient').length, 0);
  // An all-zero matrix is all white rather than NaN.
  t.deepEqual(elements(confusionMatrixSvg([[0, 0], [0, 0]]), 'rect', 'cell').map((c) => c.fill), ['#ffffff', '#ffffff', '#ffffff', '#ffffff']);
});

test('confusionMatrixSvg rejects bad matrices and labels with ValueError', (t) => {
  const bad: [unknown, unknown, RegExp][] = [
    [[], {}, /non-empty square matrix/],
    [[[1, 2], [3]], {}, /must be square, but it has 2 rows and row 1 has 1 entries/],
    [[[1, 2, 3], [4, 5, 6]], {}, /must be square/],
    [[[1, NaN], [0, 1]], {}, /matrix\[0\]\[1\] is NaN/],
    [[[1, -1], [0, 1]], {}, /matrix\[0\]\[1\] is -1; entries must be finite counts >= 0/],
    [[[1, 0], [0, 1]], { labels: ['a'] }, /labels must name each of the 2 classes, got 1 labels/],
    [[[1, 0], [0, 1]], { labels: ['a', 3] }, /labels\[1\] must be a string/],
    [[[1, 0], [0, 1]], { normalize: 'rows' }, /normalize must be 'true', 'pred', 'all' or undefined, got "rows"/],
    [[[1, 0], [0, 1]], { digits: -1 }, /digits/],
    [[1, 2], {}, /row 0 is not an array/],
  ];
  for (const [matrix, options, message] of bad) {
    t.throws(() => confusionMatrixSvg(matrix as number[][], options as Parameters<typeof confusionMatrixSvg>[1]), { instanceOf: ValueError, message }, String(message));
  }
  t.throws(() => normalizeConfusionMatrix([[1, 2]], 'true'), { instanceOf: ValueError, message: /square/ });
});

function fakeHistory(history: Record<string, number[]>): History {
  return { epochs: [], cancelled: false, stopped: false, history };
}

test('historyToSvg is trainingCurvesSvg: one panel per metric family, epochs on x', (t) => {
  const h = fakeHistory({ loss: [1, 0.6, 0.4, 0.35, 0.3], val_loss: [1.1, 0.7, 0.5, 0.48, 0.5], accuracy: [0.5, 0.7, 0.8, 0.85, 0.9] });
  const svg = historyToSvg(h);
  assertWellFormed(t, svg);
  t.is(svg, trainingCurvesSvg(h));
  t.regex(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="640" height="480"/);
  t.is((svg.match(/<polyline/g) ?? []).length, 3);
  t.regex(svg, />loss</);
  t.deepEqual(texts(svg, 'chart-title'), ['loss', 'accuracy']);
  t.is(texts(svg, 'axis-label').filter((s) => s === 'epoch').length, 2);
  const [loss, valLoss, acc] = elements(svg, 'polyline', 'series').map(points) as [[number, number][], [number, number][], [number, number][]];
  t.is(loss.length, 5);
  t.is(valLoss.length, 5);
  // Epochs are evenly spaced; lower loss is lower on the page (larger y).
  const dx = loss[1]![0] - loss[0]![0];
  t.true(dx > 0 && loss.every(([x], i) => Math.abs(x - (loss[0]![0] + i * dx)) < 0.02));
  t.true(loss[4]![1] > loss[0]![1]);
  t.true(acc[4]![1] < acc[0]![1]);
  t.true(acc[0]![1] > 240, 'the accuracy panel sits below the loss panel');
  for (const e of ['1', '2', '3', '4', '5']) t.true(texts(svg).includes(e), `epoch tick ${e}`);
  // keys and sizes as before.
  const only = historyToSvg(h, { keys: ['val_loss'], width: 400, height: 200 });
  t.regex(only, /width="400" height="200"/);
  t.is(elements(only, 'polyline', 'series').length, 1);
});

test('trainingCurvesSvg skips non-finite values and validates the history', (t) => {
  const svg = trainingCurvesSvg(fakeHistory({ loss: [1, NaN, 0.5, Infinity] }));
  assertWellFormed(t, svg);
  t.is(points(elements(svg, 'polyline', 'series')[0]!).length, 2);
  const one = trainingCurvesSvg(fakeHistory({ loss: [0.7] }));
  t.is(elements(one, 'circle').length, 1, 'a single epoch is marked with a dot');
  t.throws(() => trainingCurvesSvg(fakeHistory({ loss: [1] }), { keys: ['acc'] }), { instanceOf: ValueError, message: /no "acc" in the history; logged keys: loss/ });
  t.throws(() => trainingCurvesSvg(fakeHistory({})), { instanceOf: ValueError, message: /logs no metrics/ });
  t.throws(() => trainingCurvesSvg(fakeHistory({ loss: [] })), { instanceOf: ValueError, message: /no epochs/ });
  t.throws(() => trainingCurvesSvg(undefined as unknown as History), { instanceOf: ValueError, message: /History returned by fit/ });
});

test('saveSvg writes atomically, creating directories and leaving no temporary file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-plots-'));
  const file = path.join(dir, 'nested', 'deeper', 'roc.svg');
  const svg = rocCurveSvg({ fpr: [0, 1], tpr: [0, 1] });
  saveSvg(file, svg);
  t.is(fs.readFileSync(file, 'utf8'), svg);
  t.deepEqual(fs.readdirSync(path.dirname(file)), ['roc.svg']);
  // Overwrites in place.
  const cm = confusionMatrixSvg([[1, 0], [0, 1]]);
  saveSvg(file, cm);
  t.is(fs.readFileSync(file, 'utf8'), cm);
  t.deepEqual(fs.readdirSync(path.dirname(file)), ['roc.svg']);
  // A failing rename (the target is a directory) is an IOError and cleans up the temporary file.
  const blocked = path.join(dir, 'blocked.svg');
  fs.mkdirSync(path.join(blocked, 'child'), { recursive: true });
  t.throws(() => saveSvg(blocked, svg), { instanceOf: IOError, message: /saveSvg: cannot write .*blocked\.svg/ });
  t.false(fs.existsSync(`${blocked}.tmp-${process.pid}`));
  t.throws(() => saveSvg(path.join(dir, 'x.svg'), 'not svg'), { instanceOf: ValueError, message: /expected SVG text/ });
  t.throws(() => saveSvg('', svg), { instanceOf: ValueError, message: /path must be a non-empty string/ });
  t.false(fs.existsSync(path.join(dir, 'x.svg')));
  // saveHistorySvg goes through the same writer.
  const h = fakeHistory({ loss: [1, 0.5] });
  await saveHistorySvg(h, path.join(dir, 'h', 'history.svg'));
  t.is(fs.readFileSync(path.join(dir, 'h', 'history.svg'), 'utf8'), historyToSvg(h));
  t.deepEqual(fs.readdirSync(path.join(dir, 'h')), ['history.svg']);
  fs.rmSync(dir, { recursive: true, force: true });
});
