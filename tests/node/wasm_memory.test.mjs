// Out of wasm memory in one layer: that layer is skipped with its size and what it needs, and the
// run goes on. Needs an st build with a small heap maximum, e.g.
//   emcmake cmake -B build-wasm-small -DWS_WASM_VARIANT=st -DWS_WASM_MAXIMUM_MEMORY=256MB ...
//   WS_WASM_DIR=build-wasm-small/web node --test tests/node/wasm_memory.test.mjs
// (skipped without WS_WASM_DIR: the default builds' 4 GB take far too big a file to fill).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeWithModule, closeFiles, loadModule, writeSafetensors } from './helpers.mjs';

after(closeFiles);

function normal(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;  // LCG: uniform, enough for a full-rank layer
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

test('a layer that does not fit in the wasm heap is skipped, the next one analyzed',
     { skip: process.env.WS_WASM_DIR ? false : 'set WS_WASM_DIR to a build with a small WS_WASM_MAXIMUM_MEMORY' }, async () => {
  const module = await loadModule('st', 1);
  // 6000 x 6000 F32: 144 MB of weights fit in 256 MB, its 288 MB Gram matrix does not.
  const path = writeSafetensors(join(mkdtempSync(join(tmpdir(), 'ws-oom-')), 'model.safetensors'), [
    { name: 'big.weight', shape: [6000, 6000], data: normal(6000 * 6000, 1) },
    { name: 'small.weight', shape: [64, 32], data: normal(64 * 32, 2) },
  ]);
  const report = analyzeWithModule(module, path);
  assert.equal(report.skipped.length, 1);
  assert.equal(report.skipped[0].name, 'big');
  assert.equal(report.skipped[0].reason,
               'out of memory: the 6000 x 6000 layer needs at least 432 MB (144 MB of weights, a 288 MB Gram matrix)');
  assert.deepEqual(report.layers.map(l => l.name), ['small']);
  assert.equal(report.layers[0].status, 'success');
  assert.equal(report.summary.complete, true);
});
