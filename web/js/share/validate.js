// Schema checks for reports that come from outside the page: share links, dropped report files,
// <weightscope-report> sources. Everything here is attacker-controlled input, so we check the
// types of every field the renderers touch and bound every array, then hand the renderers only
// reports that pass (docs/report-schema.md, version 1). Text is never interpreted as HTML anywhere
// (the renderers use textContent), so strings are only type- and length-checked.

import { LAYER_FIELDS, SKIPPED_FIELDS, SUMMARY_FIELDS } from '../fields.js';

export class ReportError extends Error {}

// Bounds: well above real reports (a 7B LLM has ~230 layers, max_evals defaults to 15000).
export const LIMITS = {
  layers: 20000, skipped: 200000, files: 10000, string: 4096, metadata: 1000, metadataValue: 1 << 20,
  evals: 1 << 20, bins: 10000, ks: 1 << 20, shapeRank: 8,
};

const fail = (path, what) => { throw new ReportError(`Not a valid weightscope report: ${path} ${what}.`); };
const isObject = v => v !== null && typeof v === 'object' && !Array.isArray(v);

function object(v, path, optional = false) {
  if (v === undefined && optional) return false;
  if (!isObject(v)) fail(path, 'must be an object');
  return true;
}

function string(v, path, { optional = true, max = LIMITS.string } = {}) {
  if (v === undefined && optional) return;
  if (typeof v !== 'string') fail(path, 'must be a string');
  if (v.length > max) fail(path, `is longer than ${max} characters`);
}

// Numbers may also be null: JSON has no NaN/Infinity and the CLI writes null for them.
function number(v, path) {
  if (v !== undefined && v !== null && typeof v !== 'number') fail(path, 'must be a number');
}

function numbers(v, path, max) {
  if (!Array.isArray(v)) fail(path, 'must be an array');
  if (v.length > max) fail(path, `has more than ${max} entries`);
  for (let i = 0; i < v.length; ++i)
    if (v[i] !== null && typeof v[i] !== 'number') fail(`${path}[${i}]`, 'must be a number');
}

function array(v, path, max, optional = true) {
  if (v === undefined && optional) return false;
  if (!Array.isArray(v)) fail(path, 'must be an array');
  if (v.length > max) fail(path, `has more than ${max} entries`);
  return true;
}

function shape(v, path) {
  if (!array(v, path, LIMITS.shapeRank)) return;
  v.forEach((d, i) => { if (!Number.isSafeInteger(d) || d < 0) fail(`${path}[${i}]`, 'must be a non-negative integer'); });
}

// {a: [...n], b: [...n + extra]} pairs: histograms (edges one longer) and curves (same length).
function pairs(v, path, [a, b], extra, max) {
  if (!object(v, path, true)) return;
  numbers(v[a], `${path}.${a}`, max + extra);
  numbers(v[b], `${path}.${b}`, max);
  if (v[a].length !== v[b].length + extra) fail(path, `needs ${a} ${extra ? 'one longer than' : 'as long as'} ${b}`);
}

function spectra(s, path) {
  if (!object(s, path, true)) return;
  if (s.evals !== undefined) numbers(s.evals, `${path}.evals`, LIMITS.evals);
  pairs(s.log_esd, `${path}.log_esd`, ['edges', 'counts'], 1, LIMITS.bins);
  if (s.rand_evals !== undefined) numbers(s.rand_evals, `${path}.rand_evals`, LIMITS.evals);
  pairs(s.rand_log_esd, `${path}.rand_log_esd`, ['edges', 'counts'], 1, LIMITS.bins);
  pairs(s.ks, `${path}.ks`, ['xmin', 'D'], 0, LIMITS.ks);
  if (s.ks?.alpha !== undefined) numbers(s.ks.alpha, `${path}.ks.alpha`, LIMITS.ks);
  for (const key of ['loc_ratio', 'part_ratio', 'vec_entropy'])
    if (s[key] !== undefined) numbers(s[key], `${path}.${key}`, LIMITS.evals);
}

// Each field by its type in the field table (web/js/fields.js); a key the table does not know
// (a newer writer's) must be a number, the only kind the renderers would show.
const typeOf = fields => new Map(fields.map(f => [f.key, f.type]));
const LAYER_TYPES = typeOf(LAYER_FIELDS), SKIPPED_TYPES = typeOf(SKIPPED_FIELDS), SUMMARY_TYPES = typeOf(SUMMARY_FIELDS);
const CHECK = {
  string: (v, path) => string(v, path),
  'integer[]': shape,
  object: spectra,
  boolean: (v, path) => { if (v !== undefined && typeof v !== 'boolean') fail(path, 'must be a boolean'); },
};

function fields(o, types, path) {
  object(o, path);
  for (const [key, v] of Object.entries(o)) (CHECK[types.get(key)] ?? number)(v, `${path}.${key}`);
}

function layer(l, path) {
  fields(l, LAYER_TYPES, path);
  string(l.name, `${path}.name`, { optional: false });
}

function model(m) {
  if (!object(m, 'model', true)) return;
  if (array(m.files, 'model.files', LIMITS.files)) m.files.forEach((f, i) => string(f, `model.files[${i}]`, { optional: false }));
  string(m.format, 'model.format');
  number(m.total_bytes, 'model.total_bytes');
  number(m.num_tensors, 'model.num_tensors');
  if (object(m.metadata, 'model.metadata', true)) {
    const entries = Object.entries(m.metadata);
    if (entries.length > LIMITS.metadata) fail('model.metadata', `has more than ${LIMITS.metadata} entries`);
    for (const [k, v] of entries) string(v, 'a model.metadata value', { optional: false, max: LIMITS.metadataValue });
  }
}

// Checks report in place and returns it; throws ReportError naming the first bad field.
export function validateReport(report) {
  object(report, 'the report');
  if (report.format !== 'weightscope-report') fail('format', 'must be "weightscope-report"');
  if (report.version !== 1) fail('version', `${JSON.stringify(report.version)} is not supported (this page reads version 1)`);
  string(report.generator, 'generator');
  model(report.model);
  if (object(report.options, 'options', true))
    for (const [k, v] of Object.entries(report.options))
      if (!['number', 'string', 'boolean'].includes(typeof v) && v !== null) fail(`options.${k}`, 'must be a number, string or boolean');
  if (report.summary !== undefined) fields(report.summary, SUMMARY_TYPES, 'summary');
  array(report.layers, 'layers', LIMITS.layers, false);
  report.layers.forEach((l, i) => layer(l, `layers[${i}]`));
  if (array(report.skipped, 'skipped', LIMITS.skipped))
    report.skipped.forEach((s, i) => fields(s, SKIPPED_TYPES, `skipped[${i}]`));
  else report.skipped = [];
  // Set by the share-link decoder: what the link approximates (shown on the page).
  if (object(report.shared, 'shared', true) && array(report.shared.notes, 'shared.notes', 100))
    report.shared.notes.forEach((n, i) => string(n, `shared.notes[${i}]`, { optional: false }));
  if (report.summary === undefined) report.summary = {};
  if (report.model === undefined) report.model = { files: [] };
  if (report.model.files === undefined) report.model.files = [];
  return report;
}
