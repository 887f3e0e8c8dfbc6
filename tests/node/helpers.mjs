// Shared by the node and browser tests: paths, the native CLI's reports, the wasm module in node
// (with a FileReaderSync stand-in over real files), and a safetensors shard splitter.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, fstatSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const SHARED = process.env.WS_SHARED_DIR ?? '/work/shared';
export const FIXTURES = join(SHARED, 'fixtures');
export const NATIVE_BUILD = process.env.WS_NATIVE_BUILD ?? join(ROOT, 'build-native-web');
export const CLI = join(NATIVE_BUILD, 'weightscope');

export function fixtureFiles() {
  return readdirSync(FIXTURES).filter(f => f.endsWith('.safetensors')).sort().map(f => join(FIXTURES, f));
}

const cache = new Map();
// The native CLI's JSON report for paths (files or a folder), cached per run.
export function nativeReport(paths) {
  const key = [].concat(paths).join('\n');
  if (!cache.has(key)) {
    const out = join(mkdtempSync(join(tmpdir(), 'ws-native-')), 'report.json');
    execFileSync(CLI, ['analyze', ...[].concat(paths), '--json', out, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
    cache.set(key, JSON.parse(readFileSync(out, 'utf8')));
  }
  return cache.get(key);
}

// A File-like object over a real file; its slices are read by the FileReaderSync stand-in below,
// so the module's JS read path (pre.js) runs unchanged.
export function nodeFile(path) {
  const size = fstatSync(openSyncCached(path)).size;
  return { name: basename(path), size, slice: (a, b) => ({ path, a, b: Math.min(b, size) }) };
}
const fds = new Map();
function openSyncCached(path) {
  if (!fds.has(path)) fds.set(path, openSync(path, 'r'));
  return fds.get(path);
}
globalThis.FileReaderSync ??= class {
  readAsArrayBuffer({ path, a, b }) {
    const buf = Buffer.alloc(Math.max(0, b - a));
    const n = buf.length ? readSync(openSyncCached(path), buf, 0, buf.length, a) : 0;
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + n);
  }
  readAsText(blob) { return Buffer.from(this.readAsArrayBuffer(blob)).toString('utf8'); }
};
export function closeFiles() {
  for (const fd of fds.values()) closeSync(fd);
  fds.clear();
}

export function wasmBuildDir(variant) {
  return join(ROOT, `build-wasm-${variant}`, 'web');
}

// Loads a wasm variant in node. The wasm bytes are passed in: this Emscripten's loader would
// otherwise hand a file path to Node 20's global fetch.
export async function loadModule(variant, threads = 2) {
  const dir = wasmBuildDir(variant);
  const require = createRequire(join(dir, 'x.js'));
  const factory = require(join(dir, `weightscope-${variant}.js`));
  return factory({ wasmBinary: readFileSync(join(dir, `weightscope-${variant}.wasm`)), wsPoolSize: threads,
                   print: () => {}, printErr: () => {} });
}

// Runs a whole analysis through the bindings, as the page's worker does.
export function analyzeWithModule(module, paths, { threads = 1, index = null } = {}) {
  const files = [].concat(paths).map(nodeFile);
  const indexText = index ? readFileSync(index, 'utf8') : '';
  const a = module.Analysis.open(files, indexText, JSON.stringify({ threads }));
  try {
    while (!a.done()) a.step();
    return JSON.parse(a.report());
  } finally {
    a.delete();
  }
}

// Splits a safetensors file into `parts` shard files plus model.safetensors.index.json in a new
// folder (tensors keep their order; each shard is a complete safetensors file). Returns the folder.
export function makeShards(path, parts = 2, dir = mkdtempSync(join(tmpdir(), 'ws-shards-'))) {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  const meta = header.__metadata__;
  delete header.__metadata__;
  const names = Object.keys(header).sort((x, y) => header[x].data_offsets[0] - header[y].data_offsets[0]);
  const per = Math.ceil(names.length / parts);
  const weightMap = {};
  mkdirSync(dir, { recursive: true });
  for (let p = 0; p < parts; ++p) {
    const shardName = `model-${String(p + 1).padStart(5, '0')}-of-${String(parts).padStart(5, '0')}.safetensors`;
    const h = meta ? { __metadata__: meta } : {};
    const chunks = [];
    let off = 0;
    for (const name of names.slice(p * per, (p + 1) * per)) {
      const t = header[name];
      const data = bytes.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]);
      h[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + data.length] };
      chunks.push(data);
      off += data.length;
      weightMap[name] = shardName;
    }
    let text = JSON.stringify(h);
    text += ' '.repeat((8 - (text.length % 8)) % 8);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
    writeFileSync(join(dir, shardName), Buffer.concat([len, Buffer.from(text), ...chunks]));
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'),
                JSON.stringify({ metadata: { total_size: bytes.length }, weight_map: weightMap }, null, 1));
  return dir;
}

// Asserts two reports hold the same layers and skipped tensors: names, status, fit results
// (alpha, D, xmin within 1e-9), every other scalar within a relative 1e-6.
export function compareReports(assert, got, want, label) {
  assert.deepEqual(got.layers.map(l => l.name), want.layers.map(l => l.name), `${label}: layer names`);
  assert.deepEqual(got.skipped.map(s => [s.tensor, s.reason]), want.skipped.map(s => [s.tensor, s.reason]), `${label}: skipped`);
  for (let i = 0; i < want.layers.length; ++i) {
    const g = got.layers[i], w = want.layers[i];
    assert.equal(g.status, w.status, `${label} ${w.name}: status`);
    assert.equal(g.warning, w.warning, `${label} ${w.name}: warning`);
    for (const [key, value] of Object.entries(w)) {
      if (typeof value !== 'number' || key === 'seconds') continue;
      const tol = ['alpha', 'D', 'xmin', 'alpha_weighted'].includes(key) ? 1e-9 : 1e-6;
      const err = Math.abs(g[key] - value) / Math.max(1, Math.abs(value));
      assert.ok(err <= tol, `${label} ${w.name}: ${key} = ${g[key]}, native ${value} (rel. diff ${err})`);
    }
  }
  assert.equal(got.summary.num_layers, want.summary.num_layers, `${label}: num_layers`);
}

export const haveWasm = variant => existsSync(join(wasmBuildDir(variant), `weightscope-${variant}.wasm`));
