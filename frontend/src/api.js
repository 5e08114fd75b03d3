// The JSON API: one fetch wrapper that counts requests for the loading indicator and turns
// HTTP errors into ApiError with the server's own message.

import * as status from './status.js';

export class ApiError extends Error {
  constructor(status, message, url) {
    super(message);
    this.status = status;
    this.url = url;
  }
}

export function url(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    for (const v of Array.isArray(value) ? value : [value]) query.append(key, v);
  }
  const q = query.toString();
  return q ? `${path}?${q}` : path;
}

const cache = new Map();

// cached: for reference data (levels, services, classifications) asked for by several views.
export async function get(path, params = {}, { cached = false, signal } = {}) {
  const target = url(path, params);
  if (cached && cache.has(target)) return cache.get(target);
  const promise = fetchJson(target, signal);
  if (cached) {
    cache.set(target, promise);
    promise.catch(() => cache.delete(target));
  }
  return promise;
}

async function fetchJson(target, signal) {
  status.begin();
  try {
    let response;
    try {
      response = await fetch(target, { headers: { Accept: 'application/json' }, signal });
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      throw new ApiError(0, 'The server cannot be reached. Check that it is running, then try again.', target);
    }
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const body = await response.json();
        detail = typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail ?? body);
      } catch { /* not JSON: keep the status text */ }
      throw new ApiError(response.status, `The server answered ${response.status}: ${detail}`, target);
    }
    return await response.json();
  } finally {
    status.end();
  }
}

export function isAbort(err) {
  return err && err.name === 'AbortError';
}
