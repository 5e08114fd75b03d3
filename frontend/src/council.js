import { initChannelViews, refreshChannels } from './council-channels.js';

// The council workspace page: sign in with the council's token (kept in session storage, sent
// as a header, never in a URL), then the customer profile, the take-up map and the funnel plot.

const SVG = 'http://www.w3.org/2000/svg';
const KEY = 'insight.council';
const $ = (id) => document.getElementById(id);

let session = null; // { council, token }
let map = null;
let layer = null;
let bandColours = {};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(path, { accept = 'application/json', creds = session } = {}) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: accept, Authorization: `Bearer ${creds.token}` } });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check that it is running, then try again.');
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = body.detail || detail;
    } catch { /* not JSON */ }
    throw new ApiError(response.status, detail);
  }
  return accept === 'application/json' ? response.json() : response.blob();
}

async function send(path, method, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: `Bearer ${session.token}` },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check that it is running, then try again.');
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, answer.detail || response.statusText);
  return answer;
}

function councilPath(rest, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return `/api/councils/${encodeURIComponent(session.council)}/${rest}${s ? `?${s}` : ''}`;
}

function showError(id, message) {
  const box = $(id);
  box.textContent = message;
  box.hidden = !message;
}

function params() {
  return {
    service: $('service').value.trim(),
    tier: $('tier').value,
    base: $('base').value === 'area' ? $('base-area').value.trim() : $('base').value,
    level: $('level').value,
  };
}

// --- sign in ---------------------------------------------------------------------------------

async function signIn(creds) {
  const who = await call(`/api/councils/${encodeURIComponent(creds.council)}`, { creds });
  session = creds;
  sessionStorage.setItem(KEY, JSON.stringify(creds));
  $('council-name').textContent = `${who.name} (${who.districts.map((d) => d.name || d.code).join(', ')})`;
  baseChoices(who.regions || []);
  $('who').hidden = false;
  $('signin').hidden = true;
  $('workspace').hidden = false;
  await initMap(who.districts);
  await refresh();
}

// The bases a council can compare with: its districts, England and Wales, the NUTS regions
// holding its districts, or any area by LEVEL:CODE.
const REGION_WORDS = { nuts1: 'region (NUTS1)', nuts2: 'sub-region (NUTS2)', nuts3: 'area (NUTS3)' };

function baseChoices(regions) {
  const select = $('base');
  for (const old of [...select.querySelectorAll('option[data-region]')]) old.remove();
  const other = select.querySelector('option[value="area"]');
  for (const r of regions) {
    const option = document.createElement('option');
    option.value = r.base;
    option.dataset.region = r.level;
    option.textContent = `${r.name || r.code} — ${REGION_WORDS[r.level] || r.level}`;
    select.insertBefore(option, other);
  }
}

function showBaseArea() {
  const other = $('base').value === 'area';
  $('base-area-label').hidden = !other;
  $('base-area').required = other;
}

function signOut() {
  sessionStorage.removeItem(KEY);
  session = null;
  $('workspace').hidden = true;
  $('who').hidden = true;
  $('signin').hidden = false;
  $('token').value = '';
  if (layer && map) map.removeLayer(layer);
  layer = null;
}

async function onSignIn(event) {
  event.preventDefault();
  showError('signin-error', '');
  const creds = { council: $('council-id').value.trim().toLowerCase(), token: $('token').value.trim() };
  try {
    await signIn(creds);
  } catch (err) {
    session = null;
    sessionStorage.removeItem(KEY);
    const why =
      err.status === 401
        ? 'That token was not accepted (unknown, mistyped or revoked).'
        : err.status === 403
          ? 'That token belongs to another council.'
          : err.status === 404
            ? 'No such council.'
            : '';
    showError('signin-error', `${why} ${err.message}`.trim());
  }
}

// --- profile ---------------------------------------------------------------------------------

function fmt(x, digits = 0) {
  return x === null || x === undefined ? '—' : Number(x).toLocaleString('en-GB', { maximumFractionDigits: digits });
}

function sourceText(source) {
  const dates = source.date_from ? `, ${source.date_from} to ${source.date_to}` : '';
  return `${source.customers} (${source.uploads} upload${source.uploads === 1 ? '' : 's'}${dates}); base: ${source.base}.`;
}

function renderProfile(doc) {
  const tiers = $('tier');
  if (!tiers.options.length) {
    for (const t of doc.tiers) tiers.append(el('option', { value: t }, t));
    tiers.value = doc.tier;
  }
  const c = doc.customers;
  $('profile-summary').replaceChildren(
    `${fmt(c.classified, 1) === '—' ? 'suppressed' : fmt(c.classified, 1)} customers in ${c.area.label} against `,
    `${fmt(doc.base.households)} households in ${doc.base.label}`,
    doc.service ? ` · service ${doc.service.lgsl} ${doc.service.label || ''}` : ' · every service',
    doc.source.synthetic ? el('span', { class: 'synthetic' }, 'synthetic') : '',
  );
  $('profile-note').textContent =
    `${sourceText(doc.source)} Whiskers: ${doc.interval}. * ${doc.significance}. ${doc.suppression.rule}`;
  const rows = doc.classes;
  const labelW = 210;
  const barW = 380;
  const textW = 230;
  const rowH = 26;
  const top = 22;
  const width = labelW + barW + textW;
  const height = top + rows.length * rowH + 8;
  const maxIdx = Math.max(200, ...rows.map((r) => r.index_high || r.index || 0));
  const scale = (v) => labelW + (Math.min(v, maxIdx) / maxIdx) * barW;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Profile index per class', class: 'profile' });
  chart.append(svg('text', { x: scale(100), y: 12, 'text-anchor': 'middle', class: 'axis' }, '100 = like the base'));
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const g = svg('g', { class: `row${r.suppressed ? ' suppressed' : ''}`, 'data-code': r.code });
    g.append(svg('title', {}, `${r.code} ${r.name}`));
    g.append(svg('text', { x: labelW - 6, y: y + 16, 'text-anchor': 'end', class: 'label' }, `${r.code} ${r.name}`.slice(0, 34)));
    if (r.suppressed) {
      g.append(svg('rect', { x: labelW, y: y + 5, width: barW, height: rowH - 10, class: 'hatch' }));
      g.append(svg('text', { x: labelW + barW + 6, y: y + 16, class: 'value' }, 'suppressed'));
    } else if (r.index !== null) {
      g.append(svg('rect', { x: labelW, y: y + 5, width: Math.max(scale(r.index) - labelW, 1), height: rowH - 10, fill: r.colour || '#777', class: 'bar' }));
      if (r.index_low !== null && r.index_high !== null) {
        const lo = scale(r.index_low);
        const hi = scale(r.index_high);
        const mid = y + rowH / 2;
        g.append(svg('line', { x1: lo, x2: hi, y1: mid, y2: mid, class: 'whisker' }));
        g.append(svg('line', { x1: lo, x2: lo, y1: mid - 5, y2: mid + 5, class: 'whisker' }));
        g.append(svg('line', { x1: hi, x2: hi, y1: mid - 5, y2: mid + 5, class: 'whisker' }));
      }
      const star = r.significant ? ' *' : '';
      g.append(svg('text', { x: labelW + barW + 6, y: y + 16, class: 'value' }, `${fmt(r.index)}${star} · ${r.wording || ''}`));
    } else {
      g.append(svg('text', { x: labelW + barW + 6, y: y + 16, class: 'value' }, 'no households in the base'));
    }
    chart.append(g);
  });
  chart.append(svg('line', { x1: scale(100), x2: scale(100), y1: top - 4, y2: height - 4, class: 'reference' }));
  $('profile-chart').replaceChildren(chart);
}

// --- take-up map -----------------------------------------------------------------------------

async function initMap(districts) {
  if (!map) {
    map = L.map('map', { minZoom: 5, maxZoom: 16 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    map.setView([53.5, -2.3], 9);
  }
  const boxes = [];
  for (const d of districts) {
    try {
      const r = await fetch(`/api/areas/${encodeURIComponent(d.code)}?level=lad`, { headers: { Accept: 'application/json' } });
      if (r.ok) {
        const area = await r.json();
        if (area.bbox) boxes.push(area.bbox);
      }
    } catch { /* keep the default view */ }
  }
  if (boxes.length) {
    const [w, s, e, n] = boxes.reduce((a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]);
    map.fitBounds([[s, w], [n, e]]);
  }
}

function drawLayer() {
  if (layer) map.removeLayer(layer);
  const p = params();
  const q = new URLSearchParams({ level: p.level });
  if (p.service) q.set('service', p.service);
  if (p.tier) q.set('tier', p.tier);
  const url = `/api/councils/${encodeURIComponent(session.council)}/takeup/tiles/{z}/{x}/{y}.mvt?${q}`;
  layer = L.vectorGrid.protobuf(url, {
    rendererFactory: L.svg.tile,
    fetchOptions: { headers: { Authorization: `Bearer ${session.token}` } },
    vectorTileLayerStyles: {
      takeup: (props) => ({
        fill: true,
        fillColor: bandColours[props.band] || '#ffffff',
        fillOpacity: 0.8,
        color: '#555',
        weight: 0.6,
      }),
    },
    interactive: true,
    getFeatureId: (f) => f.properties.code,
    maxNativeZoom: 14,
    attribution: 'Take-up from your council\'s records; boundaries © ONS',
  });
  layer.on('click', (e) => {
    const pr = e.layer.properties;
    const idx = pr.takeup_index !== undefined && pr.takeup_index !== null ? Math.round(pr.takeup_index) : null;
    L.popup()
      .setLatLng(e.latlng)
      .setContent(`<strong>${pr.name || pr.code}</strong><br>${pr.band}${idx !== null ? ` · index ${idx}` : ''}`)
      .openOn(map);
  });
  layer.addTo(map);
}

function renderTakeup(doc) {
  bandColours = Object.fromEntries(doc.legend.map((b) => [b.band, b.colour]));
  const t = doc.totals;
  $('takeup-summary').replaceChildren(
    `${t.areas} ${doc.level === 'oa' ? 'output areas' : doc.level === 'lsoa' ? 'LSOAs' : 'wards'}; `,
    `${fmt(t.observed ?? null, 1)} contacts observed, ${fmt(t.expected, 1)} expected; `,
    `${t.suppressed_areas} suppressed. ${doc.method}`,
    doc.source.synthetic ? el('span', { class: 'synthetic' }, 'synthetic') : '',
  );
  const legend = $('takeup-legend');
  legend.replaceChildren(el('h3', {}, 'Take-up index'));
  for (const b of doc.legend) {
    const sw = el('span', { class: 'swatch' });
    sw.style.background = b.colour;
    legend.append(el('div', { class: 'legend-row', 'data-band': b.band }, sw, b.label));
  }
  drawLayer();
}

// --- funnel plot -----------------------------------------------------------------------------

function renderFunnel(doc) {
  const W = 720;
  const H = 380;
  const m = { l: 56, r: 16, t: 14, b: 44 };
  const lim = doc.limits.limits;
  const xs = lim.expected;
  const pts = doc.points;
  const xMin = Math.min(xs[0], ...pts.map((p) => p.expected));
  const xMax = Math.max(xs[xs.length - 1], ...pts.map((p) => p.expected));
  const yMax = Math.min(400, Math.max(200, ...pts.map((p) => p.index)) * 1.05);
  const lx = (v) => m.l + ((Math.log(v) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin) || 1)) * (W - m.l - m.r);
  const ly = (v) => H - m.b - (Math.min(v, yMax) / yMax) * (H - m.t - m.b);
  const plot = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Funnel plot', class: 'funnel' });
  plot.append(svg('line', { x1: m.l, x2: W - m.r, y1: ly(100), y2: ly(100), class: 'reference' }));
  for (const [key, cls] of [['lower_95', 'l95'], ['upper_95', 'l95'], ['lower_99.8', 'l998'], ['upper_99.8', 'l998']]) {
    const d = xs.map((x, i) => `${i ? 'L' : 'M'}${lx(x).toFixed(1)},${ly(lim[key][i]).toFixed(1)}`).join('');
    plot.append(svg('path', { d, class: `limit ${cls}`, 'data-limit': key }));
  }
  for (const p of pts) {
    const c = svg('circle', { cx: lx(p.expected), cy: ly(p.index), r: 4, class: `point ${p.position.startsWith('within') ? 'within' : 'outside'}` });
    c.append(svg('title', {}, `${p.name || p.code}: index ${Math.round(p.index)}, expected ${p.expected} (${p.position})`));
    plot.append(c);
  }
  plot.append(svg('line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, class: 'axis-line' }));
  plot.append(svg('line', { x1: m.l, x2: m.l, y1: m.t, y2: H - m.b, class: 'axis-line' }));
  for (const v of [0, 50, 100, 150, 200, 300, 400].filter((v) => v <= yMax)) {
    plot.append(svg('text', { x: m.l - 6, y: ly(v) + 4, 'text-anchor': 'end', class: 'axis' }, String(v)));
  }
  for (const v of [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000].filter((v) => v >= xMin && v <= xMax)) {
    plot.append(svg('text', { x: lx(v), y: H - m.b + 16, 'text-anchor': 'middle', class: 'axis' }, String(v)));
  }
  plot.append(svg('text', { x: (W + m.l) / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis' }, doc.x));
  plot.append(svg('text', { x: 14, y: H / 2, transform: `rotate(-90 14 ${H / 2})`, 'text-anchor': 'middle', class: 'axis' }, 'take-up index'));
  $('funnel').replaceChildren(plot);
  $('funnel-note').textContent =
    `${pts.length} areas plotted; ${doc.left_out.suppressed} suppressed and ${doc.left_out.no_expectation} without households left out. ` +
    `Lines: 95 % (dashed) and 99.8 % (solid). ${doc.limits.note}`;
}

// --- upload --------------------------------------------------------------------------------

function reportTable(caption, head, rows) {
  const table = el('table', {}, el('caption', {}, caption));
  table.append(el('tr', {}, ...head.map((x) => el('th', {}, x))));
  for (const r of rows) table.append(el('tr', {}, ...r.map((x) => el('td', {}, x === null || x === undefined ? '' : String(x)))));
  return table;
}

function renderReport(report, ok) {
  const box = $('upload-report');
  box.replaceChildren();
  box.hidden = !report;
  if (!report) return;
  const rate = report.match_rate === null || report.match_rate === undefined ? '—' : `${(report.match_rate * 100).toFixed(1)} %`;
  box.append(
    el('p', {}, `${ok ? 'Taken' : 'Refused'}: ${fmt(report.rows_read)} rows read, ${fmt(report.rows_matched)} matched, ` +
      `${fmt(report.rows_rejected)} rejected (match rate ${rate}); dates ${report.date_from || '—'} to ${report.date_to || '—'}.`),
  );
  if (report.rejections && report.rejections.length) {
    box.append(reportTable('Rejected rows by reason', ['field', 'reason', 'rows'], report.rejections.map((r) => [r.field, r.reason, r.rows])));
  }
  if (report.rejected_rows && report.rejected_rows.length) {
    box.append(reportTable(`First ${Math.min(report.rejected_rows.length, 20)} rejected rows`, ['row', 'field', 'reason', 'value'],
      report.rejected_rows.slice(0, 20).map((r) => [r.row, r.field, r.reason, r.value])));
  }
  for (const [key, label] of [['unknown_services', 'Unknown service codes'], ['unknown_channels', 'Unknown channels']]) {
    if (report[key] && report[key].length) box.append(reportTable(label, ['code', 'rows'], report[key].map((u) => [u.code, u.rows])));
  }
}

function upload(event) {
  event.preventDefault();
  const file = $('upload-file').files[0];
  if (!file) return;
  const q = new URLSearchParams({ name: file.name });
  for (const part of $('upload-map').value.split(',').map((x) => x.trim()).filter(Boolean)) q.append('map', part);
  const xhr = new XMLHttpRequest();
  const bar = $('upload-progress');
  bar.hidden = false;
  bar.value = 0;
  $('upload-status').textContent = `Sending ${file.name}…`;
  renderReport(null);
  xhr.open('POST', `/api/councils/${encodeURIComponent(session.council)}/uploads?${q}`);
  xhr.setRequestHeader('Authorization', `Bearer ${session.token}`);
  xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
  xhr.setRequestHeader('Accept', 'application/json');
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
  };
  xhr.upload.onload = () => {
    bar.value = 100;
    $('upload-status').textContent = 'Sent; checking and aggregating the records…';
  };
  xhr.onerror = () => {
    $('upload-status').textContent = 'The upload failed: the server cannot be reached.';
    document.body.dataset.uploaded = 'error';
  };
  xhr.onload = async () => {
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch { /* not JSON */ }
    if (xhr.status === 201) {
      $('upload-status').textContent = `Uploaded ${body.source_name}${body.synthetic ? ' (synthetic)' : ''}.`;
      renderReport(body.report, true);
      document.body.dataset.uploaded = 'ok';
      await refresh();
    } else {
      const detail = (body && body.detail) || xhr.statusText;
      $('upload-status').textContent = `The upload was refused (${xhr.status}): ${detail}`;
      renderReport(body && body.report, false);
      document.body.dataset.uploaded = 'error';
    }
  };
  document.body.dataset.uploaded = 'sending';
  xhr.send(file);
}

// --- downloads and refresh -------------------------------------------------------------------

async function download(what) {
  const p = params();
  const paths = {
    profile: () => councilPath('profile', { service: p.service, tier: p.tier, base: p.base, format: 'csv' }),
    takeup: () => councilPath('takeup', { service: p.service, level: p.level, tier: p.tier, format: 'csv' }),
    channels: () => councilPath('channels', { service: p.service, tier: p.tier, format: 'csv' }),
    seasons: () => councilPath('seasons', { service: p.service, format: 'csv' }),
  };
  const path = paths[what]();
  try {
    const blob = await call(path, { accept: 'text/csv' });
    const a = el('a', { href: URL.createObjectURL(blob), download: `${what}-${session.council}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 5000);
  } catch (err) {
    showError('error', `The download failed: ${err.message}`);
  }
}

async function refresh(event) {
  if (event) event.preventDefault();
  showError('error', '');
  document.body.dataset.loaded = 'false';
  const p = params();
  try {
    const [profile, takeup, funnel] = await Promise.all([
      call(councilPath('profile', { service: p.service, tier: p.tier, base: p.base })),
      call(councilPath('takeup', { service: p.service, level: p.level, tier: p.tier })),
      call(councilPath('funnel', { service: p.service, level: p.level, tier: p.tier })),
    ]);
    renderProfile(profile);
    renderTakeup(takeup);
    renderFunnel(funnel);
    await refreshChannels(p);
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      signOut();
      showError('signin-error', `Signed out: ${err.message}`);
    } else {
      showError('error', err.message);
    }
  } finally {
    document.body.dataset.loaded = 'true';
  }
}

async function start() {
  initChannelViews({ call, send, councilPath, el, svg });
  $('signin-form').addEventListener('submit', onSignIn);
  $('signout').addEventListener('click', signOut);
  $('controls').addEventListener('submit', refresh);
  $('base').addEventListener('change', showBaseArea);
  $('upload-form').addEventListener('submit', upload);
  for (const b of document.querySelectorAll('button.download')) b.addEventListener('click', () => download(b.dataset.what));
  const saved = sessionStorage.getItem(KEY);
  if (saved) {
    try {
      await signIn(JSON.parse(saved));
    } catch (err) {
      signOut();
      showError('signin-error', `Please sign in again: ${err.message}`);
    }
  }
  document.body.dataset.ready = 'true';
}

start();
