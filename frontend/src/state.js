// The screen's state lives in the URL hash, so a copied link reproduces the screen and
// back/forward walk through it. Only values that differ from the defaults are written.

// Not frozen: the server's settings (initial view) adjust the defaults once, before the first read.
export const DEFAULTS = {
  view: 'map',        // map | data | text
  theme: 'class',     // class | service | channel
  tier: 'supergroup', // class tier drawn on the map
  service: '',        // LGSL code for the service theme
  area: '',           // selected area code
  region: 'europe',   // europe | uk: which areas the map draws at continental zooms
  z: '4', lat: '53', lon: '10', // map view: Europe at first sight unless the settings say UK
  opacity: '',        // area colours' opacity over a basemap ('' = the server's default)
  level: 'nuts3', parent: '', services: '', // data view query
  sort: '', dir: 'asc', filter: '', band: '',  // data view table
};

let current = parse(location.hash);

// Called once at start-up with the server's initial view, before any view reads the state.
export function setDefaults(patch) {
  Object.assign(DEFAULTS, patch);
  current = parse(location.hash);
}
const listeners = new Set();

function parse(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const state = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) {
    if (params.has(key)) state[key] = params.get(key);
  }
  return state;
}

function serialise(state) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state)) {
    if (value !== DEFAULTS[key] && value !== undefined && value !== null) params.set(key, value);
  }
  return '#' + params.toString();
}

function changedKeys(a, b) {
  return Object.keys(DEFAULTS).filter((k) => a[k] !== b[k]);
}

function notify(previous) {
  const changed = changedKeys(previous, current);
  if (changed.length) for (const fn of listeners) fn(current, new Set(changed));
}

export function get() {
  return current;
}

// push: a new history entry (views, themes, areas); replace: map panning and typing.
export function set(patch, { replace = false } = {}) {
  const previous = current;
  const next = { ...current };
  for (const [k, v] of Object.entries(patch)) next[k] = v === undefined || v === null ? DEFAULTS[k] : String(v);
  if (!changedKeys(previous, next).length) return;
  current = next;
  const url = serialise(current);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  notify(previous);
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Back/forward (popstate) and hand-edited or followed links (hashchange) both land here.
function fromLocation() {
  const previous = current;
  current = parse(location.hash);
  notify(previous);
}
window.addEventListener('popstate', fromLocation);
window.addEventListener('hashchange', fromLocation);
