// The basemap: raster tiles from the settings under the areas, optional place labels above them,
// and a slider for the area colours' opacity. When the basemap cannot be reached the map falls
// back to plain areas (full opacity) and says so; `#map[data-basemap]` tells which state holds:
// none (not configured), loading, on, unavailable.

/* global L */
import * as state from './state.js';
import { $ } from './dom.js';
import { config } from './config.js';

let status = 'none';
let onChange = () => {};

function mark(next, message = '') {
  status = next;
  $('map').dataset.basemap = next;
  $('basemap-status').textContent = message;
  $('opacity').disabled = next === 'unavailable';
  onChange();
}

// The areas' opacity: the slider's over a basemap, solid without one.
export function areaOpacity() {
  const cfg = config().basemap;
  if (!cfg || status === 'none' || status === 'unavailable') return 1;
  const chosen = Number(state.get().opacity);
  return Number.isFinite(chosen) && chosen > 0 && chosen <= 1 ? chosen : cfg.opacity;
}

export function init(map, changed) {
  onChange = changed;
  const cfg = config().basemap;
  $('map').dataset.basemap = 'none';
  if (!cfg || !cfg.url) return;
  const layers = [];
  const base = L.tileLayer(cfg.url, { attribution: cfg.attribution, maxZoom: 18, maxNativeZoom: cfg.max_zoom, zIndex: 0, className: 'basemap' });
  layers.push(base);
  if (cfg.labels_url) {
    map.createPane('labels');
    map.getPane('labels').style.zIndex = 450;
    map.getPane('labels').style.pointerEvents = 'none';
    layers.push(L.tileLayer(cfg.labels_url, { pane: 'labels', maxZoom: 18, maxNativeZoom: cfg.max_zoom, className: 'basemap-labels' }));
  }
  let loaded = 0;
  let failed = 0;
  const giveUp = () => {
    if (status === 'unavailable') return;
    layers.forEach((l) => map.removeLayer(l));
    mark('unavailable', 'The basemap cannot be reached, so the areas are drawn without it.');
  };
  base.on('tileload', () => {
    loaded += 1;
    if (status !== 'on') mark('on');
  });
  base.on('tileerror', () => {
    failed += 1;
    if (!loaded && failed >= 4) giveUp();
  });
  base.on('load', () => {
    if (!loaded) giveUp();
  });
  $('basemap-box').hidden = false;
  const slider = $('opacity');
  const show = () => {
    const value = areaOpacity();
    slider.value = String(value);
    $('opacity-value').textContent = `${Math.round(value * 100)}%`;
  };
  slider.addEventListener('input', () => {
    state.set({ opacity: slider.value }, { replace: true });
  });
  state.subscribe((s, changedKeys) => {
    if (changedKeys.has('opacity')) show();
  });
  layers.forEach((l) => l.addTo(map));
  mark('loading');
  show();
}
