// Reference data several views need (levels, modelled services, classifications), fetched once.

import * as api from './api.js';

export function levels() {
  return api.get('/api/levels', {}, { cached: true });
}

// "Electoral ward", or with { vintages: true } "Electoral ward (2013, 2023 boundaries)".
export async function levelLabel(level, { vintages = false } = {}) {
  try {
    const found = (await levels()).find((l) => l.level === level);
    if (!found) return level;
    return vintages && found.vintages && found.vintages.length ? `${found.label} (${found.vintages.join(', ')} boundaries)` : found.label;
  } catch {
    return level;
  }
}

export function modelledServices() {
  return api.get('/api/services', { modelled: true }, { cached: true });
}

export function service(lgsl) {
  return api.get(`/api/services/${encodeURIComponent(lgsl)}`, {}, { cached: true });
}

export function classifications() {
  return api.get('/api/classifications', {}, { cached: true });
}

export function classification(id) {
  return api.get(`/api/classifications/${encodeURIComponent(id)}`, {}, { cached: true });
}

// "LGSL 1 — Blue Badge" and back: the service picker shows the first, the state keeps the code.
export function serviceText(s) {
  return `${s.label} (LGSL ${s.lgsl})`;
}

export function findService(list, text) {
  const query = (text || '').trim().toLowerCase();
  if (!query) return null;
  const code = query.match(/^(?:lgsl\s*)?(\d+)$/) || query.match(/\(lgsl (\d+)\)$/);
  if (code) {
    const hit = list.find((s) => String(s.lgsl) === code[1]);
    if (hit) return hit;
  }
  return (
    list.find((s) => serviceText(s).toLowerCase() === query) ||
    list.find((s) => s.label.toLowerCase() === query) ||
    list.find((s) => s.label.toLowerCase().includes(query)) ||
    null
  );
}
