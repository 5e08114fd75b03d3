// Place search: a combobox over /api/areas (name or code); choosing a place flies the map there.

import * as api from './api.js';
import { $, h, debounce } from './dom.js';
import * as ref from './refdata.js';
import { selectArea } from './panel.js';

let items = [];
let active = -1;
let controller = null;

function close() {
  const list = $('place-results');
  list.hidden = true;
  list.replaceChildren();
  $('place-q').setAttribute('aria-expanded', 'false');
  $('place-q').removeAttribute('aria-activedescendant');
  active = -1;
}

async function lookup(text) {
  if (controller) controller.abort();
  const query = text.trim();
  if (query.length < 2) {
    close();
    return;
  }
  controller = new AbortController();
  try {
    const page = await api.get('/api/areas', { q: query, limit: 8 }, { signal: controller.signal });
    items = page.items || [];
    await show(query);
  } catch (err) {
    if (!api.isAbort(err)) {
      items = [];
      $('place-results').replaceChildren(h('li', { class: 'none' }, err.message));
      $('place-results').hidden = false;
    }
  }
}

async function show(query) {
  const list = $('place-results');
  if (!items.length) {
    list.replaceChildren(h('li', { class: 'none' }, `No place matches “${query}”.`));
  } else {
    const labels = await Promise.all(items.map((a) => ref.levelLabel(a.level)));
    list.replaceChildren(
      ...items.map((a, i) =>
        h('li', { id: `place-${i}`, role: 'option', 'aria-selected': 'false', dataset: { code: a.code },
          onmousedown: (e) => { e.preventDefault(); choose(i); } },
          h('span', { class: 'place-name' }, a.name || a.code), h('span', { class: 'place-meta' }, ` ${a.code} · ${labels[i]}`)),
      ),
    );
  }
  list.hidden = false;
  $('place-q').setAttribute('aria-expanded', 'true');
  active = -1;
}

function highlight(i) {
  const options = [...$('place-results').querySelectorAll('[role="option"]')];
  if (!options.length) return;
  active = (i + options.length) % options.length;
  options.forEach((o, k) => o.setAttribute('aria-selected', String(k === active)));
  $('place-q').setAttribute('aria-activedescendant', options[active].id);
  options[active].scrollIntoView({ block: 'nearest' });
}

function choose(i) {
  const area = items[i];
  if (!area) return;
  $('place-q').value = area.name || area.code;
  close();
  selectArea(area.code);
}

export function initSearch() {
  const input = $('place-q');
  const run = debounce(() => lookup(input.value), 250);
  input.addEventListener('input', run);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); highlight(active + 1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); highlight(active - 1); }
    else if (e.key === 'Escape') close();
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
  $('place-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (active >= 0) return choose(active);
    await lookup(input.value);
    if (items.length) choose(0);
  });
}
