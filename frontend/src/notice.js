// A notice over the map when the chosen service is not modelled for the areas drawn: a UK-only
// service over NUTS regions says so, offers to zoom into the UK and names the services that are
// also modelled for Europe, instead of greying every region out without a word.

import * as state from './state.js';
import { $, h } from './dom.js';
import * as ref from './refdata.js';

let goUk = () => {};
let turn = 0;

export function init(zoomIntoUk) {
  goUk = zoomIntoUk;
}

// z: the tile zoom drawn; layerName: the tile layer drawing it (auto draws NUTS up to nuts_max).
export async function update(z, level) {
  const box = $('map-notice');
  const s = state.get();
  const mine = ++turn;
  if (s.theme !== 'service' || !s.service || !String(level || '').startsWith('nuts')) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const services = await ref.modelledServices().catch(() => []);
  if (mine !== turn) return;
  const chosen = services.find((x) => String(x.lgsl) === s.service);
  if (!chosen || (chosen.families || []).includes('europe')) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const europe = services.filter((x) => (x.families || []).includes('europe'));
  box.replaceChildren(
    h('p', {}, h('strong', {}, chosen.label), ' is modelled for the UK only — zoom into the UK. ',
      h('button', { type: 'button', class: 'link', onclick: () => goUk() }, 'Zoom into the UK')),
    europe.length
      ? h('p', { class: 'europe-services' }, 'Also modelled for Europe: ',
        europe.map((x, i) => [i ? ', ' : '', h('button', { type: 'button', class: 'link', dataset: { lgsl: x.lgsl },
          onclick: () => state.set({ service: String(x.lgsl) }) }, x.label)]), '.')
      : h('p', {}, 'No service is modelled for Europe yet.'),
  );
  box.hidden = false;
}
