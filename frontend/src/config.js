// The page's settings from the server (/config.json): basemap, where the map opens, the zooms at
// which the `auto` layer changes level. A server without the route still gets a working page.

import * as api from './api.js';

const FALLBACK = Object.freeze({
  basemap: null,
  initial_view: 'europe',
  views: { europe: { lat: 53, lon: 10, z: 4 }, uk: { lat: 54.5, lon: -3, z: 6 } },
  zooms: { nuts_max: 7, lad_max: 9, ward_max: 12 },
});

let current = FALLBACK;

export async function loadConfig() {
  try {
    current = { ...FALLBACK, ...(await api.get('/config.json', {}, { cached: true })) };
  } catch {
    current = FALLBACK;
  }
  return current;
}

export function config() {
  return current;
}
