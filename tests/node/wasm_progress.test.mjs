// A long layer's progress crosses the binding: Module.wsProgress(phase, fraction) is called during
// the step, phase by phase in order, each fraction rising to 1 (the worker passes them to the page).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { closeFiles, loadModule, nodeFile, writeSafetensors } from './helpers.mjs';

after(closeFiles);

test('a big layer reports read, gram, reduction, eigenvalues and fit with rising fractions', async () => {
  const module = await loadModule('st', 1);
  const data = new Float32Array(2400 * 1600);
  let s = 7;
  for (let i = 0; i < data.length; ++i) data[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const path = writeSafetensors(join(mkdtempSync(join(tmpdir(), 'ws-progress-')), 'model.safetensors'),
                                [{ name: 'big.weight', shape: [2400, 1600], data }]);
  const a = module.Analysis.open([nodeFile(path)], '', JSON.stringify({ threads: 1 }));
  const seen = [];
  module.wsProgress = (phase, fraction) => seen.push([phase, fraction]);
  try {
    assert.equal(JSON.parse(a.step()).kind, 'layer');
  } finally {
    module.wsProgress = null;
    a.delete();
  }
  const phases = seen.map(([p]) => p).filter((p, i, all) => p !== all[i - 1]);
  assert.deepEqual(phases, ['read', 'gram', 'reduction', 'eigenvalues', 'fit']);
  for (const phase of ['gram', 'reduction']) {
    const f = seen.filter(([p]) => p === phase).map(([, x]) => x);
    assert.ok(f.length >= 10, `${phase}: ${f.length} reports`);
    for (let i = 1; i < f.length; ++i) assert.ok(f[i] > f[i - 1], `${phase} fractions rise: ${f}`);
    assert.equal(f.at(-1), 1);
  }
});
