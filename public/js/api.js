// Thin client of Quorum's HTTP API. Every error carries the server's message and catalogue code.
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.type = body?.type;
    this.data = body?.data;
  }
}

const KEY = 'quorum.apiKey';
export const apiKey = () => sessionStorage.getItem(KEY) ?? '';

/** A small modal asking for an API key (after a 401); resolves once one is given. */
let asking;
function askKey(text) {
  asking ??= new Promise((resolve) => {
    const box = document.createElement('div');
    box.className = 'modal';
    box.id = 'key-modal';
    box.innerHTML =
      '<form><strong>API key needed</strong><span class="muted"></span><input type="password" id="key-input" autocomplete="off" required><button type="submit">Use key</button></form>';
    box.querySelector('.muted').textContent = text;
    box.querySelector('form').addEventListener('submit', (e) => {
      e.preventDefault();
      sessionStorage.setItem(KEY, box.querySelector('input').value.trim());
      box.remove();
      asking = undefined;
      window.dispatchEvent(new Event('quorum:key'));
      resolve();
    });
    document.body.append(box);
    box.querySelector('input').focus();
  });
  return asking;
}

async function request(method, path, body) {
  const init = { method, headers: {} };
  if (apiKey()) init.headers.Authorization = `Bearer ${apiKey()}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`api/${path}`, init);
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = { message: text };
  }
  if (res.status === 401) {
    // No key, or a wrong one: ask (again) and repeat the request with the key given.
    await askKey(data?.message || 'this server asks for an API key');
    return request(method, path, body);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const api = {
  get: (path) => request('GET', path),
  /** A download (export, batch predictions) with the key: fetch, then save the blob. */
  async download(path, filename, init = {}) {
    const headers = { ...(init.headers ?? {}) };
    if (apiKey()) headers.Authorization = `Bearer ${apiKey()}`;
    const res = await fetch(`api/${path}`, { ...init, headers });
    if (!res.ok) {
      let d;
      try {
        d = await res.json();
      } catch {
        d = {};
      }
      throw new ApiError(res.status, d);
    }
    const url = URL.createObjectURL(await res.blob());
    Object.assign(document.createElement('a'), { href: url, download: filename }).click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  },
  post: (path, body) => request('POST', path, body ?? {}),
  del: (path) => request('DELETE', path),
  /** Multipart upload with upload progress (fetch has none): XMLHttpRequest. */
  upload(path, form, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `api/${path}`);
      if (apiKey()) xhr.setRequestHeader('Authorization', `Bearer ${apiKey()}`);
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
      xhr.onload = () => {
        let data;
        try {
          data = JSON.parse(xhr.responseText);
        } catch {
          data = { message: xhr.responseText };
        }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(new ApiError(xhr.status, data));
      };
      xhr.onerror = () => reject(new ApiError(0, { message: 'network error' }));
      xhr.send(form);
    });
  },
};

/**
 * Server-sent events. EventSource retries by itself after a network error, but not after an HTTP
 * error (a 401 before a key is given, a 503 while the gateway starts): then the stream is opened
 * again after a few seconds, and at once when a new key is given.
 */
export function subscribe(handlers, onState) {
  let source;
  let timer;
  const open = () => {
    clearTimeout(timer);
    source?.close();
    source = new EventSource(apiKey() ? `api/events?key=${encodeURIComponent(apiKey())}` : 'api/events');
    source.onopen = () => onState(true);
    source.onerror = () => {
      onState(false);
      if (source.readyState === EventSource.CLOSED) timer = setTimeout(open, 3000);
    };
    for (const [event, handler] of Object.entries(handlers)) {
      source.addEventListener(event, (e) => handler(JSON.parse(e.data)));
    }
  };
  window.addEventListener('quorum:key', open);
  open();
  return {
    close: () => {
      clearTimeout(timer);
      source?.close();
      window.removeEventListener('quorum:key', open);
    },
  };
}
