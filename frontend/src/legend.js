// The map legend: exactly what the tiles on screen drew (classes, mixed hatching, demand bands
// with their edges), with the attribution of the level shown.

import * as api from './api.js';
import * as state from './state.js';
import { $, h, swatch } from './dom.js';
import { BANDS, BAND_COLOURS, CHANGED_FILL, CHANNEL_BANDS, NO_DATA, bandRanges } from './format.js';
import * as ref from './refdata.js';

function legendParams(s, z) {
  return s.theme === 'service' && s.service ? { z, service: s.service } : { z, tier: s.tier };
}

// The legend: the server's list for this zoom (names, colours, band edges), kept to what the
// tiles on screen actually drew, so it never shows a class the map does not.
export async function renderLegend(z, drawnAt, currentZoom, layerName = 'auto') {
  const el = $('legend');
  const s = state.get();
  const seen = drawnAt || { classes: new Map(), levels: new Set(), bands: new Set(), mixed: false };
  let legend = null;
  try {
    // Ask for the service's bands only where it is modelled (a UK-only service has none on NUTS).
    legend = await api.get(`/tiles/${layerName}/legend.json`, { z, tier: s.tier }, { cached: true });
    if (s.theme === 'service' && s.service) {
      const services = await ref.modelledServices();
      const chosen = services.find((x) => String(x.lgsl) === s.service);
      const family = String(legend.level || '').startsWith('nuts') ? 'europe' : 'uk';
      legend = chosen && (chosen.families || []).includes(family)
        ? await api.get(`/tiles/${layerName}/legend.json`, legendParams(s, z), { cached: true })
        : { ...legend, service: null };
    }
  } catch (err) {
    legend = null;
  }
  if (z !== currentZoom()) return; // the map moved on meanwhile
  const levelNames = await Promise.all([...seen.levels].map((lv) => ref.levelLabel(lv, { vintages: true })));
  const levelText = levelNames.length ? `Areas shown: ${levelNames.join(', ')}.` : 'No areas drawn in view.';
  const foot = [h('p', { class: 'legend-sub' }, levelText)];
  if (legend && legend.attribution) foot.push(h('p', { class: 'legend-sub' }, legend.attribution));
  if (s.theme === 'channel') {
    const drawn = seen.channels || new Set();
    const items = CHANNEL_BANDS.filter((b) => drawn.has(b.key) || !drawn.size).map((b) =>
      h('li', { dataset: { band: b.key } }, swatch(b.colour), h('span', {}, b.label)));
    if (drawn.has('none')) items.push(h('li', { dataset: { band: 'none' } }, swatch(NO_DATA), h('span', {}, 'Not modelled (no Census 2021 drivers here)')));
    el.replaceChildren(
      h('h3', {}, 'Likely contact channel ', h('span', { class: 'tag' }, seen.channelObserved ? 'observed' : 'modelled')),
      h('p', { class: 'legend-sub' }, 'How likely people are to need telephone or face-to-face rather than web contact; 100 = England and Wales.'),
      h('ul', { class: 'legend-items' }, items),
      h('p', { class: 'legend-sub' }, seen.channelObserved
        ? 'From councils\u2019 pooled records where enough stand behind a class, else Census 2021 drivers: see the text view.'
        : 'From Census 2021 drivers of digital exclusion and an assumed baseline mix: see the text view.'),
      ...foot,
    );
    return;
  }
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
      h('h3', {}, 'Likely demand ', h('span', { class: 'tag' }, legend && legend.service && legend.service.source === 'observed' ? 'observed' : 'modelled')),
      h('p', { class: 'legend-sub legend-service' }, chosen ? ref.serviceText(chosen) : `LGSL ${s.service}`),
      h('ul', { class: 'legend-items' }, items),
      h('p', { class: 'legend-sub' }, 'Index 100 = the national (or European) average.'),
      ...foot,
    );
    return;
  }
  // Names and colours come from the features drawn; the server's legend only orders them.
  const known = (legend && legend.classes) || [];
  const order = new Map(known.map((c, i) => [`${c.code}|${c.name}`, i]));
  const classes = [...seen.classes.entries()]
    .sort(([a, x], [b, y]) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9)
      || x.code.localeCompare(y.code, 'en', { numeric: true }) || String(x.name).localeCompare(String(y.name)))
    .map(([, c]) => c);
  const items = classes.map((c) =>
    h('li', { dataset: { code: c.code } }, swatch(c.colour || NO_DATA), h('span', {}, c.name || c.code)),
  );
  if (seen.unclassified) {
    items.push(h('li', { dataset: { code: 'none' } }, swatch(NO_DATA), h('span', {}, 'Not classified (no data loaded)')));
  }
  if (seen.changed) {
    items.push(h('li', { dataset: { code: 'changed' } }, swatch(CHANGED_FILL), h('span', {}, 'No 2021 data: boundary changed')));
  }
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

