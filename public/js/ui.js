// Tiny DOM helpers: no framework, no CDN.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    // Through the CSSOM, not a style attribute: the content security policy allows no inline styles.
    else if (key === 'style') node.style.cssText = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (sel) => document.querySelector(sel);

/** Where a member's rows came from: a shard, or all of them (the baseline, a data-parallel or averaged model). */
export function memberRows(m) {
  if (m.baseline) return 'all rows';
  return m.shard >= 0 ? `shard ${m.shard}` : 'all shards';
}

export function message(target, text, kind = '') {
  target.textContent = text || '';
  target.className = `message ${kind}`;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export const pct = (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(2)} %`);
export const num = (v, digits = 4) => (v === null || v === undefined ? '–' : Number(v).toPrecision(digits));
export const ago = (iso) => {
  if (!iso) return '';
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 60) return `${Math.max(0, Math.round(s))} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toLocaleString();
};

export function bar(fraction) {
  return el('div', { class: 'bar' }, el('span', { style: `width:${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%` }));
}

/** The headline number of a version or job: accuracy, or RMSE. */
export function score(metrics) {
  if (!metrics) return '–';
  return metrics.accuracy !== undefined ? `accuracy ${pct(metrics.accuracy)}` : `RMSE ${num(metrics.rmse)}`;
}

/** Replaces the children of `target`, flattening arrays and skipping empty values. */
export function fill(target, ...children) {
  target.replaceChildren(
    ...children
      .flat(Infinity)
      .filter((c) => c !== undefined && c !== null && c !== false)
      .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))),
  );
  return target;
}
