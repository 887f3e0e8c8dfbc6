// Summary cards of a report: layers analyzed, mean alpha and alpha-hat, trained-ness counts, detX.
import { el } from './format.js';

const fixed = v => (typeof v === 'number' ? v.toFixed(2) : '\u2013');

export function renderSummary(report, container) {
  const s = report.summary ?? {};
  const layers = report.layers ?? [];
  const cards = [
    ['Layers analyzed', `${s.num_layers ?? layers.length}`, s.num_failed ? `${s.num_failed} fit failed` : `${s.num_skipped ?? 0} skipped`],
    ['Mean \u03b1', fixed(s.alpha), 'power-law exponent of the ESD tail; 2\u20136 is well trained'],
    ['Mean \u03b1\u0302', fixed(s.alpha_weighted), 'alpha-hat = \u03b1 \u00b7 log10 \u03bb_max'],
    ['Under-trained', `${s.num_under_trained ?? 0}`, '\u03b1 > 6'],
    ['Over-trained', `${s.num_over_trained ?? 0}`, '\u03b1 < 2'],
    ['detX \u2248 xmin', `${s.num_detx_coincide ?? 0} / ${s.num_layers ?? layers.length}`, 'layers where the detX point and xmin coincide (\u00b11 eigenvalue)'],
  ];
  container.replaceChildren(...cards.map(([label, value, hint]) =>
    el('div', { className: 'card', title: hint }, el('div', { className: 'card-label' }, label),
       el('div', { className: 'card-value' }, value), el('div', { className: 'card-hint' }, hint))));
}
