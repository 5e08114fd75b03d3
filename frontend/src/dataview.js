// The data view: one row per area (a level, optionally within a parent named by its name or code)
// with households, the predominant class and modelled demand per service (index and band first;
// expected uses only with a usage rate, else each area's share of the listed areas' demand);
// sort, filter, and a CSV of exactly the rows on screen.

import * as api from './api.js';
import * as state from './state.js';
import * as status from './status.js';
import { $, h, debounce } from './dom.js';
import * as fmt from './format.js';
import * as ref from './refdata.js';

const PAGE = 1000;
const MAX_ROWS = 20000;

let body = null; // the last /api/data answer, all pages merged
let loadedKey = '';
let shown = [];
let controller = null;
let loadingKey = '';

const BASE_COLUMNS = ['code', 'name', 'level', 'households', 'predominant_code', 'predominant_name'];
// On screen the class is named; its code stays in the CSV.
const SCREEN_BASE = ['code', 'name', 'level', 'households', 'predominant_name'];

function queryOf(s) {
  const services = s.services ? s.services.split(',').filter(Boolean) : [];
  return { level: s.level, parent: s.parent || undefined, service: services.length ? services : undefined, channels: true };
}

// "Trafford" or "e08000009" → the area, resolved as the place search does: a code first, then
// the best name match (an exact name before a partial one). null when nothing matches.
async function resolveParent(text) {
  const page = await api.get('/api/areas', { q: text, limit: 8 }, { cached: true });
  const items = page.items || [];
  const wanted = text.toLowerCase();
  return items.find((a) => a.code.toLowerCase() === wanted) || items.find((a) => (a.name || '').toLowerCase() === wanted) || items[0] || null;
}

function parentNote(text, isError = false) {
  const note = $('d-parent-note');
  note.textContent = text;
  note.classList.toggle('error-inline', isError);
}

function clearTable() {
  body = null;
  loadedKey = '';
  $('d-table').querySelector('thead').replaceChildren();
  $('d-table').querySelector('tbody').replaceChildren();
  $('d-count').textContent = '';
  $('d-csv').disabled = true;
}

async function load() {
  const s = state.get();
  if (s.parent) {
    let found;
    try {
      found = await resolveParent(s.parent);
    } catch (err) {
      if (api.isAbort(err)) return undefined;
      status.showError(err.message);
      return undefined;
    }
    if (state.get().parent !== s.parent) return undefined; // typed again meanwhile
    if (!found) {
      clearTable();
      parentNote(`No area is called or coded “${s.parent}”. Type the name or code of a larger area, `
        + 'e.g. Trafford or E08000009, choose one of the suggestions, or leave the box empty for every area of the level.', true);
      return undefined;
    }
    if (found.code !== s.parent) {
      state.set({ parent: found.code }, { replace: true }); // the subscription loads it
      return undefined;
    }
    parentNote(`Within ${found.name || found.code} (${found.code}, ${await ref.levelLabel(found.level)}).`);
  } else {
    parentNote('');
  }
  const query = queryOf(s);
  const key = JSON.stringify(query);
  if (key === loadedKey && body) return render();
  if (key === loadingKey) return undefined;
  if (controller) controller.abort();
  loadingKey = key;
  controller = new AbortController();
  const signal = controller.signal;
  $('d-count').textContent = 'Loading…';
  $('d-csv').disabled = true;
  try {
    let merged = null;
    for (let offset = 0; ; offset += PAGE) {
      const page = await api.get('/api/data', { ...query, limit: PAGE, offset }, { signal });
      if (!merged) merged = { ...page, rows: [] };
      merged.rows.push(...page.rows);
      if (!page.rows.length || merged.rows.length >= page.total || merged.rows.length >= MAX_ROWS) break;
    }
    body = addShares(merged);
    loadedKey = key;
    loadingKey = '';
    render();
  } catch (err) {
    if (api.isAbort(err)) return;
    loadingKey = '';
    body = null;
    loadedKey = '';
    $('d-table').querySelector('thead').replaceChildren();
    $('d-table').querySelector('tbody').replaceChildren();
    $('d-count').textContent = '';
    status.showError(err.message);
  }
}

function columns() {
  const cols = BASE_COLUMNS.map((key) => ({ key }));
  for (const s of body.services) {
    for (const part of ['expected', 'index', 'band']) cols.push({ key: `s${s.lgsl}_${part}`, service: s, part });
  }
  if (body.channels) for (const key of CHANNEL_KEYS) cols.push({ key });
  return cols;
}

const CHANNEL_KEYS = ['assisted_index', 'web_share', 'telephone_share', 'face_to_face_share', 'channel_source'];
const hasChannels = () => Boolean(body && body.channels && body.rows.some((r) => r.assisted_index != null));

function visibleRows() {
  const s = state.get();
  const text = s.filter.trim().toLowerCase();
  let rows = body.rows.filter((r) => {
    if (text && ![r.code, r.name, r.predominant_name, r.predominant_code].some((v) => v && String(v).toLowerCase().includes(text))) {
      return false;
    }
    if (s.band && !body.services.some((x) => r[`s${x.lgsl}_band`] === s.band)) return false;
    return true;
  });
  if (s.sort && (s.sort in (body.rows[0] || {}))) {
    const dir = s.dir === 'desc' ? -1 : 1;
    const rank = { high: 3, medium: 2, low: 1 };
    const value = (r) => (s.sort.endsWith('_band') ? rank[r[s.sort]] ?? 0 : r[s.sort]);
    rows = [...rows].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en', { numeric: true })) * dir;
    });
  }
  return rows;
}

// The table on screen: per service the index and band lead; a third column gives absolute
// expected uses when a usage rate is set, else each area's share (%) of the demand of all the
// areas listed, which no one can mistake for a count of people.
function screenColumns() {
  const cols = SCREEN_BASE.map((key) => ({ key }));
  for (const s of body.services) {
    cols.push({ key: `s${s.lgsl}_index`, service: s, part: 'index' });
    cols.push({ key: `s${s.lgsl}_band`, service: s, part: 'band' });
    if (s.rate) cols.push({ key: `s${s.lgsl}_expected`, service: s, part: 'expected' });
    else cols.push({ key: `s${s.lgsl}_share`, service: s, part: 'share' });
  }
  if (hasChannels()) {
    cols.push({ key: 'assisted_index', part: 'assisted' });
    cols.push({ key: 'web_share', part: 'web' });
  }
  return cols;
}

// Each row's share of the loaded rows' relative expected demand, per service without a rate.
function addShares(merged) {
  for (const s of merged.services) {
    if (s.rate) continue;
    const key = `s${s.lgsl}_expected`;
    const total = merged.rows.reduce((sum, r) => sum + (Number.isFinite(r[key]) ? r[key] : 0), 0);
    for (const r of merged.rows) r[`s${s.lgsl}_share`] = total > 0 && Number.isFinite(r[key]) ? (r[key] / total) * 100 : null;
  }
  return merged;
}

function header(col) {
  const s = state.get();
  const names = {
    code: 'Code', name: 'Name', level: 'Level',
    households: body.level.startsWith('nuts') ? 'Population' : 'Households',
    predominant_code: 'Class code', predominant_name: 'Predominant class',
    expected: 'Expected uses a year', index: 'Demand index', band: 'Band', share: '% of listed demand',
    assisted: 'Assisted-contact index', web: 'Web %',
  };
  const label = names[col.part || col.key];
  const sorted = s.sort === col.key;
  const next = sorted && s.dir === 'asc' ? 'desc' : 'asc';
  return h('th', { scope: 'col', 'aria-sort': sorted ? (s.dir === 'desc' ? 'descending' : 'ascending') : 'none',
    class: ['households', 'index', 'expected', 'share', 'assisted', 'web'].includes(col.part || col.key) ? 'num' : '' },
  h('button', { type: 'button', class: 'sort', dataset: { key: col.key },
    title: `Sort by ${col.service ? `${col.service.label}: ` : ''}${label.toLowerCase()}`,
    onclick: () => state.set({ sort: col.key, dir: next }) },
  label, h('span', { class: 'arrow', 'aria-hidden': 'true' }, sorted ? (s.dir === 'desc' ? ' ▼' : ' ▲') : '')));
}

function cell(col, row) {
  const v = row[col.key];
  const part = col.part || col.key;
  if (part === 'band') return h('td', {}, v ? h('span', { class: `band band-${v}` }, v) : '–');
  if (part === 'assisted') return h('td', { class: 'num' }, fmt.index(v));
  if (part === 'web') return h('td', { class: 'num' }, v === null || v === undefined ? '–' : `${Math.round(100 * v)}%`);
  if (part === 'index') return h('td', { class: 'num' }, fmt.index(v));
  if (part === 'expected') return h('td', { class: 'num' }, fmt.count(v));
  if (part === 'share') return h('td', { class: 'num' }, v === null || v === undefined ? '–' : `${fmt.decimal(v)}%`);
  if (part === 'predominant_name') return h('td', { title: row.predominant_code ? `class ${row.predominant_code}` : null }, v || 'not classified');
  if (part === 'households') return h('td', { class: 'num' }, fmt.count(v));
  if (part === 'name') return h('th', { scope: 'row' }, v || '');
  return h('td', {}, v ?? '');
}

function render() {
  if (!body) return;
  const cols = screenColumns();
  shown = visibleRows();
  const serviceHead = h('tr', {},
    h('td', { colspan: SCREEN_BASE.length }),
    body.services.map((s) => h('th', { scope: 'colgroup', colspan: 3, class: 'svc' },
      `${s.label} (LGSL ${s.lgsl}) `, h('span', { class: 'tag' }, 'modelled'),
      s.band_edges && s.band_edges.length ? h('span', { class: 'edges' }, ` bands: ${Object.values(fmt.bandRanges(s.band_edges)).join('; ')}`) : '')),
    hasChannels() ? h('th', { scope: 'colgroup', colspan: 2, class: 'svc' }, 'Likely contact channels ', h('span', { class: 'tag' }, 'modelled')) : '',
  );
  $('d-table').querySelector('thead').replaceChildren(serviceHead, h('tr', {}, cols.map(header)));
  $('d-table').querySelector('tbody').replaceChildren(
    ...shown.map((r) => h('tr', { dataset: { code: r.code } }, cols.map((c) => cell(c, r)))),
  );
  const capped = body.total > body.rows.length ? ` (the first ${fmt.count(body.rows.length)} loaded)` : '';
  const none = !body.total && body.parent ? ` None of level “${body.level}” lies within ${body.parent}: choose a finer level.` : '';
  const shares = body.services.some((x) => !x.rate)
    ? ' Demand: index 100 = average, band high / medium / low; “% of listed demand” is each area’s share of the modelled demand of all the areas listed (no usage rate is set, so no counts).'
    : '';
  $('d-count').textContent = `Showing ${fmt.count(shown.length)} of ${fmt.count(body.total)} areas${capped}.${none}${shares}`;
  $('d-csv').disabled = !shown.length;
}

function csvValue(v) {
  if (v === null || v === undefined) return '';
  // text a spreadsheet would run as a formula is written as text
  const text = typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// The rows and columns on screen, in their order.
// Header first, data only, so GDAL, QGIS, pandas and spreadsheets read it as it is; what the
// numbers mean (band edges, units, sources) is in the JSON sidecar the server links to
// (/api/data?format=meta), the same for the server's own CSV.
export function toCsv() {
  const cols = columns().map((c) => c.key);
  const lines = [cols.join(',')];
  for (const r of shown) lines.push(cols.map((c) => csvValue(r[c])).join(','));
  return lines.join('\n') + '\n';
}

function download() {
  const blob = new Blob([toCsv()], { type: 'text/csv;charset=utf-8' });
  const link = h('a', { href: URL.createObjectURL(blob), download: `insight-${body.level}${body.parent ? `-${body.parent}` : ''}.csv` });
  document.body.append(link);
  link.click();
  setTimeout(() => {
    URL.revokeObjectURL(link.href);
    link.remove();
  }, 1000);
}

function syncForm() {
  const s = state.get();
  $('d-level').value = s.level;
  $('d-parent').value = s.parent;
  const chosen = new Set(s.services.split(',').filter(Boolean));
  document.querySelectorAll('#d-services input').forEach((box) => {
    box.checked = chosen.size === 0 || chosen.has(box.value);
  });
  if (document.activeElement !== $('d-filter')) $('d-filter').value = s.filter;
  $('d-band').value = s.band;
}

// Census output areas without a boundary are not on the map but stay in the totals: say how many
// (in the chosen district when a lookup tells, else nationally).
async function showUnplaced() {
  const oa = (await ref.levels()).find((l) => l.level === 'oa');
  const all = oa && oa.unplaced;
  if (!all || !all.unplaced_areas) {
    $('d-unplaced').textContent = '';
    return;
  }
  const parent = state.get().parent;
  const row = (all.by_district || []).find((d) => d.district === parent) || all;
  const where = row === all ? 'in all' : `in ${parent}`;
  const share = row.unplaced_share == null ? '' : ` (${(100 * row.unplaced_share).toFixed(1)} % of households)`;
  $('d-unplaced').textContent = `Unplaced ${where}: ${fmt.count(row.unplaced_areas)} Census 2021 output areas `
    + `with ${fmt.count(row.unplaced_households)} households${share} have no boundary loaded; `
    + 'they are counted in totals through their district where a lookup tells it, but not drawn.';
}

async function initForm() {
  try {
    const [levels, services] = await Promise.all([ref.levels(), ref.modelledServices()]);
    $('d-level').replaceChildren(...levels.filter((l) => l.areas > 0).map((l) => h('option', { value: l.level }, `${l.label} (${fmt.count(l.areas)})`)));
    const tick = (on) => document.querySelectorAll('#d-services input').forEach((b) => { b.checked = on; });
    $('d-services').replaceChildren(
      h('legend', {}, 'Services ', h('span', { class: 'tag' }, 'modelled'), ' ',
        h('button', { type: 'button', class: 'link', onclick: () => tick(true) }, 'all'), ' · ',
        h('button', { type: 'button', class: 'link', onclick: () => tick(false) }, 'none')),
      ...services.map((x) => h('label', {}, h('input', { type: 'checkbox', value: x.lgsl }), ` ${ref.serviceText(x)}`)),
    );
  } catch (err) {
    status.showError(err.message);
  }
  syncForm();
  showUnplaced().catch(() => {});
  $('data-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const boxes = [...document.querySelectorAll('#d-services input')];
    const ticked = boxes.filter((b) => b.checked).map((b) => b.value);
    if (!ticked.length) {
      status.showError('Choose at least one service.');
      return;
    }
    state.set({ level: $('d-level').value, parent: $('d-parent').value.trim(),
      services: ticked.length === boxes.length ? '' : ticked.join(','), sort: '', dir: 'asc' });
    load();
    showUnplaced().catch(() => {});
  });
  const parentOptions = debounce(async () => {
    const text = $('d-parent').value.trim();
    if (text.length < 2) return;
    try {
      const page = await api.get('/api/areas', { q: text, limit: 8 });
      $('d-parent-options').replaceChildren(...page.items.map((a) => h('option', { value: a.code }, `${a.name || a.code} (${a.level})`)));
    } catch { /* suggestions only */ }
  }, 250);
  $('d-parent').addEventListener('input', parentOptions);
  $('d-filter').addEventListener('input', debounce(() => state.set({ filter: $('d-filter').value }, { replace: true }), 200));
  $('d-band').addEventListener('change', () => state.set({ band: $('d-band').value }));
  $('d-csv').addEventListener('click', download);
}

let started = false;

export async function showData() {
  if (!started) {
    started = true;
    await initForm();
    state.subscribe((s, changed) => {
      if (s.view !== 'data') return;
      syncForm();
      if (['level', 'parent', 'services'].some((k) => changed.has(k))) load();
      else if (['sort', 'dir', 'filter', 'band'].some((k) => changed.has(k))) render();
    });
  }
  syncForm();
  await load();
}
