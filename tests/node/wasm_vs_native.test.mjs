// The wasm builds (single-threaded, threaded, threaded with relaxed-SIMD FMA) give the native CLI's results on every fixture,
// on a sharded copy (shards + index), and turn bad input into a readable JS error.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { analyzeWithModule, closeFiles, compareReports, fixtureFiles, loadModule, makeShards, nativeReport,
         unloadModule } from './helpers.mjs';

after(closeFiles);

for (const [variant, threads] of [['st', 1], ['mt', 4], ['fma', 4]]) {
  describe(`wasm ${variant}`, () => {
    let module;
    before(async () => { module = await loadModule(variant, threads); });
    after(() => unloadModule(module));

    for (const path of fixtureFiles()) {
      test(`${path.split('/').pop()} equals the native CLI`, () => {
        const got = analyzeWithModule(module, path, { threads });
        compareReports(assert, got, nativeReport(path), variant);
        // Plot data crosses the boundary intact.
        const want = nativeReport(path).layers.find(l => l.spectra);
        const mine = got.layers.find(l => l.name === want.name);
        assert.deepEqual(mine.spectra.evals.length, want.spectra.evals.length);
      });
    }

    test('shards + index.json equal the single file', () => {
      const src = fixtureFiles().find(f => f.includes('ppocrv4'));
      const dir = makeShards(src, 3);
      const shards = [1, 2, 3].map(i => join(dir, `model-0000${i}-of-00003.safetensors`));
      // Shards given out of order: the index fixes the tensor order.
      const got = analyzeWithModule(module, [shards[2], shards[0], shards[1]], { threads, index: join(dir, 'model.safetensors.index.json') });
      compareReports(assert, got, nativeReport(src), `${variant} shards`);
      assert.equal(got.model.files.length, 3);
    });

    test('a truncated file is a readable error, and the module stays usable', () => {
      const src = fixtureFiles()[0];
      const bytes = readFileSync(src);
      const bad = join(mkdtempSync(join(tmpdir(), 'ws-bad-')), 'truncated.safetensors');
      writeFileSync(bad, bytes.subarray(0, bytes.length - 1000));
      assert.throws(() => analyzeWithModule(module, bad, { threads }), e => {
        assert.ok(e instanceof Error, 'a JS Error');
        assert.match(e.message, /truncated\.safetensors/);
        return true;
      });
      const garbage = join(mkdtempSync(join(tmpdir(), 'ws-bad-')), 'garbage.safetensors');
      writeFileSync(garbage, Buffer.from('this is not a safetensors file at all'));
      assert.throws(() => analyzeWithModule(module, garbage, { threads }), /garbage\.safetensors/);
      const ok = analyzeWithModule(module, fixtureFiles()[0], { threads });
      assert.ok(ok.layers.length > 0);
    });

    test('CSV has a header and one row per layer', () => {
      const report = analyzeWithModule(module, fixtureFiles()[0], { threads });
      const lines = module.reportCsv(JSON.stringify(report)).trim().split('\n');
      assert.equal(lines.length, report.layers.length + 1);
      assert.match(lines[0], /alpha/);
    });
  });
}
