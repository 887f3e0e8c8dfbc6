// Alpha of every layer in model order, with the 2-6 band the reference calls well trained.
import { mountPlot } from '../plot/plot.js';

export function alphaScene(report) {
  const ok = (report.layers ?? []).filter(l => l.status === 'success');
  const color = l => (l.warning === 'over-trained' ? '#d62728' : l.warning === 'under-trained' ? '#e67e22' : '#3b6fb6');
  return {
    title: 'Power-law \u03b1 by layer', width: 1000, height: 300,
    x: { label: 'analyzed layer, in model order', log: false, hover: 'layer' },
    y: { label: '\u03b1 (unitless)', log: false, min: 0, hover: '\u03b1' },
    layers: [
      { type: 'hband', y0: 2, y1: 6, color: 'rgba(46, 204, 113, 0.15)', label: '2 \u2264 \u03b1 \u2264 6' },
      { type: 'line', x: ok.map((_, i) => i), y: ok.map(l => l.alpha), color: 'rgba(59,111,182,0.35)', width: 1 },
      { type: 'points', x: ok.map((_, i) => i), y: ok.map(l => l.alpha), names: ok.map(l => l.name), color: ok.map(color), r: 3.5 },
    ],
  };
}

export function renderAlphaChart(report, container) {
  container.replaceChildren();
  const scene = alphaScene(report);
  scene.width = Math.max(480, Math.min(1100, container.clientWidth || 1000));
  return mountPlot(container, scene, { kind: 'alpha', filename: 'alpha-by-layer' });
}
