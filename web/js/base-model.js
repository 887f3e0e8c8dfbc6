// The optional base model of a fine-tune or a LoRA adapter: chosen once, kept for every run until
// cleared. A run with a base analyzes, per tensor matched by name, dW = W_ft - W_base (for an
// adapter: W_base + dW as well); the core reads the two models one tensor pair at a time, so two
// big checkpoints are never both in memory. Held in the store as `base`: {models, index} or null.
import { sortFiles } from './files.js';
import { bytes } from './report/format.js';

const byTestId = id => document.querySelector(`[data-testid="${id}"]`);

export function installBaseModel(store) {
  const name = byTestId('base-name'), clear = byTestId('base-clear');
  const choose = files => {
    const { models, index } = sortFiles(files);
    store.set({ base: models.length ? { models, index } : null });
    if (!models.length && files.length) name.textContent = `no model file among ${files.length} chosen: no base`;
  };
  for (const id of ['base-input', 'base-folder-input']) {
    byTestId(id).addEventListener('change', e => {
      choose([...e.target.files]);
      e.target.value = '';
    });
  }
  clear.addEventListener('click', () => store.set({ base: null }));
  store.subscribe((s, before) => {
    if (before && s.base === before.base) return;
    clear.hidden = !s.base;
    if (s.base) {
      const size = s.base.models.reduce((n, f) => n + f.size, 0);
      name.textContent = `base: ${s.base.models.map(f => f.name).join(', ')} (${bytes(size)}); the next model is compared with it`;
    } else if (!before || before.base) name.textContent = 'none: each model is analyzed on its own';
  });
}
