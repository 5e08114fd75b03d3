// The map: the `auto` vector-tile layer (NUTS regions → LADs/wards → OAs by zoom), coloured by
// predominant class or by modelled demand band, with hover highlight, click to select, and the
// view (zoom, centre) mirrored in the URL.

/* global L */
import * as api from './api.js';
import * as state from './state.js';
import * as status from './status.js';
import { $, h, swatch } from './dom.js';
import { BANDS, BAND_COLOURS, NO_DATA, bandRanges } from './format.js';
import * as ref from './refdata.js';

const FALLBACK_ATTRIBUTION =
  '© EuroGeographics for the administrative boundaries; source: Eurostat/GISCO · ' +
  'Contains National Statistics data © Crown copyright and database right, OGL v3.0';
const FALLBACK_MAX_ZOOM = 14;

let map = null;
let layer = null;
let tileJson = null;
let hovered = null;
let layerKey = '';
// What the current tiles drew, per tile zoom, so the legend shows exactly that.
let drawn = new Map();
const hatches = new Set();

function isMixed(p) {
  return p.mixed === true || p.mixed === 1 || p.mixed === 'true';
}

// One SVG hatch pattern per class colour; the tiles' SVG paths reference it with url(#id).
function hatchFor(colour) {
  const id = `hatch-${colour.replace(/[^0-9a-z]/gi, '')}`;
  if (!hatches.has(id)) {
    hatches.add(id);
    const ns = 'http://www.w3.org/2000/svg';
    const pattern = document.createElementNS(ns, 'pattern');
    pattern.setAttribute('id', id);
    pattern.setAttribute('width', '6');
    pattern.setAttribute('height', '6');
    pattern.setAttribute('patternUnits', 'userSpaceOnUse');
    pattern.setAttribute('patternTransform', 'rotate(45)');
    const back = document.createElementNS(ns, 'rect');
    back.setAttribute('width', '6');
    back.setAttribute('height', '6');
    back.setAttribute('fill', '#ffffff');
    const stripe = document.createElementNS(ns, 'rect');
    stripe.setAttribute('width', '3.5');
    stripe.setAttribute('height', '6');
    stripe.setAttribute('fill', colour);
    pattern.append(back, stripe);
    document.querySelector('#patterns defs').append(pattern);
  }
  return `url(#${id})`;
}

function record(p, z) {
  if (!drawn.has(z)) drawn.set(z, { classes: new Map(), levels: new Set(), bands: new Set(), mixed: false });
  const seen = drawn.get(z);
  if (p.level) seen.levels.add(p.level);
  if (p.class_code) seen.classes.set(p.class_code, { name: p.class_name, colour: p.colour });
  if (isMixed(p)) seen.mixed = true;
  seen.bands.add(p.band || 'none');
}

function baseStyle(p, z) {
  record(p, z);
  const weight = z >= 11 ? 0.8 : 0.4;
  const s = state.get();
  if (s.theme === 'service' && s.service) {
    const fill = BAND_COLOURS[p.band] || NO_DATA;
    return { fill: true, fillColor: fill, fillOpacity: 1, color: '#ffffff', weight, opacity: 0.9 };
  }
  const colour = p.colour || NO_DATA;
  if (isMixed(p)) {
    return { fill: true, fillColor: hatchFor(colour), fillOpacity: 1, color: '#333333', weight, opacity: 0.9 };
  }
  return { fill: true, fillColor: colour, fillOpacity: 1, color: '#ffffff', weight, opacity: 0.9 };
}

function selectedStyle(p, z) {
  return { ...baseStyle(p, z), color: '#000000', weight: 3, opacity: 1 };
}

function hoverStyle(p, z) {
  return { ...baseStyle(p, z), color: '#1a1a1a', weight: 2, opacity: 1, fillOpacity: 1 };
}

// Every data layer in the tile gets the same style, whatever the server names it.
const styles = new Proxy({}, { get: () => baseStyle, has: () => true });

function tileUrl(s) {
  const params = s.theme === 'service' && s.service ? { service: s.service } : { tier: s.tier };
  return api.url('/tiles/auto/{z}/{x}/{y}.mvt', params);
}

function maxNativeZoom() {
  return (tileJson && Number.isFinite(tileJson.maxzoom) && tileJson.maxzoom) || FALLBACK_MAX_ZOOM;
}

function rebuildLayer() {
  const s = state.get();
  const key = tileUrl(s);
  if (layer && key === layerKey) return;
  layerKey = key;
  drawn = new Map();
  if (layer) {
    status.tiles(false);
    map.removeLayer(layer);
  }
  hovered = null;
  layer = L.vectorGrid.protobuf(key, {
    rendererFactory: L.svg.tile,
    vectorTileLayerStyles: styles,
    interactive: true,
    getFeatureId: (f) => f.properties.code,
    maxNativeZoom: maxNativeZoom(),
    minZoom: 0,
    maxZoom: 18,
    attribution: (tileJson && tileJson.attribution) || FALLBACK_ATTRIBUTION,
  });
  layer.on('loading', () => status.tiles(true));
  layer.on('load', () => {
    status.tiles(false);
    renderLegend();
  });
  layer.on('mouseover', onHover);
  layer.on('mouseout', onLeave);
  layer.on('click', onClick);
  layer.addTo(map);
  const selected = state.get().area;
  if (selected) layer.setFeatureStyle(selected, selectedStyle);
}

function onHover(e) {
  const p = e.layer && e.layer.properties;
  if (!p) return;
  if (hovered && hovered !== p.code) restyle(hovered);
  hovered = p.code;
  if (p.code !== state.get().area) layer.setFeatureStyle(p.code, hoverStyle);
  const box = $('hover');
  const s = state.get();
  const what =
    s.theme === 'service' && s.service
      ? `demand ${p.band || 'not modelled'}${p.demand_index != null ? ` (index ${Math.round(p.demand_index)})` : ''}`
      : p.class_name || 'no class';
  box.replaceChildren(h('strong', {}, p.name || p.code), ` · ${what}${isMixed(p) ? ' · mixed' : ''}`);
  box.hidden = false;
}

function restyle(code) {
  if (!layer) return;
  if (code === state.get().area) layer.setFeatureStyle(code, selectedStyle);
  else layer.resetFeatureStyle(code);
}

function onLeave(e) {
  const p = e.layer && e.layer.properties;
  if (p && hovered === p.code) {
    restyle(p.code);
    hovered = null;
    $('hover').hidden = true;
  }
}

function onClick(e) {
  const p = e.layer && e.layer.properties;
  if (p && p.code) state.set({ area: p.code });
}

// Keyboard users pan with the arrow keys and press Enter to select the area under the centre.
function featureAtCentre() {
  const box = $('map').getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  if (!layer || !hit) return null;
  for (const tile of Object.values(layer._vectorTiles || {})) {
    for (const data of Object.values(tile._features || {})) {
      if (data.feature && data.feature._path === hit) return data.feature.properties;
    }
  }
  return null;
}

function onMapKey(e) {
  if (e.key !== 'Enter' || e.target !== $('map')) return;
  const p = featureAtCentre();
  if (p && p.code) state.set({ area: p.code });
}

function currentTileZoom() {
  return Math.min(Math.round(map.getZoom()), maxNativeZoom());
}

function legendParams(s, z) {
  return s.theme === 'service' && s.service ? { z, service: s.service } : { z, tier: s.tier };
}

// The legend: the server's list for this zoom (names, colours, band edges), kept to what the
// tiles on screen actually drew, so it never shows a class the map does not.
async function renderLegend() {
  if (!map) return;
  const el = $('legend');
  const s = state.get();
  const z = currentTileZoom();
  const seen = drawn.get(z) || { classes: new Map(), levels: new Set(), bands: new Set(), mixed: false };
  let legend = null;
  try {
    // Ask for the service's bands only where it is modelled (a UK-only service has none on NUTS).
    legend = await api.get('/tiles/auto/legend.json', { z, tier: s.tier }, { cached: true });
    if (s.theme === 'service' && s.service) {
      const services = await ref.modelledServices();
      const chosen = services.find((x) => String(x.lgsl) === s.service);
      const family = String(legend.level || '').startsWith('nuts') ? 'europe' : 'uk';
      legend = chosen && (chosen.families || []).includes(family)
        ? await api.get('/tiles/auto/legend.json', legendParams(s, z), { cached: true })
        : { ...legend, service: null };
    }
  } catch (err) {
    legend = null;
  }
  if (z !== currentTileZoom()) return; // the map moved on meanwhile
  const levelNames = await Promise.all([...seen.levels].map((lv) => ref.levelLabel(lv)));
  const levelText = levelNames.length ? `Areas shown: ${levelNames.join(', ')}.` : 'No areas drawn in view.';
  const foot = [h('p', { class: 'legend-sub' }, levelText)];
  if (legend && legend.attribution) foot.push(h('p', { class: 'legend-sub' }, legend.attribution));
  if (s.theme === 'service' && s.service) {
    const services = await ref.modelledServices().catch(() => []);
    const chosen = services.find((x) => String(x.lgsl) === s.service);
    const edgeSets = (legend && legend.service && legend.service.band_edges) || {};
    const ranges = bandRanges(edgeSets.thresholds || Object.values(edgeSets)[0]);
    const items = BANDS.filter((b) => seen.bands.has(b) || !seen.bands.size).map((b) =>
      h('li', { dataset: { band: b } }, swatch(BAND_COLOURS[b]), h('span', {}, `${b[0].toUpperCase()}${b.slice(1)}`),
        ranges[b] ? h('span', { class: 'edge' }, `\u00a0(${ranges[b]})`) : ''),
    );
    if (seen.bands.has('none')) items.push(h('li', { dataset: { band: 'none' } }, swatch(NO_DATA), h('span', {}, 'No estimate')));
    el.replaceChildren(
      h('h3', {}, 'Likely demand ', h('span', { class: 'tag' }, 'modelled')),
      h('p', { class: 'legend-sub legend-service' }, chosen ? ref.serviceText(chosen) : `LGSL ${s.service}`),
      h('ul', { class: 'legend-items' }, items),
      h('p', { class: 'legend-sub' }, 'Index 100 = the national (or European) average.'),
      ...foot,
    );
    return;
  }
  const known = (legend && legend.classes) || [];
  const order = new Map(known.map((c, i) => [c.code, i]));
  const classes = [...seen.classes.entries()]
    .map(([code, c]) => ({ code, ...c, ...(known[order.get(code)] || {}) }))
    .sort((a, b) => (order.get(a.code) ?? 1e9) - (order.get(b.code) ?? 1e9) || a.code.localeCompare(b.code));
  const items = classes.map((c) =>
    h('li', { dataset: { code: c.code } }, swatch(c.colour || NO_DATA), h('span', {}, c.name || c.code)),
  );
  if (seen.mixed) {
    items.push(h('li', { dataset: { code: 'mixed' } }, swatch('#777777', { pattern: true }),
      h('span', {}, 'Hatched: mixed, the leading class is barely ahead')));
  }
  const tier = (legend && legend.tier) || s.tier;
  el.replaceChildren(
    h('h3', {}, `Predominant ${tier}`),
    h('ul', { class: 'legend-items' }, items.length ? items : h('li', {}, 'Nothing drawn yet')),
    ...foot,
  );
}

// ---- the theme controls -------------------------------------------------------------------

async function initThemeControls() {
  const radios = document.querySelectorAll('input[name="theme"]');
  radios.forEach((r) =>
    r.addEventListener('change', () => {
      if (!r.checked) return;
      state.set({ theme: r.value });
      if (r.value === 'service' && !state.get().service) $('service-q').focus();
    }),
  );
  $('tier').addEventListener('change', (e) => state.set({ tier: e.target.value }));
  const input = $('service-q');
  let services = [];
  try {
    services = await ref.modelledServices();
  } catch (err) {
    status.showError(err.message);
  }
  $('service-options').replaceChildren(
    ...services.map((s) => h('option', { value: ref.serviceText(s), label: (s.families || []).includes('europe') ? 'UK and Europe' : 'UK only' })),
  );
  const pick = () => {
    const found = ref.findService(services, input.value);
    if (found) {
      input.value = ref.serviceText(found);
      state.set({ theme: 'service', service: String(found.lgsl) });
    } else if (input.value.trim()) {
      $('service-chosen').textContent = `No modelled service matches “${input.value.trim()}”.`;
    }
  };
  input.addEventListener('change', pick);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      pick();
    }
  });
  syncControls(services);
  state.subscribe((s, changed) => {
    if (changed.has('service') || changed.has('theme') || changed.has('tier')) syncControls(services);
  });
}

function syncControls(services) {
  const s = state.get();
  document.querySelectorAll('input[name="theme"]').forEach((r) => {
    r.checked = r.value === s.theme;
  });
  $('tier').value = s.tier;
  const chosen = services.find((x) => String(x.lgsl) === s.service);
  if (chosen && document.activeElement !== $('service-q')) $('service-q').value = ref.serviceText(chosen);
  $('service-chosen').textContent =
    s.theme === 'service' && !s.service ? 'Choose a service to colour the map by its likely demand.' : '';
  document.querySelector('.view-map').dataset.theme = s.theme;
}

// ---- the view in the URL ------------------------------------------------------------------

function viewFromState() {
  const s = state.get();
  const z = Number(s.z);
  const lat = Number(s.lat);
  const lon = Number(s.lon);
  const ok = [z, lat, lon].every(Number.isFinite) && Math.abs(lat) <= 85 && Math.abs(lon) <= 180;
  return ok ? { z: Math.max(2, Math.min(18, z)), centre: [lat, lon] } : { z: 4, centre: [53, 10] };
}

function onMoveEnd() {
  const c = map.getCenter();
  state.set({ z: String(map.getZoom()), lat: c.lat.toFixed(4), lon: c.lng.toFixed(4) }, { replace: true });
  renderLegend();
}

function followState(s, changed) {
  if (!map) return;
  if (changed.has('z') || changed.has('lat') || changed.has('lon')) {
    const { z, centre } = viewFromState();
    const c = map.getCenter();
    if (Math.abs(c.lat - centre[0]) > 1e-4 || Math.abs(c.lng - centre[1]) > 1e-4 || map.getZoom() !== z) {
      map.setView(centre, z, { animate: false });
    }
  }
  if (changed.has('theme') || changed.has('service') || changed.has('tier')) {
    rebuildLayer();
    renderLegend();
  }
  if (changed.has('area') && layer) {
    for (const code of Object.keys(layer._overriddenStyles || {})) layer.resetFeatureStyle(code);
    if (s.area) layer.setFeatureStyle(s.area, selectedStyle);
  }
}

// Fly to an area's bounding box ([minx, miny, maxx, maxy], EPSG:4326) or its label point.
export function flyTo(area) {
  if (!map || !area) return;
  if (Array.isArray(area.bbox) && area.bbox.length === 4) {
    const [minx, miny, maxx, maxy] = area.bbox;
    map.flyToBounds([[miny, minx], [maxy, maxx]], { maxZoom: 15, duration: 0.8 });
  } else if (Number.isFinite(area.lat) && Number.isFinite(area.lon)) {
    map.flyTo([area.lat, area.lon], Math.max(map.getZoom(), 10), { duration: 0.8 });
  }
}

export function invalidate() {
  if (map) map.invalidateSize();
}

export async function initMap() {
  if (map) return;
  const { z, centre } = viewFromState();
  map = L.map('map', { zoomControl: true, minZoom: 2, maxZoom: 18, worldCopyJump: true, keyboard: true });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  map.setView(centre, z, { animate: false });
  try {
    tileJson = await api.get('/tiles/auto.json', {}, { cached: true });
  } catch (err) {
    tileJson = null;
    status.showError(`The map tiles are not available: ${err.message}`);
  }
  rebuildLayer();
  map.on('moveend', onMoveEnd);
  $('map').addEventListener('keydown', onMapKey);
  $('map').addEventListener('mouseleave', () => {
    $('hover').hidden = true;
  });
  state.subscribe(followState);
  initThemeControls();
  renderLegend();
  // A handle for people debugging in the browser console.
  window.insightMap = map;
}
