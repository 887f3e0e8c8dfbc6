// The layer table: the fields web/js/fields.js gives a header, sortable by any column, filterable
// by name and by warning. createLayerTable keeps sort/filter state across updates (rows arrive one by one).
import { LAYER_FIELDS } from '../fields.js';
import { el, num } from './format.js';

// [key, header, tooltip]
export const COLUMNS = LAYER_FIELDS.filter(f => f.label)
  .map(f => [f.key, f.label, f.unit ? `${f.meaning} (${f.unit})` : f.meaning]);

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

  function row(l) {
    const tr = el('tr', { className: [l.warning, l.status !== 'success' ? 'failed' : '', l === selected ? 'selected' : ''].join(' '),
                          title: 'show the plots of this layer', tabIndex: 0, dataset: { name: l.name } },
                  ...COLUMNS.map(([key]) => el('td', { className: typeof l[key] === 'number' ? 'num' : '' }, cell(l, key))));
    const choose = () => {
      for (const r of body.querySelectorAll('tr.selected')) r.classList.remove('selected');
      tr.classList.add('selected');
      selected = l;
      onSelect?.(l);
    };
    tr.addEventListener('click', choose);
    tr.addEventListener('keydown', e => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); choose(); }
    });
    return tr;
  }

  let shown = 0;  // visible rows drawn
  function showCount() { count.textContent = `${shown} of ${layers.length} layers`; }

  function draw() {
    for (const th of head.children)
      th.className = th.dataset.key === sortKey ? (ascending ? 'sorted-asc' : 'sorted-desc') : '';
    const rows = layers.filter(visible).sort((a, b) => (ascending ? 1 : -1) * compare(a, b, sortKey));
    shown = rows.length;
    showCount();
    body.replaceChildren(...rows.map(row));
  }

  return {
    // Rows arrive in model order while a run goes on: when the table is in that order and the new
    // report only adds layers, the new rows are appended and the others left as they are.
    update(report) {
      const next = report.layers ?? [];
      const grows = sortKey === 'index' && ascending && next.length >= layers.length && layers.every((l, i) => next[i] === l);
      const added = grows ? next.slice(layers.length) : null;
      layers = next.slice();
      if (!added) return draw();
      const rows = added.filter(visible);
      shown += rows.length;
      showCount();
      body.append(...rows.map(row));
    },
    select(name) { selected = layers.find(l => l.name === name) ?? null; draw(); if (selected) onSelect?.(selected); },
  };
}

export function renderLayerTable(report, container, options) {
  const t = createLayerTable(container, options);
  t.update(report);
  return t;
}
