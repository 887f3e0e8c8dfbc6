// The plot module's DOM-free parts against hand-computed values: web/js/plot/ticks.js (domains,
// scales, tick positions and labels on linear and log10 axes, number formatting) and
// web/js/plot/plot.js (layout, where drawScene puts the grid lines and tick labels, the SVG export).
// Needs no build: run with `node --test tests/node/plot.test.mjs`.
import assert from 'node:assert/strict';
import test from 'node:test';

import { drawScene, layout, sceneToSvg } from '../../web/js/plot/plot.js';
import { domain, formatNumber, scale, ticks } from '../../web/js/plot/ticks.js';

// a and b equal to rel relative (or abs 1e-12 near zero), element by element.
function close(a, b, rel = 1e-12, what = '') {
  if (Array.isArray(b)) {
    assert.equal(a.length, b.length, `${what}: length ${a.length} != ${b.length} (${a} vs ${b})`);
    b.forEach((v, i) => close(a[i], v, rel, `${what}[${i}]`));
    return;
  }
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b) + 1e-12, `${what}: ${a} != ${b}`);
}
const values = t => t.map(x => x.value);
const labels = t => t.map(x => x.label);

test('linear ticks: 1-2-5 steps from the span and the count', () => {
  // span 1, 6 ticks: raw step 1/6 -> 0.2
  const t = ticks([0, 1], false, 6);
  close(values(t), [0, 0.2, 0.4, 0.6, 0.8, 1], 1e-12, '[0,1]');
  assert.deepEqual(labels(t), ['0', '0.2', '0.4', '0.6', '0.8', '1']);
  // span 15.9, 5 ticks: raw 3.18 -> 5; the first tick is ceil(-3.7/5)*5 = -0, shown and stored as 0
  const u = ticks([-3.7, 12.2], false, 5);
  assert.deepEqual(values(u), [0, 5, 10]);
  assert.ok(Object.is(u[0].value, 0), 'no -0 tick');
  assert.deepEqual(labels(u), ['0', '5', '10']);
  // span 360000, 6 ticks: raw 60000 -> 50000; labels in exponent form from 1e5 up
  const w = ticks([120000, 480000], false, 6);
  assert.deepEqual(values(w), [150000, 200000, 250000, 300000, 350000, 400000, 450000]);
  assert.deepEqual(labels(w), ['1.50e5', '2.00e5', '2.50e5', '3.00e5', '3.50e5', '4.00e5', '4.50e5']);
  // negative range, span 0.09, 5 ticks: raw 0.018 -> 0.02
  close(values(ticks([-0.1, -0.01], false, 5)), [-0.1, -0.08, -0.06, -0.04, -0.02], 1e-12, '[-0.1,-0.01]');
  // the top end is included despite accumulated rounding (0.1 steps up to 0.7)
  close(values(ticks([0.1, 0.7], false, 6)), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], 1e-12, '[0.1,0.7]');
});

test('log ticks over two decades or more: powers of ten, thinned to the count', () => {
  // log10 range [-1.30, 3.30]: decades 10^-1 .. 10^3, five of them, every one kept
  const t = ticks([0.05, 2000], true, 6);
  close(values(t), [0.1, 1, 10, 100, 1000], 1e-15, '[0.05,2000]');
  assert.deepEqual(labels(t), ['10\u207b\u00b9', '1', '10', '10\u00b2', '10\u00b3']);
  // 19 decades 10^-12 .. 10^6, 6 ticks: every ceil(19/6) = 4th decade from 10^-12
  const u = ticks([1e-12, 1e6], true, 6);
  close(values(u), [1e-12, 1e-8, 1e-4, 1, 1e4], 1e-15, '[1e-12,1e6]');
  assert.deepEqual(labels(u), ['10\u207b\u00b9\u00b2', '10\u207b\u2078', '10\u207b\u2074', '1', '10\u2074']);
  // exact decade ends are inside (1e-9 slack on the log)
  close(values(ticks([1, 100], true, 6)), [1, 10, 100], 1e-15, '[1,100]');
});

test('log ticks under two decades: 1-2-5, then every digit, then linear', () => {
  // [3, 80]: 1-2-5 multiples inside are 5, 10, 20, 50 (>= 4 of them)
  const t = ticks([3, 80], true, 6);
  assert.deepEqual(values(t), [5, 10, 20, 50]);
  assert.deepEqual(labels(t), ['5', '10', '20', '50']);
  // [2.5, 9]: 1-2-5 gives only 5, so every digit 3..9
  assert.deepEqual(values(ticks([2.5, 9], true, 6)), [3, 4, 5, 6, 7, 8, 9]);
  // [0.012, 0.095]: 0.02, 0.05 are too few; digits 0.02 .. 0.09
  close(values(ticks([0.012, 0.095], true, 6)), [0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09], 1e-12, '[0.012,0.095]');
  // [1.2, 1.6]: no digit multiple of a power of ten inside: linear ticks, step 0.4/6 -> 0.05
  const w = ticks([1.2, 1.6], true, 6);
  close(values(w), [1.2, 1.25, 1.3, 1.35, 1.4, 1.45, 1.5, 1.55, 1.6], 1e-12, '[1.2,1.6]');
  assert.deepEqual(labels(w), ['1.2', '1.25', '1.3', '1.35', '1.4', '1.45', '1.5', '1.55', '1.6']);
});

test('every tick lies inside its domain', () => {
  for (const [d, log] of [[[0.92, 3.08], false], [[0.0131, 7.7e4], true], [[2.5, 9], true], [[-7, -6.5], false]])
    for (const { value } of ticks(d, log, 6)) {
      const eps = 1e-9 * (d[1] - d[0]);
      assert.ok(value >= d[0] - eps && value <= d[1] + eps, `${value} outside ${d}`);
    }
});

test('domain: finite values (positive on log axes), padded by 4%', () => {
  close(domain([1, 5, NaN, Infinity, -Infinity], false), [0.84, 5.16], 1e-12, 'linear');
  // log: 0 and negatives ignored, log10 range [1, 3] padded by 0.08 decades
  close(domain([0, -1, 10, 1000], true), [10 ** 0.92, 10 ** 3.08], 1e-12, 'log');
  assert.deepEqual(domain([], false), [0, 1]);
  assert.deepEqual(domain([NaN, 0, -3], true), [0.1, 10]);
  // a single value is widened by 0.5 each side (in decades on a log axis) before padding
  close(domain([7, 7], false), [6.46, 7.54], 1e-12, 'flat linear');
  close(domain([5], true), [5 * 10 ** -0.54, 5 * 10 ** 0.54], 1e-12, 'flat log');
  // fixed ends are kept as given and the padding uses them
  close(domain([1, 5], false, { min: 0 }), [0, 5.2], 1e-12, 'fixed min');
  close(domain([2, 3], false, { min: 0, max: 10 }), [0, 10], 0, 'fixed both');
});

test('scale: linear and log10 maps onto pixel ranges (y runs downwards)', () => {
  const sx = scale([0, 10], false, [100, 200]);
  close([sx(0), sx(2.5), sx(10), sx(-10)], [100, 125, 200, 0], 1e-15, 'linear');
  const sl = scale([1, 1000], true, [0, 300]);
  close([sl(1), sl(10), sl(10 ** 1.5), sl(1000)], [0, 100, 150, 300], 1e-12, 'log');
  const sy = scale([0, 1], false, [284, 30]);
  close([sy(0), sy(0.25), sy(1)], [284, 220.5, 30], 1e-15, 'y');
});

test('formatNumber: 4 significant digits, exponent form outside [1e-3, 1e5)', () => {
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(3.14159), '3.142');
  assert.equal(formatNumber(-2.5), '-2.5');
  assert.equal(formatNumber(0.001), '0.001');
  assert.equal(formatNumber(0.000123), '1.23e-4');
  assert.equal(formatNumber(123456), '1.23e5');
  assert.equal(formatNumber(99990), '99990');
  assert.equal(formatNumber(1e5), '1.00e5');
  assert.equal(formatNumber(NaN), 'NaN');
  assert.equal(formatNumber(-Infinity), '-Infinity');
});

// A backend that records what drawScene asks for.
function recorder() {
  const calls = { lines: [], texts: [], rects: [], circles: [], clips: 0 };
  return {
    calls,
    rect: (x, y, w, h, fill) => calls.rects.push({ x, y, w, h, fill }),
    line: (pts, s) => calls.lines.push({ pts, ...s }),
    circle: (x, y, r, s) => calls.circles.push({ x, y, r, ...s }),
    text: (x, y, s, o) => calls.texts.push({ x, y, s, ...o }),
    clip: () => ++calls.clips,
    unclip: () => {},
  };
}
const GRID = '#e6e8ec';

test('layout: default size, plot box inside the margins, domains from the layers', () => {
  const L = layout({ x: { label: 'x' }, y: { label: 'y' }, layers: [{ type: 'line', x: [1, 2, 3], y: [10, 20, 30] }] });
  assert.equal(L.width, 520);
  assert.equal(L.height, 330);
  assert.deepEqual(L.box, { x0: 66, x1: 506, y0: 30, y1: 284 });
  close(L.xd, [0.92, 3.08], 1e-12, 'xd');
  close(L.yd, [9.2, 30.8], 1e-12, 'yd');
  close([L.sx(0.92), L.sx(2), L.sx(3.08)], [66, 286, 506], 1e-12, 'sx');
  close([L.sy(9.2), L.sy(20), L.sy(30.8)], [284, 157, 30], 1e-12, 'sy');

  // Bars give their edges (x) and positive heights (y); a vline has no y, an hline no x.
  const M = layout({ width: 400, height: 200, x: { label: 'x' }, y: { label: 'y' },
    layers: [{ type: 'bars', edges: [0, 1, 2], heights: [0, 4] }, { type: 'vline', x: 5 }, { type: 'hline', y: 10 }] });
  assert.deepEqual(M.box, { x0: 66, x1: 386, y0: 30, y1: 154 });
  close(M.xd, [-0.2, 5.2], 1e-12, 'bars xd');
  close(M.yd, [3.76, 10.24], 1e-12, 'bars yd');
});

test('drawScene: grid lines and tick labels at the hand-computed pixels (linear axes)', () => {
  const g = recorder();
  drawScene({ x: { label: 'x' }, y: { label: 'y' }, layers: [{ type: 'line', x: [1, 2, 3], y: [10, 20, 30] }] }, g);
  const grid = g.calls.lines.filter(l => l.color === GRID);
  // x: domain [0.92, 3.08], step 2.16/6 = 0.36 -> 0.5: ticks 1 .. 3; px = 66 + (v - 0.92) / 2.16 * 440
  const vertical = grid.filter(l => l.pts[0][0] === l.pts[1][0]);
  close(vertical.map(l => l.pts[0][0]), [1, 1.5, 2, 2.5, 3].map(v => 66 + ((v - 0.92) / 2.16) * 440), 1e-12, 'x grid');
  close(vertical[2].pts[0][0], 286, 1e-12, 'x = 2 at the centre');
  for (const l of vertical) assert.deepEqual([l.pts[0][1], l.pts[1][1]], [30, 284]);
  // y: domain [9.2, 30.8], step 21.6/5 = 4.32 -> 5: ticks 10 .. 30; py = 284 - (v - 9.2) / 21.6 * 254
  const horizontal = grid.filter(l => l.pts[0][1] === l.pts[1][1]);
  close(horizontal.map(l => l.pts[0][1]), [10, 15, 20, 25, 30].map(v => 284 - ((v - 9.2) / 21.6) * 254), 1e-12, 'y grid');
  close(horizontal[2].pts[0][1], 157, 1e-12, 'y = 20 at the centre');
  // Tick labels: x below the box (y1 + 6), y left of it (x0 - 6).
  const xl = g.calls.texts.filter(t => t.baseline === 'top' && t.y === 290);
  assert.deepEqual(xl.map(t => t.s), ['1', '1.5', '2', '2.5', '3']);
  const yl = g.calls.texts.filter(t => t.align === 'right' && t.x === 60);
  assert.deepEqual(yl.map(t => t.s), ['10', '15', '20', '25', '30']);
  // The data line goes through the same scale: (2, 20) is the box centre.
  const data = g.calls.lines.find(l => l.color === '#3b6fb6');
  close(data.pts[1], [286, 157], 1e-12, 'data point');
  assert.equal(g.calls.clips, 1);
});

test('drawScene: log axes put decades at equal spacing', () => {
  const g = recorder();
  drawScene({ x: { label: 'lambda', log: true }, y: { label: 'D', log: true },
    layers: [{ type: 'points', x: [1, 1000], y: [1, 100] }, { type: 'vline', x: 0, color: 'red' }] }, g);
  const grid = g.calls.lines.filter(l => l.color === GRID);
  // x: log10 domain [-0.12, 3.12] (3 decades padded by 0.12): ticks 1, 10, 100, 1000,
  // px = 66 + (k + 0.12) / 3.24 * 440 for k = 0..3
  const vertical = grid.filter(l => l.pts[0][0] === l.pts[1][0]);
  close(vertical.map(l => l.pts[0][0]), [0, 1, 2, 3].map(k => 66 + ((k + 0.12) / 3.24) * 440), 1e-12, 'x grid');
  close(vertical[1].pts[0][0] - vertical[0].pts[0][0], 440 / 3.24, 1e-12, 'one decade in pixels');
  // y: log10 domain [-0.08, 2.08]: ticks 1, 10, 100; py = 284 - (k + 0.08) / 2.16 * 254
  const horizontal = grid.filter(l => l.pts[0][1] === l.pts[1][1]);
  close(horizontal.map(l => l.pts[0][1]), [0, 1, 2].map(k => 284 - ((k + 0.08) / 2.16) * 254), 1e-12, 'y grid');
  close(horizontal[1].pts[0][1], 157, 1e-12, 'y = 10 at the centre');
  assert.deepEqual(g.calls.texts.filter(t => t.y === 290).map(t => t.s), ['1', '10', '10\u00b2', '10\u00b3']);
  // The points land on the scale; the vline at x = 0 has no place on a log axis and is not drawn.
  close([g.calls.circles[0].x, g.calls.circles[0].y], [66 + (0.12 / 3.24) * 440, 284 - (0.08 / 2.16) * 254], 1e-12, 'point');
  assert.equal(g.calls.circles.length, 2);
  assert.equal(g.calls.lines.filter(l => l.color === 'red').length, 0);
});

test('sceneToSvg: one standalone document with the grid, the labels and escaped text', () => {
  const svg = sceneToSvg({ title: 'ESD <layer & "1">', width: 400, height: 250,
    x: { label: 'lambda', log: true }, y: { label: 'count' },
    layers: [{ type: 'bars', edges: [1, 10, 100], heights: [3, 6], label: 'a<b' }] });
  assert.ok(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="400" height="250" viewBox="0 0 400 250"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.ok(svg.includes('>ESD &lt;layer &amp; &quot;1&quot;&gt;</text>'), 'title escaped');
  assert.ok(svg.includes('>a&lt;b</text>'), 'legend escaped');
  assert.ok(!svg.includes('<layer'));
  // x: log10 domain [-0.08, 2.08] over the box 66..386: 10 at 66 + 1.08/2.16*320 = 226
  assert.ok(svg.includes('<polyline fill="none" stroke="#e6e8ec" stroke-width="1" points="226,30 226,204"/>'), 'x grid at 10');
  for (const label of ['>1</text>', '>10</text>', '>10\u00b2</text>', '>lambda</text>', '>count</text>'])
    assert.ok(svg.includes(label), `label ${label}`);
  // Bars: the second spans 10..100 -> x 226 .. 66 + 2.08/2.16*320 = 374.15, drawn 0.4 narrower,
  // up to 6 on y: domain [3 - 0.12, 6 + 0.12] over 204..30, so 6 -> 204 - (3.12/3.24)*174 = 36.44
  assert.ok(svg.includes('<rect x="226" y="36.44" width="147.75" height="167.56" fill="#3b6fb6"/>'), 'bar 10..100');
  assert.equal(svg.match(/<clipPath /g).length, 1);
});
