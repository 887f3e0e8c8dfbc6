// Shared by the node and browser tests: paths, the native CLI's reports, the wasm module in node
// (with a FileReaderSync stand-in over real files), the tests' one safetensors writer and a shard splitter.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, fstatSync,
         writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
// The tests' data is the repository's own: tests/data/ (fixtures, reference outputs; its README.md
// gives sources and licenses), except the demo model, which is kept once, in web/demo/.
// WS_TEST_DATA_DIR points the tests at another folder with the same layout (as the native tests).
export const TEST_DATA = process.env.WS_TEST_DATA_DIR || join(ROOT, 'tests/data');
const ELSEWHERE = process.env.WS_TEST_DATA_DIR ? {} : { 'fixtures/ppocrv4_rec.safetensors': join(ROOT, 'web/demo/ppocrv4_rec.safetensors') };
// path relative to the data folder, e.g. 'reference/ppocrv4_rec.json'.
export function testData(path) {
  return ELSEWHERE[path] ?? join(TEST_DATA, path);
}
// A fixture model by file name, e.g. fixture('nsfwjs_mobilenet_v2.safetensors').
export function fixture(name) {
  return testData(`fixtures/${name}`);
}
export const NATIVE_BUILD = process.env.WS_NATIVE_BUILD ?? join(ROOT, 'build-native-web');
export const CLI = join(NATIVE_BUILD, 'weightscope');

// Every fixture model, sorted by file name.
export function fixtureFiles() {
  const names = new Set(readdirSync(join(TEST_DATA, 'fixtures')).filter(f => f.endsWith('.safetensors')));
  for (const path of Object.keys(ELSEWHERE)) if (path.startsWith('fixtures/')) names.add(basename(path));
  return [...names].sort().map(fixture);
}

const cache = new Map();
// The native CLI's JSON report for paths (files or a folder) and CLI flags, cached per run.
export function nativeReport(paths, flags = []) {
  const key = [...[].concat(paths), ...flags].join('\n');
  if (!cache.has(key)) {
    const out = join(mkdtempSync(join(tmpdir(), 'ws-native-')), 'report.json');
    execFileSync(CLI, ['analyze', ...[].concat(paths), ...flags, '--json', out, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
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

// WS_WASM_DIR: another build's web/ folder (e.g. one built with a small WS_WASM_MAXIMUM_MEMORY).
export function wasmBuildDir(variant) {
  return process.env.WS_WASM_DIR ?? join(ROOT, `build-wasm-${variant}`, 'web');
}

// Loads a wasm variant in node. The wasm bytes are passed in: this Emscripten's loader would
// otherwise hand a file path to Node 20's global fetch.
// Node 20's V8 runs relaxed SIMD (the fma variant) only behind a flag; Chromium ships it.
export async function loadModule(variant, threads = 2) {
  if (variant === 'fma') v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const dir = wasmBuildDir(variant);
  const require = createRequire(join(dir, 'x.js'));
  const factory = require(join(dir, `weightscope-${variant}.js`));
  return factory({ wasmBinary: readFileSync(join(dir, `weightscope-${variant}.wasm`)), wsPoolSize: threads,
                   print: () => {}, printErr: () => {} });
}

// Ends a threaded module's pthread workers, which would otherwise keep node alive after the tests.
export function unloadModule(module) {
  module?.PThread?.terminateAllThreads();
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

// The one safetensors writer of the JS tests. tensors: [{name, shape, dtype = 'F32', data}] with
// data a typed array or Buffer, or {name, shape, dtype, nbytes} for a tensor left unwritten (a hole
// of a sparse file, writeSafetensors only). metadata: the __metadata__ object, if any. The layout:
// an 8-byte little-endian header length, the JSON header padded with spaces to 8 bytes, the data.
function safetensorsLayout(tensors, metadata) {
  const header = metadata ? { __metadata__: metadata } : {};
  const parts = [];
  let off = 0;
  for (const t of tensors) {
    const data = t.data ? Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength) : null;
    const nbytes = data ? data.length : t.nbytes;
    header[t.name] = { dtype: t.dtype ?? 'F32', shape: t.shape, data_offsets: [off, off + nbytes] };
    parts.push({ data, at: off });
    off += nbytes;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  const head = Buffer.concat([len, Buffer.from(text)]);
  return { head, parts: parts.map(p => ({ ...p, at: head.length + p.at })), size: head.length + off };
}

// The bytes of a safetensors file.
export function safetensorsBytes(tensors, metadata) {
  const { head, parts } = safetensorsLayout(tensors, metadata);
  return Buffer.concat([head, ...parts.map(p => p.data)]);
}

// Writes a safetensors file at path; tensors given by nbytes only are holes (a sparse file, which
// takes no disk space). Returns path.
export function writeSafetensors(path, tensors, metadata) {
  const { head, parts, size } = safetensorsLayout(tensors, metadata);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head, 0, head.length, 0);
    for (const { data, at } of parts) if (data) writeSync(fd, data, 0, data.length, at);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
  return path;
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
    const tensors = names.slice(p * per, (p + 1) * per).map(name => {
      const t = header[name];
      weightMap[name] = shardName;
      return { name, dtype: t.dtype, shape: t.shape, data: bytes.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]) };
    });
    writeFileSync(join(dir, shardName), safetensorsBytes(tensors, meta));
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'),
                JSON.stringify({ metadata: { total_size: bytes.length }, weight_map: weightMap }, null, 1));
  return dir;
}

// Tolerances of the wasm-vs-native comparison. The eigenvalues agree to ~5e-16 * lambda_max (FMA and
// SIMD width differ between -march=native and wasm SIMD128); every quantity that is a smooth function
// of them must then agree to 1e-9. Two kinds are not smooth, measured on the fixtures:
// - matrix_rank counts sqrt(eigenvalue) above numpy's tolerance sv_max * N * eps, but the eigenvalues
//   of W^T W that are zero in exact arithmetic come out as +-1e-16 * lambda_max, whose square roots
//   (1e-8 * sv_max) are far above that tolerance: on a rank-deficient layer the rank counts which of
//   those came out positive (ppocrv4 conv2d_182: 474 vs 476). Allowed: the number of numerically zero
//   eigenvalues. entropy divides by log(rank), so it moves with it;
// - the Marchenko-Pastur fit takes the first minimum of a brute-force grid (the reference's
//   scipy.optimize.brute): near-tied residuals flip the grid point (Conv1 of the f16 fixture: 1.1%).
const MP_FIELDS = ['sigma_mp', 'W_scale', 'bulk_min', 'bulk_max', 'num_spikes', 'mp_softrank'];
function tolerance(key, layer) {
  if (key === 'matrix_rank') {
    const evals = layer.spectra?.evals ?? [];
    const top = Math.max(...evals, 0);
    return { abs: Math.max(1, evals.filter(v => Math.abs(v) <= 1e-12 * top).length) };
  }
  if (key === 'entropy') return { rel: layer.matrix_rank < layer.num_evals ? 2e-2 : 1e-9 };
  if (MP_FIELDS.includes(key)) return { rel: 5e-2, abs: 1 };
  return { rel: 1e-9 };
}

// Asserts two reports hold the same layers and skipped tensors: names, status, warnings, the same
// eigenvalues, and every scalar within the tolerance above (alpha, D, xmin, norms: 1e-9).
export function compareReports(assert, got, want, label) {
  assert.deepEqual(got.layers.map(l => l.name), want.layers.map(l => l.name), `${label}: layer names`);
  assert.deepEqual(got.skipped.map(s => [s.tensor, s.reason]), want.skipped.map(s => [s.tensor, s.reason]), `${label}: skipped`);
  for (let i = 0; i < want.layers.length; ++i) {
    const g = got.layers[i], w = want.layers[i];
    assert.equal(g.status, w.status, `${label} ${w.name}: status`);
    assert.equal(g.warning, w.warning, `${label} ${w.name}: warning`);
    assert.deepEqual(Object.keys(g).filter(k => k !== 'spectra').sort(), Object.keys(w).filter(k => k !== 'spectra').sort(),
                     `${label} ${w.name}: fields`);
    for (const [key, value] of Object.entries(w)) {
      if (typeof value !== 'number' || key === 'seconds') continue;
      const t = tolerance(key, w);
      const diff = Math.abs(g[key] - value);
      const ok = (t.abs !== undefined && diff <= t.abs && Number.isInteger(value)) ||
                 (t.rel !== undefined && diff <= t.rel * Math.max(1, Math.abs(value)));
      assert.ok(ok, `${label} ${w.name}: ${key} = ${g[key]}, native ${value}`);
    }
    if (w.spectra && g.spectra) {
      const ge = g.spectra.evals, we = w.spectra.evals, top = Math.max(...we.map(Math.abs), 1e-300);
      assert.equal(ge.length, we.length, `${label} ${w.name}: number of eigenvalues`);
      for (let k = 0; k < we.length; ++k)
        assert.ok(Math.abs(ge[k] - we[k]) <= 1e-12 * top, `${label} ${w.name}: eval ${k} = ${ge[k]}, native ${we[k]}`);
    }
  }
  assert.equal(got.summary.num_layers, want.summary.num_layers, `${label}: num_layers`);
}

export const haveWasm = variant => existsSync(join(wasmBuildDir(variant), `weightscope-${variant}.wasm`));

// ---- eigenvector metrics (the vectors option, the page's Eigenvectors action) ----

// The 12 vector columns of a layer (docs/report-schema.md).
export const VECTOR_COLUMNS = ['bulk', 'tail'].flatMap(side => ['mean', 'var'].flatMap(stat =>
  ['vec_entropy', 'loc_ratio', 'part_ratio'].map(key => `${side}_${stat}_${key}`)));

// Relative gap of each eigenvalue to its nearest neighbour: per-vector values are compared only
// where it is >= 1e-9 (docs: near-degenerate eigenvectors are any basis of their subspace).
function separatedEvals(evals) {
  const top = Math.max(...evals.map(Math.abs), 1e-300);
  return evals.map((v, i) => Math.min(i > 0 ? v - evals[i - 1] : Infinity, i + 1 < evals.length ? evals[i + 1] - v : Infinity) >= 1e-9 * top);
}

// The wasm result of one layer against the native --vectors report's entry.
export function compareVectors(assert, got, want, label) {
  const keep = separatedEvals(want.spectra.evals);
  // Means and variances over a side with near-degenerate eigenvalues depend on the basis the solver
  // picks inside each degenerate subspace: compared only where every eigenvalue of the side is separated.
  const nTail = want.status === 'success' ? want.num_pl_spikes : keep.length;
  const sideSeparated = { bulk: keep.slice(0, keep.length - nTail).every(Boolean), tail: keep.slice(keep.length - nTail).every(Boolean) };
  for (const key of VECTOR_COLUMNS) {
    if (want[key] === null) { assert.equal(got[key], null, `${label}: ${key}`); continue; }
    if (!sideSeparated[key.split('_')[0]]) continue;
    assert.ok(Math.abs(got[key] - want[key]) <= 1e-8 * Math.abs(want[key]) + 1e-12, `${label}: ${key} = ${got[key]}, native ${want[key]}`);
  }
  for (const key of ['loc_ratio', 'part_ratio', 'vec_entropy']) {
    assert.equal(got.spectra[key].length, want.spectra[key].length, `${label}: ${key} length`);
    want.spectra[key].forEach((w, i) => {
      if (keep[i]) assert.ok(Math.abs(got.spectra[key][i] - w) <= 1e-8 * Math.abs(w) + 1e-12, `${label}: ${key}[${i}] = ${got.spectra[key][i]}, native ${w}`);
    });
  }
}

// Two float64 .npy files (the latent export): the same header (format, dtype, shape) byte for byte,
// and values within 1e-12 of the largest magnitude. Not bytewise: the wasm build's SIMD kernels and
// the native ones round differently (measured on lsa_debian_3k.npy: at most 1.6e-13 apart).
export function compareNpy(assert, got, want, label) {
  const headerEnd = b => (b[6] === 1 ? 10 + b.readUInt16LE(8) : 12 + b.readUInt32LE(8));
  const g = Buffer.from(got), w = Buffer.from(want), n = headerEnd(w);
  assert.ok(g.subarray(0, n).equals(w.subarray(0, n)), `${label}: header ${g.subarray(10, n)} vs ${w.subarray(10, n)}`);
  assert.equal(g.length, w.length, `${label}: size`);
  const f64 = b => new Float64Array(b.buffer.slice(b.byteOffset + n, b.byteOffset + b.length));
  const G = f64(g), W = f64(w);
  const top = W.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worst = 0;
  for (let i = 0; i < W.length; ++i) worst = Math.max(worst, Math.abs(G[i] - W[i]));
  assert.ok(worst <= 1e-12 * top, `${label}: values up to ${worst} apart (largest ${top})`);
}
