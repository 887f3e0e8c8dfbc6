// The tensors that were layer candidates but not analyzed, with the reason; folded when long.
import { el } from './format.js';

export function renderSkipped(report, container) {
  const rows = report.skipped ?? [];
  container.replaceChildren();
  if (!rows.length) return;
  const reasons = new Map();
  for (const r of rows) {
    // Group by the reason without its numbers: "num_evals M*rf = 9 < min_evals = 10" -> "num_evals M*rf < min_evals".
    const kind = (r.reason ?? '').replace(/\s*\[[^\]]*\]/g, '').replace(/\s*=\s*[\d.e+-]+/g, '');
    reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
  }
  const details = el('details', { className: 'skipped', open: rows.length <= 10, dataset: { testid: 'skipped' } },
    el('summary', {}, `Skipped tensors (${rows.length}): ` +
       [...reasons].map(([k, n]) => `${n} \u00d7 ${k}`).join('; ')),
    el('table', {},
       el('thead', {}, el('tr', {}, ...['tensor', 'shape', 'dtype', 'reason'].map(h => el('th', {}, h)))),
       el('tbody', {}, ...rows.map(r => el('tr', {}, el('td', {}, r.tensor ?? r.name),
          el('td', {}, JSON.stringify(r.shape ?? [])), el('td', {}, r.dtype ?? ''), el('td', {}, r.reason ?? ''))))));
  container.append(details);
}
