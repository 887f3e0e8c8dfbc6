// The tensors that were layer candidates but not analyzed, with the reason.
import { el } from './format.js';

export function renderSkipped(report, container) {
  const rows = report.skipped ?? [];
  container.replaceChildren();
  if (!rows.length) return;
  container.append(
    el('h3', {}, `Skipped tensors (${rows.length})`),
    el('table', { className: 'skipped' },
       el('thead', {}, el('tr', {}, ...['tensor', 'shape', 'dtype', 'reason'].map(h => el('th', {}, h)))),
       el('tbody', {}, ...rows.map(r => el('tr', {}, el('td', {}, r.tensor ?? r.name),
          el('td', {}, JSON.stringify(r.shape ?? [])), el('td', {}, r.dtype ?? ''), el('td', {}, r.reason ?? '')))))));
}
