// The layer table: the reference tool's columns, sortable by any column, filterable by name and
// by warning. createLayerTable keeps sort/filter state across updates (rows arrive one by one).
import { el, num } from './format.js';

// [key, header, tooltip]
export const COLUMNS = [
  ['index', '#', 'tensor position in the model'],
  ['name', 'layer', 'tensor key without .weight'],
  ['type', 'type', 'dense or conv2d'],
  ['N', 'N', 'larger side'], ['M', 'M', 'smaller side'], ['rf', 'rf', 'receptive field kh*kw'],
  ['num_evals', 'evals', 'eigenvalues in the ESD'],
  ['alpha', '\u03b1', 'power-law exponent'], ['alpha_weighted', '\u03b1\u0302', 'alpha * log10 lambda_max'],
  ['D', 'D', 'KS distance of the fit'], ['sigma', '\u03c3', 'standard error of alpha'],
  ['xmin', 'xmin', 'start of the power-law tail'], ['xmax', 'xmax', 'largest eigenvalue fitted'],
  ['num_pl_spikes', 'tail', 'eigenvalues in the tail (num_pl_spikes)'],
  ['lambda_max', '\u03bb_max', 'largest eigenvalue'], ['spectral_norm', 'spectral norm', ''],
  ['norm', 'norm', 'Frobenius norm squared'], ['log_norm', 'log norm', ''],
  ['log_spectral_norm', 'log spectral norm', ''], ['log_alpha_norm', 'log \u03b1-norm', ''],
  ['stable_rank', 'stable rank', ''], ['matrix_rank', 'rank', ''], ['entropy', 'entropy', ''],
  ['detX_num', 'detX #', 'eigenvalues above the detX point'], ['detX_val', 'detX \u03bb', 'detX eigenvalue'],
  ['num_spikes', 'MP spikes', 'eigenvalues above the Marchenko-Pastur bulk'], ['mp_softrank', 'MP softrank', ''],
  ['warning', 'warning', 'over-trained: alpha < 2; under-trained: alpha > 6'],
];

function cell(layer, key) {
  if (key === 'warning') return layer.status === 'success' ? layer.warning : `fit failed: ${layer.failure_reason ?? ''}`;
  return num(layer[key]);
}

function compare(a, b, key) {
  const x = a[key], y = b[key];
  if (x === undefined || x === null) return 1;
  if (y === undefined || y === null) return -1;
  return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
}

export function createLayerTable(container, { onSelect } = {}) {
  let layers = [];
  let sortKey = 'index', ascending = true, selected = null;
  const filter = el('input', { type: 'search', placeholder: 'filter layers by name', className: 'filter', dataset: { testid: 'layer-filter' } });
  const warning = el('select', { className: 'filter', dataset: { testid: 'warning-filter' } },
    ...[['', 'all layers'], ['over-trained', 'over-trained'], ['under-trained', 'under-trained'], ['ok', 'no warning'], ['failed', 'fit failed']]
      .map(([v, t]) => el('option', { value: v }, t)));
  const count = el('span', { className: 'muted' });
  const head = el('tr', {}, ...COLUMNS.map(([key, label, tip]) => {
    const th = el('th', { title: tip, dataset: { key } }, label);
    th.addEventListener('click', () => {
      ascending = sortKey === key ? !ascending : true;
      sortKey = key;
      draw();
    });
    return th;
  }));
  const body = el('tbody');
  const table = el('table', { className: 'layers', dataset: { testid: 'layer-table' } }, el('thead', {}, head), body);
  container.replaceChildren(el('div', { className: 'table-tools' }, filter, warning, count), el('div', { className: 'table-scroll' }, table));
  filter.addEventListener('input', draw);
  warning.addEventListener('change', draw);

  function visible(l) {
    const q = filter.value.trim().toLowerCase();
    if (q && !l.name.toLowerCase().includes(q)) return false;
    const w = warning.value;
    if (w === 'failed') return l.status !== 'success';
    if (w === 'ok') return l.status === 'success' && !l.warning;
    return !w || l.warning === w;
  }

  function draw() {
    for (const th of head.children)
      th.className = th.dataset.key === sortKey ? (ascending ? 'sorted-asc' : 'sorted-desc') : '';
    const rows = layers.filter(visible).sort((a, b) => (ascending ? 1 : -1) * compare(a, b, sortKey));
    count.textContent = `${rows.length} of ${layers.length} layers`;
    body.replaceChildren(...rows.map(l => {
      const tr = el('tr', { className: [l.warning, l.status !== 'success' ? 'failed' : '', l === selected ? 'selected' : ''].join(' '),
                            title: 'show the plots of this layer', dataset: { name: l.name } },
                    ...COLUMNS.map(([key]) => el('td', { className: typeof l[key] === 'number' ? 'num' : '' }, cell(l, key))));
      tr.addEventListener('click', () => { selected = l; draw(); onSelect?.(l); });
      return tr;
    }));
  }

  return {
    update(report) { layers = report.layers ?? []; draw(); },
    select(name) { selected = layers.find(l => l.name === name) ?? null; draw(); if (selected) onSelect?.(selected); },
  };
}

export function renderLayerTable(report, container, options) {
  const t = createLayerTable(container, options);
  t.update(report);
  return t;
}
