// For pages that embed web/embed.html in an iframe: sizes every <iframe data-weightscope-embed> to
// the height its content reports. Only messages from that iframe's own window count, and only a
// bounded number is used.
window.addEventListener('message', e => {
  if (e.data?.type !== 'weightscope-embed-height') return;
  const height = Number(e.data.height);
  if (!Number.isFinite(height)) return;
  for (const frame of document.querySelectorAll('iframe[data-weightscope-embed]'))
    if (frame.contentWindow === e.source) frame.style.height = `${Math.max(60, Math.min(height, 20000))}px`;
});
