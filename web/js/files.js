// Collecting Files from the file inputs and from drops (files, several shards, or whole folders).

// All files under a dropped entry (FileSystemEntry), depth-first.
async function entryFiles(entry) {
  if (entry.isFile) return [await new Promise((resolve, reject) => entry.file(resolve, reject))];
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const out = [];
  // readEntries returns batches (100 in Chrome) until an empty one.
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const e of batch) out.push(...(await entryFiles(e)));
  }
  return out;
}

export async function droppedFiles(dataTransfer) {
  const entries = [...(dataTransfer.items ?? [])]
    .filter(i => i.kind === 'file')
    .map(i => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
  if (entries.length && entries.every(Boolean)) {
    const lists = await Promise.all(entries.map(entryFiles));
    return lists.flat();
  }
  return [...(dataTransfer.files ?? [])];
}

// What a file is, by its name: the one place these patterns live (the worker gets the files sorted).
const MODEL = /\.(safetensors|gguf|onnx|pt|pth|bin|npy)$/i;
const SHARD_INDEX = /\.index\.json$/i;
const ONNX = /\.onnx$/i;
// A PEFT LoRA adapter's config goes with its weights (adapter_model.safetensors): the core reads
// r, lora_alpha and the target modules from it.
const ADAPTER_CONFIG = /^adapter_config\.json$/i;
export const isModelFile = name => MODEL.test(name) || ADAPTER_CONFIG.test(name);
export const isShardIndex = name => SHARD_INDEX.test(name);
// A saved report (.weightscope.json, the CLI's --json, a compact report): any .json but a shard
// index or an adapter config.
export const isReportFile = name => /\.json$/i.test(name) && !isShardIndex(name) && !ADAPTER_CONFIG.test(name);

// A model's name without its extension and shard suffix: "model-00001-of-00002.safetensors" -> "model".
export function modelBaseName(name) {
  return name.replace(MODEL, '').replace(/-\d{5}-of-\d{5}$/, '');
}

// Files sorted for the analyzer: {models, index, report}. A dropped folder may hold anything else,
// which is left out, except beside an .onnx model: every other file then goes along as a candidate
// external data file (any name: model.onnx.data, weights.bin, ...), and the core keeps the ones
// the model names. `report` is a report file among files that hold no model file (model files
// win when both are chosen).
export function sortFiles(files) {
  const onnx = files.some(f => ONNX.test(f.name));
  const models = onnx ? files.filter(f => !isShardIndex(f.name) && !isReportFile(f.name)) : files.filter(f => isModelFile(f.name));
  return {
    models,
    index: files.find(f => isShardIndex(f.name)) ?? null,
    report: models.length ? null : files.find(f => isReportFile(f.name)) ?? null,
  };
}
