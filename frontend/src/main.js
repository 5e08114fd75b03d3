// Start-up: wire the three views to the URL state; each view loads its data when first shown.

import * as state from './state.js';
import * as status from './status.js';
import { $ } from './dom.js';
import { loadConfig } from './config.js';
import { watchBuild } from './buildnotice.js';
import { initMap, invalidate } from './mapview.js';
import { initPanel } from './panel.js';
import { initSearch } from './search.js';
import { showData } from './dataview.js';
import { showText } from './textview.js';

const VIEWS = ['map', 'data', 'text'];
const TITLES = { map: 'Map', data: 'Data', text: 'About the data' };

async function show(view) {
  const name = VIEWS.includes(view) ? view : 'map';
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
  document.body.dataset.view = name; // the map view fits the window; the others scroll
  document.querySelectorAll('.tabs a').forEach((a) => {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  document.title = `${TITLES[name]} · Citizen Insight`;
  try {
    if (name === 'map') {
      await initMap();
      invalidate();
    } else if (name === 'data') {
      await showData();
    } else {
      await showText();
    }
  } catch (err) {
    status.showError(err.message || String(err));
  }
}

async function start() {
  const cfg = await loadConfig();
  const home = cfg.views[cfg.initial_view] || cfg.views.europe;
  state.setDefaults({ region: cfg.initial_view === 'uk' ? 'uk' : 'europe', z: String(home.z), lat: String(home.lat), lon: String(home.lon) });
  document.querySelectorAll('.tabs a').forEach((a) =>
    a.addEventListener('click', (e) => {
      e.preventDefault();
      state.set({ view: a.dataset.view });
      $('main').focus({ preventScroll: true });
    }),
  );
  // In-page links (skip link, table of contents) must not replace the state in the hash.
  document.addEventListener('click', (e) => {
    const link = e.target.closest && e.target.closest('a[href^="#"]');
    if (!link || link.getAttribute('href').includes('=')) return;
    const target = document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    e.preventDefault();
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.scrollIntoView({ block: 'start' });
    target.focus({ preventScroll: true });
  });
  state.subscribe((s, changed) => {
    if (changed.has('view')) show(s.view);
  });
  window.addEventListener('unhandledrejection', (e) => {
    if (e.reason && e.reason.name === 'AbortError') return;
    status.showError(e.reason && e.reason.message ? e.reason.message : 'Something went wrong.');
  });
  initSearch();
  initPanel();
  show(state.get().view);
  watchBuild();
  document.body.dataset.ready = 'true';
}

start();
