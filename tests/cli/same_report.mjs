// Exits 0 when two weightscope reports (or report sets) are equal but for their timings: the
// fields the field table gives the unit "s" (`weightscope schema --json`), which differ from run
// to run. Otherwise prints the first difference and exits 1.
// usage: node same_report.mjs CLI A.json B.json
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [cli, a, b] = process.argv.slice(2);
const schema = JSON.parse(execFileSync(cli, ['schema', '--json'], { encoding: 'utf8' }));
const timed = new Set(['layer', 'summary'].flatMap(t => schema[t].filter(f => f.unit === 's').map(f => `${t}.${f.key}`)));

// Drops the timed keys of a report's summary and layers, and of every report a set holds.
function untimed(report) {
  if (Array.isArray(report.reports)) return { ...report, reports: report.reports.map(e => e.report ? { ...e, report: untimed(e.report) } : e) };
  const drop = (o, table) => Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => !timed.has(`${table}.${k}`)));
  return { ...report, summary: drop(report.summary, 'summary'), layers: (report.layers ?? []).map(l => drop(l, 'layer')) };
}

// The path of the first difference, or null.
function difference(x, y, path) {
  if (typeof x !== typeof y || Array.isArray(x) !== Array.isArray(y) || (x === null) !== (y === null)) return path;
  if (x === null || typeof x !== 'object') return Object.is(x, y) ? null : path;
  if (Array.isArray(x)) {
    if (x.length !== y.length) return `${path}.length`;
    for (let i = 0; i < x.length; ++i) { const d = difference(x[i], y[i], `${path}[${i}]`); if (d) return d; }
    return null;
  }
  for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
    const d = k in x && k in y ? difference(x[k], y[k], `${path}.${k}`) : `${path}.${k}`;
    if (d) return d;
  }
  return null;
}

const load = f => untimed(JSON.parse(readFileSync(f, 'utf8')));
const d = difference(load(a), load(b), '$');
if (d) {
  console.error(`same_report: ${a} and ${b} differ at ${d}`);
  process.exit(1);
}
