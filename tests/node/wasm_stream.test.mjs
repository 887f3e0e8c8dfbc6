// A layer big enough to stream its Gram matrix by row panels (analysis/streamed_layer.h: over
// 256 MB, smaller side above 1024) gives the native CLI's layer through the wasm build too. The
// first version crashed only in wasm: clang evaluated clamp_zeros(std::move(ev), zero_bound(ev))
// left to right, so the bound read a moved-from vector (gcc's native build went right to left).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeWithModule, closeFiles, compareReports, haveWasm, loadModule, nativeReport, writeSafetensors } from './helpers.mjs';

after(closeFiles);

test('a streamed 40000 x 1800 F32 layer (288 MB): wasm st equals native', { skip: !haveWasm('st') }, async () => {
  const n = 40000, m = 1800;
  const data = new Float32Array(n * m);
  let s = 12345;
  for (let i = 0; i < data.length; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32 - 0.5) / Math.sqrt(m);
  }
  const path = writeSafetensors(join(mkdtempSync(join(tmpdir(), 'ws-stream-')), 'big.safetensors'),
                                [{ name: 'big.weight', shape: [n, m], data }]);
  const module = await loadModule('st', 1);
  const got = analyzeWithModule(module, path);
  const want = nativeReport(path);
  assert.equal(want.layers.length, 1);
  assert.equal(want.layers[0].status, 'success');
  compareReports(assert, got, want, 'streamed layer');
});
