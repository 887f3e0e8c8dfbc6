// docs/guide.md -> web/guide.html, so the page links to its guide and the service worker keeps it
// offline. Handles the markdown the guide uses: headings, paragraphs, "- " lists, tables, **bold**,
// `code` and [links](target). usage: node scripts/gen-guide.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const esc = s => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
// A link to another doc becomes its path in the repository (the page does not serve docs/); the
// guide stays offline.
const inline = s => esc(s)
  .replace(/`([^`]+)`/g, '<code>$1</code>')
  .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
  .replace(/\[([^\]]+)\]\(([^)]+)\)/g, (_, text, href) =>
    (/^https:/.test(href) ? `<a href="${href}" rel="noreferrer">${text}</a>` : `${text} (<code>docs/${href}</code> in the repository)`));
const cells = line => line.trim().replace(/^\||\|$/g, '').split('|').map(c => c.trim());

export function guideHtml(md) {
  const out = [], lines = md.split('\n');
  for (let i = 0; i < lines.length;) {
    const line = lines[i];
    if (!line.trim()) { ++i; continue; }
    const h = line.match(/^(#+) (.*)/);
    if (h) { out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`); ++i; continue; }
    if (line.startsWith('|')) {
      const rows = [];
      while (i < lines.length && lines[i].startsWith('|')) rows.push(lines[i++]);
      const [head, , ...body] = rows.map(cells);
      out.push(`<table class="layers"><thead><tr>${head.map(c => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>` +
               body.map(r => `<tr>${r.map(c => `<td>${inline(c)}</td>`).join('')}</tr>`).join('') + '</tbody></table>');
      continue;
    }
    if (line.startsWith('- ')) {
      const items = [];
      while (i < lines.length && (lines[i].startsWith('- ') || lines[i].startsWith('  '))) {
        if (lines[i].startsWith('- ')) items.push(lines[i].slice(2)); else items[items.length - 1] += ' ' + lines[i].trim();
        ++i;
      }
      out.push(`<ul>${items.map(t => `<li>${inline(t)}</li>`).join('')}</ul>`);
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() && !/^(#|\||- )/.test(lines[i])) para.push(lines[i++].trim());
    out.push(`<p>${inline(para.join(' '))}</p>`);
  }
  return `<!doctype html>
<!-- Generated from docs/guide.md by scripts/gen-guide.mjs: do not edit. -->
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; style-src 'self'">
<title>weightscope: reading a report</title>
<link rel="stylesheet" href="css/app.css"><link rel="stylesheet" href="css/layer-table.css"></head>
<body class="guide"><main>
<p><a href="index.html">&larr; back to the analyzer</a></p>
${out.join('\n')}
</main></body></html>
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const html = guideHtml(readFileSync(join(ROOT, 'docs/guide.md'), 'utf8'));
  const target = join(ROOT, 'web/guide.html');
  if (process.argv.includes('--check')) {
    if (readFileSync(target, 'utf8') !== html) { console.error('web/guide.html is stale: run node scripts/gen-guide.mjs'); process.exit(1); }
  } else writeFileSync(target, html);
}
