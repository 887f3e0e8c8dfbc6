// A small plotting module: one scene description drawn by the same code onto a <canvas> (screen,
// PNG export) and into an SVG string (SVG export), with hover read-outs. Scene:
//   {title, width?, height?, x: {label, log, min?, max?}, y: {label, log, min?, max?},
//    layers: [{type: 'bars', edges, heights} | {type: 'line'|'points', x, y, names?} |
//             {type: 'vline', x} | {type: 'hline', y} | {type: 'hband', y0, y1} | {type: 'marker', x, y}
//             ... each with color, label?, dash?, width?]}
import { saveBlob } from '../download.js';
import { domain, formatNumber, scale, ticks } from './ticks.js';

const MARGIN = { left: 66, right: 14, top: 30, bottom: 46 };
const FONT = '12px system-ui, sans-serif';

function layerValues(scene, axis) {
  const out = [];
  for (const l of scene.layers) {
    if (axis === 'x') {
      if (l.type === 'bars') out.push(...l.edges);
      else if (l.x !== undefined && l.type !== 'hline' && l.type !== 'hband') out.push(...[].concat(l.x));
    } else {
      if (l.type === 'bars') out.push(...l.heights.filter(h => h > 0));
      else if (l.type === 'hband') out.push(l.y0, l.y1);
      else if (l.y !== undefined && l.type !== 'vline') out.push(...[].concat(l.y));
    }
  }
  return out;
}

// Pixel geometry shared by drawing and hover.
export function layout(scene) {
  const width = scene.width ?? 520, height = scene.height ?? 330;
  const xd = domain(layerValues(scene, 'x'), scene.x.log, scene.x);
  const yd = domain(layerValues(scene, 'y'), scene.y.log, scene.y);
  const box = { x0: MARGIN.left, x1: width - MARGIN.right, y0: MARGIN.top, y1: height - MARGIN.bottom };
  return { width, height, xd, yd, box, sx: scale(xd, scene.x.log, [box.x0, box.x1]),
           sy: scale(yd, scene.y.log, [box.y1, box.y0]) };
}

const visible = (v, log) => Number.isFinite(v) && (!log || v > 0);

// Draws the scene through a backend: {line(pts, style), rect(x, y, w, h, fill), circle(x, y, r, style),
// text(x, y, s, {align, baseline, rotate, color, bold}), clip(box), unclip()}.
export function drawScene(scene, g) {
  const L = layout(scene);
  const { box, sx, sy } = L;
  g.rect(0, 0, L.width, L.height, '#ffffff');
  // Grid and ticks.
  const xt = ticks(L.xd, scene.x.log, 6), yt = ticks(L.yd, scene.y.log, 5);
  for (const t of xt) {
    const px = sx(t.value);
    g.line([[px, box.y0], [px, box.y1]], { color: '#e6e8ec', width: 1 });
    g.text(px, box.y1 + 6, t.label, { align: 'center', baseline: 'top', color: '#444' });
  }
  for (const t of yt) {
    const py = sy(t.value);
    g.line([[box.x0, py], [box.x1, py]], { color: '#e6e8ec', width: 1 });
    g.text(box.x0 - 6, py, t.label, { align: 'right', baseline: 'middle', color: '#444' });
  }
  g.clip(box);
  const base = box.y1;
  for (const l of scene.layers) {
    const color = l.color ?? '#3b6fb6';
    if (l.type === 'hband') {
      const a = sy(Math.max(l.y0, L.yd[0])), b = sy(Math.min(l.y1, L.yd[1]));
      g.rect(box.x0, Math.min(a, b), box.x1 - box.x0, Math.abs(a - b), color);
    } else if (l.type === 'bars') {
      for (let i = 0; i < l.heights.length; ++i) {
        const h = l.heights[i];
        if (!visible(h, scene.y.log) || h === 0) continue;
        const a = sx(l.edges[i]), b = sx(l.edges[i + 1]), top = sy(h);
        g.rect(Math.min(a, b), top, Math.max(0.7, Math.abs(b - a) - 0.4), base - top, color);
      }
    } else if (l.type === 'line') {
      let run = [];
      const flush = () => { if (run.length > 1) g.line(run, { color, width: l.width ?? 2, dash: l.dash }); run = []; };
      for (let i = 0; i < l.x.length; ++i) {
        if (visible(l.x[i], scene.x.log) && visible(l.y[i], scene.y.log)) run.push([sx(l.x[i]), sy(l.y[i])]);
        else flush();
      }
      flush();
    } else if (l.type === 'points') {
      for (let i = 0; i < l.x.length; ++i)
        if (visible(l.x[i], scene.x.log) && visible(l.y[i], scene.y.log))
          g.circle(sx(l.x[i]), sy(l.y[i]), l.r ?? 3, { fill: Array.isArray(color) ? color[i] : color });
    } else if (l.type === 'vline' && visible(l.x, scene.x.log)) {
      g.line([[sx(l.x), box.y0], [sx(l.x), box.y1]], { color, width: l.width ?? 2, dash: l.dash });
    } else if (l.type === 'hline' && visible(l.y, scene.y.log)) {
      g.line([[box.x0, sy(l.y)], [box.x1, sy(l.y)]], { color, width: l.width ?? 1.5, dash: l.dash });
    } else if (l.type === 'marker' && visible(l.x, scene.x.log) && visible(l.y, scene.y.log)) {
      g.circle(sx(l.x), sy(l.y), 6, { stroke: color, width: 2.5 });
    }
  }
  g.unclip();
  // Frame, labels, title, legend.
  g.line([[box.x0, box.y0], [box.x0, box.y1], [box.x1, box.y1], [box.x1, box.y0], [box.x0, box.y0]],
         { color: '#888', width: 1 });
  g.text((box.x0 + box.x1) / 2, L.height - 6, scene.x.label, { align: 'center', baseline: 'bottom', color: '#222' });
  g.text(14, (box.y0 + box.y1) / 2, scene.y.label, { align: 'center', baseline: 'middle', rotate: -90, color: '#222' });
  if (scene.title) g.text(box.x0, 16, scene.title, { align: 'left', baseline: 'middle', color: '#111', bold: true });
  const legend = scene.layers.filter(l => l.label);
  if (legend.length) {
    // Text width estimated (7 px a character at 12 px): the SVG backend cannot measure text.
    const w = 30 + 7 * Math.max(...legend.map(l => l.label.length));
    const lx = Math.max(box.x0 + 4, box.x1 - w - 6);
    g.rect(lx - 6, box.y0 + 4, w + 6, legend.length * 16 + 8, 'rgba(255,255,255,0.85)');
    let ly = box.y0 + 16;
    for (const l of legend) {
      const c = Array.isArray(l.color) ? l.color[0] : l.color ?? '#3b6fb6';
      if (l.type === 'bars' || l.type === 'hband') g.rect(lx, ly - 5, 14, 10, c);
      else if (l.type === 'points' || l.type === 'marker') g.circle(lx + 7, ly, 4, { fill: c });
      else g.line([[lx, ly], [lx + 14, ly]], { color: c, width: 2, dash: l.dash });
      g.text(lx + 20, ly, l.label, { align: 'left', baseline: 'middle', color: '#222' });
      ly += 16;
    }
  }
  return L;
}

export function canvasBackend(ctx) {
  return {
    rect(x, y, w, h, fill) { ctx.fillStyle = fill; ctx.fillRect(x, y, w, h); },
    line(pts, s) {
      ctx.beginPath();
      ctx.strokeStyle = s.color; ctx.lineWidth = s.width ?? 1; ctx.setLineDash(s.dash ?? []);
      pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.stroke(); ctx.setLineDash([]);
    },
    circle(x, y, r, s) {
      ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
      if (s.fill) { ctx.fillStyle = s.fill; ctx.fill(); }
      if (s.stroke) { ctx.strokeStyle = s.stroke; ctx.lineWidth = s.width ?? 1; ctx.stroke(); }
    },
    text(x, y, str, o) {
      ctx.save(); ctx.font = o.bold ? 'bold ' + FONT : FONT; ctx.fillStyle = o.color ?? '#222';
      ctx.textAlign = o.align ?? 'left'; ctx.textBaseline = o.baseline ?? 'alphabetic';
      ctx.translate(x, y); if (o.rotate) ctx.rotate((o.rotate * Math.PI) / 180);
      ctx.fillText(str, 0, 0); ctx.restore();
    },
    clip(b) { ctx.save(); ctx.beginPath(); ctx.rect(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0); ctx.clip(); },
    unclip() { ctx.restore(); },
  };
}

const esc = s => String(s).replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const n = v => Math.round(v * 100) / 100;

// The scene as a standalone SVG document.
export function sceneToSvg(scene) {
  const parts = [];
  const g = {
    rect(x, y, w, h, fill) { parts.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${fill}"/>`); },
    line(pts, s) {
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1}"` +
        (s.dash ? ` stroke-dasharray="${s.dash.join(' ')}"` : '') +
        ` points="${pts.map(([x, y]) => `${n(x)},${n(y)}`).join(' ')}"/>`);
    },
    circle(x, y, r, s) {
      parts.push(`<circle cx="${n(x)}" cy="${n(y)}" r="${r}" fill="${s.fill ?? 'none'}"` +
        (s.stroke ? ` stroke="${s.stroke}" stroke-width="${s.width ?? 1}"` : '') + '/>');
    },
    text(x, y, str, o) {
      const anchor = { left: 'start', center: 'middle', right: 'end' }[o.align ?? 'left'];
      const base = { top: 'hanging', middle: 'central', bottom: 'text-after-edge' }[o.baseline] ?? 'auto';
      parts.push(`<text x="${n(x)}" y="${n(y)}" text-anchor="${anchor}" dominant-baseline="${base}"` +
        ` fill="${o.color ?? '#222'}"${o.bold ? ' font-weight="bold"' : ''}` +
        (o.rotate ? ` transform="rotate(${o.rotate} ${n(x)} ${n(y)})"` : '') + `>${esc(str)}</text>`);
    },
    clip(b) {
      parts.push(`<clipPath id="plot-area"><rect x="${b.x0}" y="${b.y0}" width="${b.x1 - b.x0}" height="${b.y1 - b.y0}"/></clipPath><g clip-path="url(#plot-area)">`);
    },
    unclip() { parts.push('</g>'); },
  };
  const L = drawScene(scene, g);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height}" ` +
    `viewBox="0 0 ${L.width} ${L.height}" font-family="system-ui, sans-serif" font-size="12">\n${parts.join('\n')}\n</svg>\n`;
}

// Points a hover can land on: [{px, py, text}].
function hoverTargets(scene, L) {
  const out = [];
  const xs = scene.x.hover ?? scene.x.label, ys = scene.y.hover ?? scene.y.label;
  const fmt = (l, x, y, name) => `${name ? name + '\n' : ''}${l.label ? l.label + '\n' : ''}${xs} = ${formatNumber(x)}\n${ys} = ${formatNumber(y)}`;
  for (const l of scene.layers) {
    if (l.type === 'bars') {
      for (let i = 0; i < l.heights.length; ++i) {
        const h = l.heights[i];
        if (!(h > 0)) continue;
        const xm = scene.x.log ? Math.sqrt(l.edges[i] * l.edges[i + 1]) : (l.edges[i] + l.edges[i + 1]) / 2;
        out.push({ px: L.sx(xm), py: L.sy(h), text: `${l.label ? l.label + '\n' : ''}${xs} in [${formatNumber(l.edges[i])}, ${formatNumber(l.edges[i + 1])}]\n${ys} = ${formatNumber(h)}` });
      }
    } else if (l.type === 'line' || l.type === 'points') {
      for (let i = 0; i < l.x.length; ++i)
        if (visible(l.x[i], scene.x.log) && visible(l.y[i], scene.y.log))
          out.push({ px: L.sx(l.x[i]), py: L.sy(l.y[i]), text: fmt(l, l.x[i], l.y[i], l.names?.[i]) });
    } else if (l.type === 'marker' || (l.type === 'vline' && l.label)) {
      const y = l.type === 'marker' ? l.y : undefined;
      if (!visible(l.x, scene.x.log)) continue;
      out.push({ px: L.sx(l.x), py: y !== undefined ? L.sy(y) : null,
                 text: `${l.label ?? ''}\n${xs} = ${formatNumber(l.x)}${y !== undefined ? `\n${ys} = ${formatNumber(y)}` : ''}` });
    }
  }
  return out;
}

function paint(canvas, scene, ratio) {
  const L = layout(scene);
  canvas.width = Math.round(L.width * ratio);
  canvas.height = Math.round(L.height * ratio);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  drawScene(scene, canvasBackend(ctx));
  return L;
}

// A figure in container: the canvas, a hover read-out, PNG and SVG buttons. `kind` names the plot
// for tests and file names. Returns the figure element.
export function mountPlot(container, scene, { kind = 'plot', filename = kind } = {}) {
  const fig = document.createElement('figure');
  fig.className = 'plot';
  fig.dataset.plotKind = kind;
  fig.dataset.points = String(scene.layers.reduce((s, l) => s + (l.heights?.filter(h => h > 0).length ?? l.x?.length ?? 0), 0));
  const canvas = document.createElement('canvas');
  const L = paint(canvas, scene, window.devicePixelRatio || 1);
  canvas.style.width = L.width + 'px';
  canvas.style.height = L.height + 'px';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', scene.title ?? kind);
  const tip = document.createElement('div');
  tip.className = 'plot-tip';
  tip.hidden = true;
  const targets = hoverTargets(scene, L);
  canvas.addEventListener('mousemove', e => {
    const r = canvas.getBoundingClientRect();
    const mx = e.clientX - r.left, my = e.clientY - r.top;
    let best = null, bestD = 30 * 30;
    for (const t of targets) {
      const d = (t.px - mx) ** 2 + (t.py === null ? 0 : (t.py - my) ** 2);
      if (d < bestD) { bestD = d; best = t; }
    }
    tip.hidden = !best;
    if (best) {
      tip.textContent = best.text.trim();
      tip.style.left = Math.min(mx + 12, L.width - 150) + 'px';
      tip.style.top = my + 12 + 'px';
    }
  });
  canvas.addEventListener('mouseleave', () => { tip.hidden = true; });
  const bar = document.createElement('div');
  bar.className = 'plot-actions';
  const png = document.createElement('button');
  png.textContent = 'PNG';
  png.dataset.testid = 'save-png';
  png.addEventListener('click', () => {
    const c = document.createElement('canvas');
    paint(c, scene, 2);
    c.toBlob(b => saveBlob(b, filename + '.png'), 'image/png');
  });
  const svg = document.createElement('button');
  svg.textContent = 'SVG';
  svg.dataset.testid = 'save-svg';
  svg.addEventListener('click', () => saveBlob(new Blob([sceneToSvg(scene)], { type: 'image/svg+xml' }), filename + '.svg'));
  bar.append(png, svg);
  const wrap = document.createElement('div');
  wrap.className = 'plot-canvas';
  wrap.append(canvas, tip);
  fig.append(wrap, bar);
  container.append(fig);
  return fig;
}
