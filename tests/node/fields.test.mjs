// The page's side of the field table (web/js/fields.js, generated from core/report/fields.cpp):
// the layer table's columns, the share codec and the validator all follow it, and a real report
// from the native CLI carries only fields it describes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAYER_FIELDS, OPTIONS, SKIPPED_FIELDS, SUMMARY_FIELDS } from '../../web/js/fields.js';
import { num } from '../../web/js/report/format.js';
import { COLUMNS } from '../../web/js/report/layer-table.js';
import { compactReport, expandReport } from '../../web/js/share/compact.js';
import { ReportError, validateReport } from '../../web/js/share/validate.js';
import { fixture, nativeReport } from './helpers.mjs';

const keys = fields => fields.map(f => f.key);
const clone = v => structuredClone(v);

test('the layer table shows exactly the fields with a label, in table order', () => {
  assert.deepEqual(COLUMNS.map(([key]) => key), keys(LAYER_FIELDS.filter(f => f.label)));
  assert.deepEqual(COLUMNS.map(([, label]) => label), LAYER_FIELDS.filter(f => f.label).map(f => f.label));
});

test('a real report carries only described fields, and its options are the reported options', () => {
  const r = nativeReport(fixture('ppocrv4_rec.safetensors'));
  const known = new Set(keys(LAYER_FIELDS));
  for (const l of r.layers) for (const k of Object.keys(l)) assert.ok(known.has(k), `layer field ${k}`);
  for (const k of Object.keys(r.summary)) assert.ok(keys(SUMMARY_FIELDS).includes(k), `summary field ${k}`);
  for (const s of r.skipped) for (const k of Object.keys(s)) assert.ok(keys(SKIPPED_FIELDS).includes(k), `skipped field ${k}`);
  assert.deepEqual(Object.keys(r.options).sort(), keys(OPTIONS.filter(o => o.in_report)).sort());
  assert.doesNotThrow(() => validateReport(clone(r)));
});

test('a share link keeps the exact fields to the bit, drops the dropped ones', () => {
  const r = nativeReport(fixture('ppocrv4_rec.safetensors'));
  const back = expandReport(JSON.parse(JSON.stringify(compactReport(validateReport(clone(r))))));
  r.layers.forEach((l, i) => {
    for (const f of LAYER_FIELDS) {
      if (f.key === 'spectra' || !(f.key in l)) continue;
      const got = back.layers[i][f.key];
      if (f.share === 'dropped') assert.equal(got, undefined, `${f.key} dropped`);
      else if (f.share === 'exact') assert.deepEqual(got, l[f.key], `${l.name}.${f.key} exact`);
      else assert.equal(num(got), num(l[f.key]), `${l.name}.${f.key} prints the same`);
    }
  });
});

test('the validator checks each field by the type the table gives it', () => {
  const base = () => clone(nativeReport(fixture('ppocrv4_rec.safetensors')));
  const bad = (edit, message) => {
    const r = base();
    edit(r);
    assert.throws(() => validateReport(r), e => e instanceof ReportError && message.test(e.message));
  };
  bad(r => { r.layers[0].warning = 7; }, /layers\[0\]\.warning must be a string/);
  bad(r => { r.layers[0].alpha = '3'; }, /layers\[0\]\.alpha must be a number/);
  bad(r => { r.layers[0].shape = [3, -1]; }, /shape\[1\] must be a non-negative integer/);
  bad(r => { r.summary.complete = 'yes'; }, /summary\.complete must be a boolean/);
  bad(r => { r.skipped[0].reason = {}; }, /skipped\[0\]\.reason must be a string/);
  bad(r => { r.layers[0].some_new_field = 'text'; }, /some_new_field must be a number/);
});
