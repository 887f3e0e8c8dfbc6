// The debug build (scripts/build-wasm debug: -O1, -sASSERTIONS=2, -sSAFE_HEAP=1, stack checks) gives
// the native CLI's results on a small fixture and its error on a file whose header is cut short.
// And wasm/weightscope.d.ts cannot go stale: every function it declares exists on each built variant
// (and every function the bindings have is declared), every factory option it declares is read by
// the glue, the report fields it builds on (wasm/report-fields.d.ts) are generated from the field
// table, and the JSON a real run returns has the declared shapes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DTS_PATH, renderDts } from '../../scripts/gen-dts.mjs';
import { CLI, ROOT, analyzeWithModule, closeFiles, compareReports, fixtureFiles, haveWasm, loadModule,
         nativeReport, nodeFile, unloadModule, wasmBuildDir } from './helpers.mjs';

after(closeFiles);

// The smallest fixture keeps the debug build (several times slower than st) cheap.
const small = () => fixtureFiles().sort((a, b) => statSync(a).size - statSync(b).size)[0];

// A copy of `path` cut in the middle of its JSON header.
function truncatedHeader(path) {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const out = join(mkdtempSync(join(tmpdir(), 'ws-debug-')), 'truncated_header.safetensors');
  writeFileSync(out, bytes.subarray(0, 8 + Math.floor(n / 2)));
  return out;
}

// The native CLI's one-line error for a bad file, without its "weightscope: error: " prefix.
function nativeError(path) {
  try {
    execFileSync(CLI, ['analyze', path, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    assert.equal(e.status, 1, 'the CLI exits with status 1 on bad input');
    return e.stderr.toString().trim().replace(/^weightscope: error: /, '');
  }
  assert.fail(`the CLI accepted ${path}`);
}

describe('wasm debug', { skip: !haveWasm('debug') && 'not built (scripts/build-wasm debug)' }, () => {
  let module;
  before(async () => { module = await loadModule('debug', 1); });

  test('is the checked build', () => {
    const glue = readFileSync(join(wasmBuildDir('debug'), 'weightscope-debug.js'), 'utf8');
    assert.match(glue, /function segfault/, 'SAFE_HEAP');
    assert.match(glue, /checkStackCookie/, 'STACK_OVERFLOW_CHECK');
  });

  test('a small fixture equals the native CLI', () => {
    const path = small();
    compareReports(assert, analyzeWithModule(module, path), nativeReport(path), 'debug');
  });

  test('a truncated header is the native CLI\'s error, and the module stays usable', () => {
    const bad = truncatedHeader(small());
    const want = nativeError(bad);
    assert.match(want, /truncated_header\.safetensors/);
    assert.throws(() => analyzeWithModule(module, bad), e => {
      assert.ok(e instanceof Error, 'a JS Error');
      assert.equal(e.message, want);
      return true;
    });
    // Usable after the error: the good file's first layer comes out (a whole run would double the cost).
    const a = module.Analysis.open([nodeFile(small())], '', '{"threads": 1}');
    try {
      let r;
      do r = JSON.parse(a.step()); while (r.kind !== 'layer' && !a.done());
      assert.equal(r.layer?.name, nativeReport(small()).layers[0].name);
    } finally {
      a.delete();
    }
  });
});

// ---- wasm/weightscope.d.ts ----

// What the tests read from the d.ts files: interface name -> { base, own: [{ name, optional, fn, type }] }
// from `interface X [extends Y] { ... }` blocks with one member a line; the declared globals; the kinds
// of the StepResult union; the keys RunningSummary omits from Summary.
function parseDts(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const interfaces = new Map();
  for (const [, name, base, body] of code.matchAll(/interface\s+(\w+)(?:\s+extends\s+(\w+))?\s*\{([^}]*)\}/g)) {
    const own = [];
    for (const line of body.split('\n')) {
      const m = line.match(/^\s*(?:readonly\s+)?(\w+)(\?)?\s*([(:])\s*([^;]*);/);
      if (m) own.push({ name: m[1], optional: !!m[2], fn: m[3] === '(', type: m[4].trim() });
    }
    interfaces.set(name, { base, own });
  }
  const globals = [...code.matchAll(/^\s*var\s+(\w+)\s*:/gm)].map(m => m[1]);
  // The union's members: one `| { kind: '...'; ... }` a line.
  const union = code.match(/type\s+StepResult\s*=((?:\s*\|[^\n]*)+)/)?.[1] ?? '';
  const stepKinds = [...union.matchAll(/kind:\s*'(\w+)'/g)].map(m => m[1]);
  const omitted = [...(code.match(/type\s+RunningSummary\s*=\s*Omit<Summary,([^>]*)>/)?.[1] ?? '').matchAll(/'(\w+)'/g)]
    .map(m => m[1]);
  return { interfaces, globals, stepKinds, omitted };
}

const dts = parseDts(['weightscope.d.ts', 'report-fields.d.ts'].map(f => readFileSync(join(ROOT, 'wasm', f), 'utf8')).join('\n'));
// An interface's members, its base's included (a member declared again refines the base's).
function members(name) {
  assert.ok(dts.interfaces.has(name), `wasm/*.d.ts declares interface ${name}`);
  const { base, own } = dts.interfaces.get(name);
  const inherited = base ? members(base).filter(m => !own.some(o => o.name === m.name)) : [];
  return [...inherited, ...own];
}
const functions = name => members(name).filter(m => m.fn).map(m => m.name);
// 'a' | 'b' -> ['a', 'b']; null for a type that is not a union of string literals.
const literals = type => /^'[^']*'(\s*\|\s*'[^']*')*$/.test(type) ? [...type.matchAll(/'([^']*)'/g)].map(m => m[1]) : null;

// Every key of a JSON object is declared in the interface, every required member is present (but
// those in `except`), and a string-literal union holds the value.
function checkShape(name, object, where, except = []) {
  assert.ok(object && typeof object === 'object' && !Array.isArray(object), `${where}: an object`);
  const declared = new Map(members(name).filter(m => !except.includes(m.name)).map(m => [m.name, m]));
  for (const [key, value] of Object.entries(object)) {
    const m = declared.get(key);
    assert.ok(m, `${where}: key '${key}' is not declared in interface ${name} (wasm/*.d.ts; a report field comes ` +
                 'from the field table: scripts/gen-fields, then node scripts/gen-dts.mjs)');
    const allowed = literals(m.type);
    if (allowed) assert.ok(allowed.includes(value), `${where}: ${name}.${key} = ${JSON.stringify(value)}, declared ${m.type}`);
  }
  for (const m of declared.values())
    if (!m.optional) assert.ok(m.name in object, `${where}: required ${name}.${m.name} is missing`);
}

describe('wasm/weightscope.d.ts', () => {
  const variants = ['debug', 'st', 'mt', 'fma'].filter(haveWasm);

  test('declares the factories the builds define, and the glue reads each factory option', () => {
    const glue = variants.map(v => readFileSync(join(wasmBuildDir(v), `weightscope-${v}.js`), 'utf8'));
    const names = { debug: 'WeightscopeDebug', st: 'WeightscopeST', mt: 'WeightscopeMT', fma: 'WeightscopeFMA' };
    variants.forEach((v, i) => {
      assert.ok(dts.globals.includes(names[v]), `declares ${names[v]}`);
      assert.match(glue[i], new RegExp(`var ${names[v]}\\s*=`), `weightscope-${v}.js defines ${names[v]}`);
    });
    for (const option of members('ModuleOptions').map(m => m.name))
      assert.ok(glue.some(text => text.includes(option)), `ModuleOptions.${option} is read by the glue`);
  });

  for (const variant of variants) {
    test(`every declared function exists on the ${variant} module, and no other`, async () => {
      const module = await loadModule(variant, 1);
      try {
        // Optional members (wsProgress) are the host's callbacks, set on the module by the worker.
        for (const m of members('WeightscopeModule').filter(m => !m.optional))
          assert.equal(typeof module[m.name], 'function', `module.${m.name}`);  // Analysis is a class
        for (const f of functions('AnalysisStatic'))
          assert.equal(typeof module.Analysis[f], 'function', `Analysis.${f}`);
        const proto = module.Analysis.prototype;
        for (const f of functions('Analysis')) assert.equal(typeof proto[f], 'function', `Analysis.prototype.${f}`);
        // What the bindings add is declared too (Embind's own handle methods aside).
        const embind = new Set(['constructor', 'isAliasOf', 'clone', 'isDeleted', 'deleteLater']);
        for (const k of Object.getOwnPropertyNames(proto))
          if (!embind.has(k)) assert.ok(functions('Analysis').includes(k), `Analysis.prototype.${k} is declared`);
        for (const k of Object.getOwnPropertyNames(module.Analysis))
          if (typeof module.Analysis[k] === 'function' && !['length', 'name', 'prototype'].includes(k))
            assert.ok(functions('AnalysisStatic').includes(k), `Analysis.${k} is declared`);
      } finally {
        unloadModule(module);
      }
    });
  }

  test('report-fields.d.ts is what scripts/gen-dts.mjs writes from the field table, and is used', () => {
    assert.equal(readFileSync(DTS_PATH, 'utf8'), renderDts(), 'wasm/report-fields.d.ts is stale: run node scripts/gen-dts.mjs');
    const bases = { Layer: 'LayerFields', Summary: 'SummaryFields', Skipped: 'SkippedFields', Options: 'OptionFields',
                    ReportOptions: 'ReportOptionFields' };
    for (const [name, base] of Object.entries(bases)) {
      const { base: declared, own } = dts.interfaces.get(name) ?? {};
      assert.equal(declared, base, `${name} extends ${base}`);
      // A refinement (a literal type, a nested interface) only narrows a field the table has.
      for (const m of own) assert.ok(members(base).some(b => b.name === m.name && b.optional === m.optional),
                                     `${name}.${m.name} refines a field of ${base}`);
    }
  });

  // One run with every optional group on (tpl fit, randomize, fingers), on the fastest build there is.
  const fast = ['st', 'mt', 'debug'].find(haveWasm);
  test('the JSON of a run has the declared shapes', { skip: !fast && 'no wasm build' }, async () => {
    const module = await loadModule(fast, 1);
    try {
      const options = { threads: 1, fit: 'tpl', randomize: true, fix_fingers: 'clip_xmax' };
      const a = module.Analysis.open([nodeFile(small())], '', JSON.stringify(options));
      try {
        const model = JSON.parse(a.model());
        checkShape('ModelInfo', model, 'model()');
        model.tensors.forEach((t, i) => checkShape('TensorEntry', t, `model().tensors[${i}]`));
        assert.equal(a.numTensors(), model.tensors.length);
        while (!a.done()) {
          const index = a.nextIndex();
          const r = JSON.parse(a.step());
          assert.ok(dts.stepKinds.includes(r.kind), `step() kind '${r.kind}' is declared in StepResult`);
          if (r.kind === 'layer') checkShape('Layer', r.layer, `step() ${index}`);
          if (r.kind === 'skipped') checkShape('Skipped', r.skipped, `step() ${index}`);
          checkShape('Summary', JSON.parse(a.summary()), `summary() after ${index}`, dts.omitted);
        }
        const report = JSON.parse(a.report());
        checkShape('Report', report, 'report()');
        checkShape('ReportModel', report.model, 'report().model');
        checkShape('ReportOptions', report.options, 'report().options');
        checkShape('Summary', report.summary, 'report().summary');
        report.skipped.forEach(s => checkShape('Skipped', s, `skipped ${s.name}`));
        assert.ok(report.layers.length > 0);
        for (const l of report.layers) {
          checkShape('Layer', l, `layer ${l.name}`);
          checkShape('Spectra', l.spectra, `layer ${l.name} spectra`);
          checkShape('KsScan', l.spectra.ks, `layer ${l.name} spectra.ks`);
        }
        assert.ok(report.layers.some(l => 'tpl_alpha' in l && 'rand_distance' in l), 'the optional groups ran');
        assert.match(module.reportCsv(JSON.stringify(report)).split('\n')[0], /alpha/);
      } finally {
        a.delete();
      }
    } finally {
      unloadModule(module);
    }
  });
});
