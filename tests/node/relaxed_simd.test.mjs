// The fma build: its relaxed madd carries the standardized opcode (wasm/relaxed_simd_opcodes.mjs
// renumbered LLVM 14's), so an engine validates it exactly when it has relaxed SIMD; the page's
// probe (engine.js relaxedSimd) tells the two apart. Node 20 has relaxed SIMD only behind a flag,
// which these tests set part way through (the wasm_vs_native tests run the build against the CLI).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import v8 from 'node:v8';
import { relaxedSimd } from '../../web/js/engine.js';
import { wasmBuildDir } from './helpers.mjs';

const file = join(wasmBuildDir('fma'), 'weightscope-fma.wasm');
const bytes = readFileSync(file);

test('the fma build has relaxed madd with the standard opcode only', () => {
  const listing = execFileSync('llvm-objdump-14', ['-d', file], { maxBuffer: 1 << 30, encoding: 'utf8' });
  const ops = listing.split('\n').map(l => /^\s*[0-9a-f]+:\s+((?:[0-9a-f]{2} )+)\s*(\S+)/.exec(l)).filter(Boolean);
  assert.equal(ops.filter(m => m[2] === 'f64x2.fma').length, 0, 'no proposal-era opcode left');
  const madd = ops.filter(m => m[1].trim() === 'fd 87 02');
  assert.ok(madd.length >= 20, `the kernels' relaxed madd are there (${madd.length})`);
  assert.ok(ops.every(m => m[2] !== '<unknown>' || m[1].trim() === 'fd 87 02'), 'no other unknown instruction');
});

test('engines validate it, and the probe says so, exactly when relaxed SIMD is on', () => {
  assert.equal(relaxedSimd(), false);
  assert.equal(WebAssembly.validate(bytes), false);
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  assert.equal(relaxedSimd(), true);
  assert.equal(WebAssembly.validate(bytes), true);
});
