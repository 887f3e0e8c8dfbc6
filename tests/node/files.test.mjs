// web/js/files.js: which chosen files are model files, the shard index, a report or left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isReportFile, modelBaseName, sortFiles } from '../../web/js/files.js';

const files = names => names.map(name => ({ name, size: 1 }));
const names = list => list.map(f => f.name);

test('a Hugging Face folder: the safetensors shards and their index; configs and tokenizers stay out', () => {
  const r = sortFiles(files(['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors',
                             'model.safetensors.index.json', 'tokenizer.json', 'README.md']));
  assert.deepEqual(names(r.models), ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  assert.equal(r.index.name, 'model.safetensors.index.json');
  assert.equal(r.report, null);
});

test('a PEFT LoRA adapter folder: the weights and adapter_config.json go to the core', () => {
  const r = sortFiles(files(['README.md', 'adapter_config.json', 'adapter_model.safetensors']));
  assert.deepEqual(names(r.models), ['adapter_config.json', 'adapter_model.safetensors']);
  assert.equal(r.report, null);
  assert.equal(isReportFile('adapter_config.json'), false);
  assert.equal(isReportFile('x.adapter_config.json'), true);
});

test('a report file alone opens as a report; beside a model the model wins', () => {
  assert.equal(sortFiles(files(['run.weightscope.json'])).report.name, 'run.weightscope.json');
  const r = sortFiles(files(['run.weightscope.json', 'model.gguf']));
  assert.deepEqual(names(r.models), ['model.gguf']);
  assert.equal(r.report, null);
});

test('an ONNX model takes every other file along as a candidate external data file', () => {
  const r = sortFiles(files(['model.onnx', 'model.onnx.data', 'weights.bin', 'report.json']));
  assert.deepEqual(names(r.models), ['model.onnx', 'model.onnx.data', 'weights.bin']);
});

test('model base names drop the extension and the shard suffix', () => {
  assert.equal(modelBaseName('model-00001-of-00002.safetensors'), 'model');
  assert.equal(modelBaseName('llama.Q4_K.gguf'), 'llama.Q4_K');
  assert.equal(modelBaseName('pytorch_model.bin'), 'pytorch_model');
});
