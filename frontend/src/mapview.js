// The map: the `auto` vector-tile layer (NUTS regions → LADs/wards → OAs by zoom), coloured by
// predominant class or by modelled demand band, with hover highlight, click to select, and the
// view (zoom, centre) mirrored in the URL. In the UK view, continental zooms draw local
// authorities (OAC classes) instead of NUTS regions. An optional basemap lies under the areas.

/* global L */
import * as api from './api.js';
import * as state from './state.js';
import * as status from './status.js';
import { $, h } from './dom.js';
import { BAND_COLOURS, BOUNDARY_CHANGED, CHANGED_FILL, NO_DATA, channelBand } from './format.js';
import { renderLegend as drawLegend } from './legend.js';
import { initThemeControls } from './theme.js';
import { config } from './config.js';
import * as basemap from './basemap.js';
import * as notice from './notice.js';
import { archiveAwareGrid, openArchive } from './archive.js';

const FALLBACK_ATTRIBUTION =
  '© EuroGeographics for the administrative boundaries; source: Eurostat/GISCO · ' +
  'Contains National Statistics data © Crown copyright and database right, OGL v3.0';
const FALLBACK_MAX_ZOOM = 14;

let map = null;
let layer = null;
let tileJson = null;
let archive = null; // the PMTiles archive the public tiles come from, when one is set
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

// Into the drawing record of one layer: tiles of a layer already replaced never reach the legend.
function record(into, p, z) {
  if (!into.has(z)) into.set(z, { classes: new Map(), levels: new Set(), bands: new Set(), mixed: false });
  const seen = into.get(z);
  if (p.level) seen.levels.add(p.level);
  // keyed by code and name: two classifications (say OAC 2011 and 2021) share codes like "1"
  if (p.class_code) seen.classes.set(`${p.class_code}|${p.class_name}`, { code: p.class_code, name: p.class_name, colour: p.colour });
  if (isMixed(p)) seen.mixed = true;
  if (!p.class_code && p.class_name === BOUNDARY_CHANGED) seen.changed = true;
  else if (!p.class_code) seen.unclassified = true;
  seen.bands.add(p.band || 'none');
  const channel = channelBand(p.assisted_index);
  if (!seen.channels) seen.channels = new Set();
  seen.channels.add(channel ? channel.key : 'none');
  if (p.channel_source === 'observed') seen.channelObserved = true;
}

function baseStyle(p, z) {
  const weight = z >= 11 ? 0.8 : 0.4;
  const s = state.get();
  if (s.theme === 'service' && s.service) {
    const fill = BAND_COLOURS[p.band] || NO_DATA;
    return { fill: true, fillColor: fill, fillOpacity: 1, color: '#ffffff', weight, opacity: 0.9 };
  }
  if (s.theme === 'channel') {
    const band = channelBand(p.assisted_index);
    return { fill: true, fillColor: band ? band.colour : NO_DATA, fillOpacity: 1, color: '#ffffff', weight, opacity: 0.9 };
  }
  if (!p.class_code && p.class_name === BOUNDARY_CHANGED) {
    // an older output area the Census 2021 does not know: its own style, never a class colour
    return { fill: true, fillColor: CHANGED_FILL, fillOpacity: 1, color: '#7a7a7a', weight, opacity: 0.9, dashArray: '3 3' };
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

// Every data layer in the tile gets the same style, whatever the server names it; drawing a
// feature also records it for the legend, in the record of the layer that drew it.
function stylesRecordingInto(into) {
  const style = (p, z) => {
    record(into, p, z);
    return baseStyle(p, z);
  };
  return new Proxy({}, { get: () => style, has: () => true });
}

// The layer a tile zoom draws: in the UK view, local authorities where `auto` would draw NUTS.
export function layerAt(z, s = state.get()) {
  return s.region === 'uk' && z <= config().zooms.nuts_max ? 'lad' : 'auto';
}

function tileUrl(s) {
  let params = s.theme === 'service' && s.service ? { service: s.service } : { tier: s.tier };
  if (s.theme === 'channel') params = { tier: s.tier, channel: 'assisted' };
  return api.url('/tiles/{layer}/{z}/{x}/{y}.mvt', params);
}

function maxNativeZoom() {
  return (tileJson && Number.isFinite(tileJson.maxzoom) && tileJson.maxzoom) || FALLBACK_MAX_ZOOM;
}

function rebuildLayer() {
  const s = state.get();
  const key = `${s.region} ${tileUrl(s)}`;
  if (layer && key === layerKey) return;
  layerKey = key;
  const seen = new Map();
  drawn = seen;
  if (layer) {
    status.tiles(false);
    map.removeLayer(layer);
  }
  hovered = null;
  layer = archiveAwareGrid(archive, s, tileUrl(s), {
    layer: (data) => layerAt(Number(data.z), s),
    zIndex: 2,
    rendererFactory: L.svg.tile,
    vectorTileLayerStyles: stylesRecordingInto(seen),
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
  layer.setOpacity(basemap.areaOpacity());
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
  let what =
    s.theme === 'service' && s.service
      ? `demand ${p.band || 'not modelled'}${p.demand_index != null ? ` (index ${Math.round(p.demand_index)})` : ''}`
      : p.class_name || 'no class';
  if (s.theme === 'channel') {
    what = p.assisted_index != null
      ? `assisted contact index ${Math.round(p.assisted_index)} · web ${Math.round(100 * p.web_share)} % (modelled)`
      : 'channel suitability not modelled here';
  }
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

function renderLegend() {
  if (!map) return undefined;
  const z = currentTileZoom();
  notice.update(z, layerAt(z) === 'auto' && z <= config().zooms.nuts_max ? 'nuts' : 'uk');
  return drawLegend(z, drawn.get(z), currentTileZoom, layerAt(z));
}

function currentTileZoom() {
  return Math.min(Math.round(map.getZoom()), maxNativeZoom());
}

// ---- the view in the URL ------------------------------------------------------------------

function viewFromState() {
  const s = state.get();
  const z = Number(s.z);
  const lat = Number(s.lat);
  const lon = Number(s.lon);
  const ok = [z, lat, lon].every(Number.isFinite) && Math.abs(lat) <= 85 && Math.abs(lon) <= 180;
  const home = config().views[s.region] || config().views.europe;
  return ok ? { z: Math.max(2, Math.min(18, z)), centre: [lat, lon] } : { z: home.z, centre: [home.lat, home.lon] };
}

function onMoveEnd() {
  const c = map.getCenter();
  state.set({ z: String(map.getZoom()), lat: c.lat.toFixed(4), lon: c.lng.toFixed(4) }, { replace: true });
  renderLegend();
}

function followState(s, changed) {
  if (!map) return;
  // the layer first: a new view must not load tiles of a layer about to be replaced
  const relayer = changed.has('theme') || changed.has('service') || changed.has('tier') || changed.has('region');
  if (relayer) rebuildLayer();
  if (changed.has('z') || changed.has('lat') || changed.has('lon')) {
    const { z, centre } = viewFromState();
    const c = map.getCenter();
    if (Math.abs(c.lat - centre[0]) > 1e-4 || Math.abs(c.lng - centre[1]) > 1e-4 || map.getZoom() !== z) {
      map.setView(centre, z, { animate: false });
    }
  }
  if (relayer) renderLegend();
  if (changed.has('opacity') && layer) layer.setOpacity(basemap.areaOpacity());
  if (changed.has('area') && layer) {
    for (const code of Object.keys(layer._overriddenStyles || {})) layer.resetFeatureStyle(code);
    if (s.area) layer.setFeatureStyle(s.area, selectedStyle);
  }
}

// The selected area's boundary, drawn over the tiles: it shows even when the zoom draws
// another level (a district selected while wards are drawn).
let outlineLayer = null;
let outlineCode = '';

export async function outline(area) {
  const code = area && map ? area.code : '';
  if (code === outlineCode) return;
  outlineCode = code;
  if (outlineLayer) {
    outlineLayer.remove();
    outlineLayer = null;
  }
  if (!map || !area) return;
  try {
    const feature = await api.get(`/ogc/collections/${encodeURIComponent(area.level)}/items/${encodeURIComponent(area.code)}`, {}, { cached: true });
    if (outlineCode !== code) return;
    outlineLayer = L.geoJSON(feature, {
      interactive: false,
      style: { color: '#000000', weight: 3, opacity: 1, fill: false, dashArray: '8 5' },
    }).addTo(map);
  } catch {
    /* the outline is a help, not essential: the panel still shows the area */
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
  basemap.init(map, () => layer && layer.setOpacity(basemap.areaOpacity()));
  archive = await openArchive();
  rebuildLayer();
  map.on('moveend', onMoveEnd);
  $('map').addEventListener('keydown', onMapKey);
  $('map').addEventListener('mouseleave', () => {
    $('hover').hidden = true;
  });
  state.subscribe(followState);
  initThemeControls();
  initRegionSwitch();
  notice.init(() => goTo('uk'));
  renderLegend();
  // A handle for people debugging in the browser console.
  window.insightMap = map;
}

// ---- UK / Europe -------------------------------------------------------------------------

// The UK view fits the UK areas loaded (their TileJSON bounds), else the configured centre.
async function ukView() {
  try {
    const lad = await api.get('/tiles/lad.json', {}, { cached: true });
    const [minx, miny, maxx, maxy] = lad.bounds || [];
    if ([minx, miny, maxx, maxy].every(Number.isFinite) && maxx > minx && maxy > miny) {
      const bounds = L.latLngBounds([miny, minx], [maxy, maxx]);
      const c = bounds.getCenter();
      const z = Math.max(5, Math.min(config().zooms.nuts_max, map.getBoundsZoom(bounds)));
      return { z, lat: c.lat, lon: c.lng };
    }
  } catch { /* no UK areas loaded: the configured view */ }
  return config().views.uk;
}

export async function goTo(region) {
  if (!map) return;
  const view = region === 'uk' ? await ukView() : config().views.europe;
  state.set({ region, z: String(view.z), lat: Number(view.lat).toFixed(4), lon: Number(view.lon).toFixed(4) });
}

function syncRegion() {
  const region = state.get().region;
  document.querySelectorAll('#region button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.region === region)));
}

function initRegionSwitch() {
  document.querySelectorAll('#region button').forEach((b) => b.addEventListener('click', () => goTo(b.dataset.region)));
  syncRegion();
  state.subscribe((s, changed) => {
    if (changed.has('region')) syncRegion();
  });
  // Opening on the UK without a view in the link: fit the UK areas once they are known.
  const s = state.get();
  if (s.region === 'uk' && !new URLSearchParams(location.hash.slice(1)).has('z')) {
    ukView().then((v) => map.setView([v.lat, v.lon], v.z, { animate: false }));
  }
}
