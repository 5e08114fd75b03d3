// The area panel: who lives in the selected area, how sure the predominant class is, the modelled
// demand for each service, and the areas most like it.

import * as api from './api.js';
import * as state from './state.js';
import * as status from './status.js';
import { $, h, swatch } from './dom.js';
import * as fmt from './format.js';
import * as ref from './refdata.js';
import { flyTo, outline } from './mapview.js';

let flyPending = null; // a code the map should fly to once its detail is loaded
let request = null;

// Select an area from a search result, a similar area or a breadcrumb: show it and fly there.
export function selectArea(code, { fly = true } = {}) {
  if (fly) flyPending = code;
  if (state.get().area === code) {
    if (fly) load(code);
    return;
  }
  state.set({ area: code, view: 'map' });
}

async function load(code) {
  const panel = $('panel');
  if (request) request.abort();
  if (!code) {
    outline(null);
    panel.replaceChildren(
      h('p', { class: 'hint' }, 'Click an area on the map, or find a place, to see who lives there and the services they are likely to need.'),
    );
    return;
  }
  const controller = new AbortController();
  request = controller;
  panel.replaceChildren(h('p', { class: 'loading' }, 'Loading area…'));
  panel.setAttribute('aria-busy', 'true');
  try {
    const area = await api.get(`/api/areas/${encodeURIComponent(code)}`, {}, { signal: controller.signal });
    if (flyPending === code) {
      flyPending = null;
      flyTo(area);
    }
    outline(area);
    const [demand, similar, levelLabel] = await Promise.all([
      area.classification
        ? api.get(`/api/areas/${encodeURIComponent(code)}/demand`, {}, { signal: controller.signal }).catch(soft)
        : null,
      area.classification
        ? api.get(`/api/areas/${encodeURIComponent(code)}/similar`, { k: 5 }, { signal: controller.signal }).catch(soft)
        : null,
      ref.levelLabel(area.level),
    ]);
    if (controller.signal.aborted) return;
    if (!(area.parents || []).length && area.parent_code) {
      // No lookup chain for this area: its direct parent still makes a breadcrumb.
      const parent = await api.get(`/api/areas/${encodeURIComponent(area.parent_code)}`, {}, { signal: controller.signal }).catch(() => null);
      area.parents = [{ code: area.parent_code, level: parent ? parent.level : '', name: parent ? parent.name : area.parent_code }];
    }
    if (controller.signal.aborted) return;
    panel.replaceChildren(...render(area, demand, similar, levelLabel));
  } catch (err) {
    if (api.isAbort(err)) return;
    panel.replaceChildren(h('p', { class: 'error-inline', role: 'alert' }, err.message));
  } finally {
    if (request === controller) {
      panel.removeAttribute('aria-busy');
      request = null;
    }
  }
}

// A failed side request (demand, similar) is shown in its section, not as a failed panel.
function soft(err) {
  if (api.isAbort(err)) throw err;
  return { error: err.message };
}

function render(area, demand, similar, levelLabel) {
  const basis = area.households_basis === 'population' ? 'Population' : 'Households';
  const out = [
    breadcrumbs(area),
    h('h2', { id: 'panel-title', class: 'panel-title' }, area.name || area.code),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Code'), h('dd', { class: 'area-code' }, area.code),
      h('dt', {}, 'Level'), h('dd', { class: 'area-level' }, area.vintage ? `${levelLabel} (${area.vintage} boundaries)` : levelLabel),
      h('dt', {}, basis), h('dd', { class: 'area-households' }, fmt.count(area.households)),
    ),
  ];
  if (!area.classification) {
    out.push(h('p', { class: 'hint' }, 'No profile classification is built for this level.'));
    return out;
  }
  const tiers = Object.keys(area.mix || {});
  const tier = tiers.includes(state.get().tier) ? state.get().tier : tiers[0];
  const mix = (area.mix && area.mix[tier]) || [];
  const top = area.predominant && area.predominant[tier];
  if (top) {
    const runner = mix.find((m) => m.code === top.runner_up_code);
    out.push(
      h('section', { class: 'predominant', 'aria-labelledby': 'pred-h' },
        h('h3', { id: 'pred-h' }, `Predominant ${tier}`),
        h('p', { class: 'predominant-name' }, swatch(top.colour), h('strong', {}, top.name || top.code),
          top.mixed ? h('span', { class: 'tag mixed' }, 'mixed') : ''),
        h('p', {}, `${fmt.percent(top.share)} of ${basis.toLowerCase()}; ${fmt.points(top.margin)} ahead of `,
          runner ? runner.name : 'the next class', '.'),
        top.mixed ? h('p', { class: 'hint' }, 'Mixed: the leading class is barely ahead, so no single class describes this area well.') : '',
      ),
    );
  }
  out.push(
    h('section', { 'aria-labelledby': 'mix-h' },
      h('h3', { id: 'mix-h' }, `Class mix (${tier})`),
      h('p', { class: 'hint' }, area.classification.name),
      bars(mix),
    ),
  );
  if (area.channels) out.push(channelSection(area.channels));
  else if (area.level.startsWith('nuts')) {
    out.push(h('section', { class: 'channels' },
      h('h3', {}, 'Likely contact channels ', h('span', { class: 'tag' }, 'modelled')),
      h('p', { class: 'hint' }, 'Not available: the model rests on Census 2021 tables of England and Wales, '
        + 'which reach UK NUTS3 regions only; no comparable drivers exist for other European regions.')));
  }
  out.push(demandSection(demand));
  out.push(similarSection(similar));
  return out;
}

// Modelled channel suitability: the assisted-contact index and the expected mix.
function channelSection(c) {
  const share = (x) => `${Math.round(100 * x)} %`;
  return h('section', { class: 'channels', 'aria-labelledby': 'chan-h' },
    h('h3', { id: 'chan-h' }, 'Likely contact channels ', h('span', { class: 'tag' }, c.source === 'observed' ? 'observed' : 'modelled')),
    h('p', {}, `Assisted-contact index ${Math.round(c.assisted_index)} (100 = England and Wales).`),
    h('dl', { class: 'facts channel-mix' },
      h('dt', {}, 'Web'), h('dd', {}, share(c.web)),
      h('dt', {}, 'Telephone'), h('dd', {}, share(c.telephone)),
      h('dt', {}, 'Face-to-face'), h('dd', {}, share(c.face_to_face))),
    h('p', { class: 'hint' }, c.note, ' — see the text view.'),
  );
}

function breadcrumbs(area) {
  const parents = area.parents || [];
  if (!parents.length) return '';
  return h('nav', { class: 'crumbs', 'aria-label': 'Larger areas' },
    h('ol', {},
      parents.map((p) => h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => selectArea(p.code) }, p.name || p.code))),
      h('li', { 'aria-current': 'page' }, area.name || area.code),
    ),
  );
}

function bars(mix) {
  const sorted = [...mix].sort((a, b) => b.share - a.share);
  return h('ul', { class: 'bars mix-bars' },
    sorted.map((m) =>
      h('li', { class: 'bar-row', dataset: { code: m.code } },
        h('span', { class: 'bar-label' }, swatch(m.colour), m.name || m.code),
        h('span', { class: 'bar-track', 'aria-hidden': 'true' },
          h('span', { class: 'bar', style: { width: `${Math.max(0, Math.min(1, m.share)) * 100}%`, background: m.colour || '#888' } })),
        h('span', { class: 'bar-value' }, fmt.percent(m.share)),
      ),
    ),
  );
}

function demandSection(demand) {
  const head = h('h3', { id: 'demand-h' }, 'Likely demand ', h('span', { class: 'tag' }, 'modelled'));
  if (!demand) return '';
  if (demand.error) return h('section', {}, head, h('p', { class: 'error-inline' }, demand.error));
  const rows = (demand.services || []).map((s) =>
    h('tr', { dataset: { lgsl: s.lgsl } },
      h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', title: 'Colour the map by this service',
        onclick: () => state.set({ theme: 'service', service: String(s.lgsl), view: 'map' }) }, s.label),
      h('span', { class: 'lgsl' }, ` LGSL ${s.lgsl}`)),
      h('td', { class: 'num' }, fmt.index(s.index)),
      h('td', {}, h('span', { class: `band band-${s.band}` }, s.band)),
    ),
  );
  return h('section', { class: 'demand', 'aria-labelledby': 'demand-h' }, head,
    h('p', { class: 'hint' }, demand.note || 'Modelled from the class mix; index 100 = average.'),
    h('table', { class: 'compact' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Service'), h('th', { scope: 'col', class: 'num' }, 'Index'), h('th', { scope: 'col' }, 'Band'))),
      h('tbody', {}, rows),
    ),
  );
}

function similarSection(similar) {
  if (!similar) return '';
  const head = h('h3', { id: 'similar-h' }, 'Similar areas');
  if (similar.error) return h('section', {}, head, h('p', { class: 'error-inline' }, similar.error));
  return h('section', { class: 'similar', 'aria-labelledby': 'similar-h' }, head,
    h('p', { class: 'hint' }, `Closest class mix (${similar.metric}, ${similar.tier} shares).`),
    h('ol', { class: 'similar-list' },
      (similar.items || []).map((s) =>
        h('li', {}, h('button', { type: 'button', class: 'link', dataset: { code: s.code }, onclick: () => selectArea(s.code) },
          s.name || s.code), ` ${s.code} · ${fmt.decimal(s.similarity)}% similar`),
      ),
    ),
  );
}

export function initPanel() {
  // A link that names an area but no view (…#area=E08000009) opens on that area.
  const linked = new URLSearchParams(location.hash.slice(1));
  if (linked.has('area') && !linked.has('z')) flyPending = state.get().area;
  load(state.get().area);
  state.subscribe((s, changed) => {
    if (changed.has('area')) load(s.area);
    else if (changed.has('tier') && s.area) load(s.area);
  });
  status.clearError();
}
