// The cloudprint API from the browser: same origin, bearer secret from this browser's storage.

const KEY_ITEM = 'cloudprint.key';

export const keyStore = {
  get: () => localStorage.getItem(KEY_ITEM),
  set: (key) => localStorage.setItem(KEY_ITEM, key),
  clear: () => localStorage.removeItem(KEY_ITEM),
};

/** Above this a document goes through a presigned upload: API Gateway and Lambda take about 4.5 MB of binary body. */
export const DIRECT_LIMIT_BYTES = 4 * 1024 * 1024;

/** Fires `unauthorized` when the cloud refuses the stored key (401): revoked, rotated or mistyped. */
export const authEvents = new EventTarget();

function refused(status, key) {
  if (status === 401 && key) authEvents.dispatchEvent(new Event('unauthorized'));
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || String(status);
    this.body = body || {};
  }
}

function url(path) {
  return new URL(path.replace(/^\//, ''), document.baseURI).toString();
}

async function parse(res) {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return { message: text };
  }
}

/** JSON call; throws ApiError for anything but 2xx and 304. */
export async function api(method, path, { body, headers = {}, key = keyStore.get() } = {}) {
  const res = await fetch(url(path), {
    method,
    headers: {
      accept: 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    cache: 'no-store',
  });
  if (res.status === 304) return { status: 304, data: null, etag: res.headers.get('etag') };
  const data = await parse(res);
  refused(res.status, key);
  if (!res.ok) throw new ApiError(res.status, data);
  return { status: res.status, data, etag: res.headers.get('etag') };
}

/**
 * Sends bytes with XMLHttpRequest, the one browser API that reports upload progress.
 * Resolves with the parsed JSON answer; rejects with ApiError (or a network Error).
 */
export function send({ method, target, headers, body, onProgress }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, target);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded, e.total);
    };
    xhr.onload = () => {
      let data = {};
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : {};
      } catch {
        data = { message: xhr.responseText };
      }
      refused(xhr.status, headers.authorization);
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    };
    xhr.onerror = () => reject(new Error('The connection failed during the upload'));
    xhr.send(body);
  });
}

/** POSTs a document as the request body (small files). */
export function postDocument(printerId, file, contentType, query, onProgress) {
  const qs = new URLSearchParams(query).toString();
  return send({
    method: 'POST',
    target: url(`v1/printers/${encodeURIComponent(printerId)}/jobs?${qs}`),
    headers: {
      authorization: `Bearer ${keyStore.get()}`,
      'content-type': contentType,
      accept: 'application/json',
    },
    body: file,
    onProgress,
  });
}

/** Faxes a document (as the request body) to an E.164 number from a multi-function device. */
export function faxDocument(printerId, file, contentType, to, title, onProgress) {
  const qs = new URLSearchParams({ to, title }).toString();
  return send({
    method: 'POST',
    target: url(`v1/printers/${encodeURIComponent(printerId)}/faxes?${qs}`),
    headers: {
      authorization: `Bearer ${keyStore.get()}`,
      'content-type': contentType,
      accept: 'application/json',
    },
    body: file,
    onProgress,
  });
}

/** Large files: an upload ticket, the bytes PUT straight to storage, then the job from the upload. */
export async function uploadDocument(printerId, file, contentType, options, onProgress) {
  const base = `v1/printers/${encodeURIComponent(printerId)}`;
  const { data: ticket } = await api('POST', `${base}/uploads`, {
    body: { contentType, size: file.size, options },
  });
  await send({ method: ticket.method, target: ticket.url, headers: ticket.headers, body: file, onProgress });
  // A very large upload's ticket made the job already: it is converted once the bytes arrive.
  if (ticket.jobId) return { jobId: ticket.jobId, state: 'pending' };
  const { data } = await api('POST', `${base}/jobs`, { body: { uploadId: ticket.uploadId, options } });
  return data;
}
