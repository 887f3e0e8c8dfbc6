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

// Only what the analyzer reads: model files and the shard index (a dropped folder may hold more).
export function relevantFiles(files) {
  return files.filter(f => /\.(safetensors|npy)$/i.test(f.name) || f.name.endsWith('.index.json'));
}
