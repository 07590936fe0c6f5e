// Thin client of Quorum's HTTP API. Every error carries the server's message and catalogue code.
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.type = body?.type;
    this.data = body?.data;
  }
}

async function request(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`api/${path}`, init);
  const text = await res.text();
  let data;
  try { data = text ? JSON.parse(text) : undefined; } catch { data = { message: text }; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body ?? {}),
  del: (path) => request('DELETE', path),
  /** Multipart upload with upload progress (fetch has none): XMLHttpRequest. */
  upload(path, form, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `api/${path}`);
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
      xhr.onload = () => {
        let data;
        try { data = JSON.parse(xhr.responseText); } catch { data = { message: xhr.responseText }; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data); else reject(new ApiError(xhr.status, data));
      };
      xhr.onerror = () => reject(new ApiError(0, { message: 'network error' }));
      xhr.send(form);
    });
  },
};

/** Server-sent events with automatic reconnection (EventSource retries by itself). */
export function subscribe(handlers, onState) {
  const source = new EventSource('api/events');
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  for (const [event, handler] of Object.entries(handlers)) {
    source.addEventListener(event, (e) => handler(JSON.parse(e.data)));
  }
  return source;
}
