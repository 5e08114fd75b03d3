// The council page's channel sections: mix and index per class, the seasons, channel migration,
// unit costs and the channel-shift scenario. council.js hands over its API helpers at start.

let api = null; // { call, send, councilPath, el, svg }
const moves = [];

export function initChannelViews(helpers) {
  api = helpers;
  document.getElementById('migration-form').addEventListener('submit', onMigration);
  document.getElementById('cost-form').addEventListener('submit', onCost);
  document.getElementById('move-add').addEventListener('click', onAddMove);
  document.getElementById('scenario-form').addEventListener('submit', onScenario);
}

const $ = (id) => document.getElementById(id);
const pct = (x) => (x === null || x === undefined ? '' : `${(100 * x).toFixed(1)} %`);
const money = (x) => (x === null || x === undefined ? '—' : `£${Number(x).toFixed(2)}`);

function suppressedCell() {
  return api.el('td', { class: 'suppressed' }, 'suppressed');
}

export async function refreshChannels(p) {
  const [mix, seasons, costs] = await Promise.all([
    api.call(api.councilPath('channels', { service: p.service, tier: p.tier })),
    api.call(api.councilPath('seasons', { service: p.service })),
    api.call(api.councilPath('costs', { service: p.service })),
  ]);
  renderMix(mix);
  renderSeasons(seasons);
  renderCosts(costs);
  if (!p.service) {
    $('benchmarks').replaceChildren(api.el('p', {}, 'Choose a service (LGSL) above to compare with other councils.'));
    return;
  }
  renderBenchmarks(await api.call(api.councilPath('benchmarks', { service: p.service, tier: p.tier })));
}

function renderBenchmarks(doc) {
  const box = $('benchmarks');
  if (!doc.enough) {
    box.replaceChildren(api.el('p', { class: 'summary' }, `No comparison yet: ${doc.reason}.`));
    return;
  }
  const table = api.el('table', { class: 'data' }, api.el('caption', {}, `Against ${doc.other_councils} other councils (not named)`));
  table.append(api.el('tr', {}, ...['', 'Ours', 'Percentile', 'Their median', 'Their middle half'].map((t) => api.el('th', { scope: 'col' }, t))));
  const line = (label, placing, value) => {
    const tr = api.el('tr', {}, api.el('th', { scope: 'row' }, label));
    if (!placing) tr.append(api.el('td', {}, value === null || value === undefined ? 'suppressed' : String(Math.round(value))), api.el('td', { colspan: '3' }, 'too few councils to compare'));
    else tr.append(api.el('td', {}, String(Math.round(placing.value))), api.el('td', {}, `${Math.round(placing.percentile)}th`),
      api.el('td', {}, String(Math.round(placing.median))), api.el('td', {}, `${Math.round(placing.q1)}–${Math.round(placing.q3)}`));
    return tr;
  };
  if (doc.takeup) table.append(line('Take-up against expected demand', doc.takeup, doc.takeup.value));
  for (const c of doc.classes) table.append(line(`Index: ${c.code} ${c.name}`, c.placing, c.index));
  box.replaceChildren(table, api.el('p', { class: 'note' }, doc.note));
}

function renderMix(doc) {
  const box = $('channels-table');
  const synthetic = doc.source.synthetic ? ' SYNTHETIC records.' : '';
  $('channels-summary').textContent = doc.classes.length
    ? `${doc.contacts ?? 'suppressed'} contacts; share of each class's contacts per channel, and the channel index (100 = our overall mix) with its 95 % interval.${synthetic}`
    : `No records yet.${synthetic}`;
  if (!doc.classes.length) {
    box.replaceChildren();
    return;
  }
  const head = api.el('tr', {}, api.el('th', { scope: 'col' }, 'Class'));
  for (const c of doc.channels) head.append(api.el('th', { scope: 'col' }, c.label));
  const rows = [head];
  const overall = api.el('tr', { class: 'overall' }, api.el('th', { scope: 'row' }, 'All classes'));
  for (const o of doc.overall) overall.append(o.suppressed ? suppressedCell() : api.el('td', {}, pct(o.share)));
  rows.push(overall);
  for (const cls of doc.classes) {
    const tr = api.el('tr', {}, api.el('th', { scope: 'row' }, `${cls.code} ${cls.name}`));
    for (const cell of cls.channels) {
      if (cell.suppressed) {
        tr.append(suppressedCell());
        continue;
      }
      const td = api.el('td', { class: cell.significant ? 'significant' : '' });
      td.append(api.el('span', { class: 'share' }, pct(cell.share)));
      if (cell.index !== null) {
        td.append(api.el('span', { class: 'index' }, ` index ${Math.round(cell.index)} (${Math.round(cell.index_low)}–${Math.round(cell.index_high)})`));
      }
      if (cell.significant) td.title = `z = ${cell.z}: beyond chance`;
      tr.append(td);
    }
    rows.push(tr);
  }
  const table = api.el('table', { class: 'data' }, api.el('caption', {}, 'Channel mix and channel index per class'));
  table.append(...rows);
  box.replaceChildren(table);
}

function renderSeasons(doc) {
  const box = $('seasons-chart');
  const months = doc.months || [];
  $('seasons-summary').textContent = months.length
    ? `Seasonal index per calendar month (100 = an average month), ${doc.first_month} to ${doc.last_month}${doc.source.synthetic ? '; SYNTHETIC records' : ''}.`
    : 'No records yet.';
  if (!months.length) {
    box.replaceChildren();
    return;
  }
  const w = 560, h = 200, pad = 30, barW = (w - pad) / 12;
  const top = Math.max(150, ...months.map((m) => m.index || 0));
  const y = (v) => h - pad - ((h - 2 * pad) * v) / top;
  const chart = api.svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': 'Seasonal index per month' });
  chart.append(api.svg('line', { x1: pad, x2: w, y1: y(100), y2: y(100), class: 'axis' }));
  chart.append(api.svg('text', { x: 2, y: y(100) + 4, class: 'axis' }, '100'));
  months.forEach((m, i) => {
    const x = pad + i * barW;
    const g = api.svg('g', { class: 'month' });
    if (m.index !== null) {
      g.append(api.svg('rect', { x: x + 2, y: y(m.index), width: barW - 4, height: y(0) - y(m.index), class: 'bar' }));
      g.append(api.svg('text', { x: x + barW / 2, y: y(m.index) - 3, 'text-anchor': 'middle', class: 'value' }, String(Math.round(m.index))));
    }
    g.append(api.svg('text', { x: x + barW / 2, y: h - 10, 'text-anchor': 'middle', class: 'label' }, m.name.slice(0, 3)));
    g.append(api.svg('title', {}, `${m.name}: ${m.suppressed ? 'suppressed' : `${m.contacts} contacts over ${m.months_covered} month(s), index ${m.index ?? '—'}`}`));
    chart.append(g);
  });
  box.replaceChildren(chart);
}

async function onMigration(event) {
  event.preventDefault();
  const q = Object.fromEntries(['from1', 'to1', 'from2', 'to2'].map((k) => [k, $(`mig-${k}`).value]));
  const service = $('service').value.trim();
  try {
    const doc = await api.call(api.councilPath('channels/migration', { ...q, service, tier: $('tier').value }));
    renderMigration(doc);
  } catch (err) {
    $('migration-table').replaceChildren(api.el('p', { class: 'error', role: 'alert' }, err.message));
  }
}

function renderMigration(doc) {
  const rows = doc.overall || [];
  if (!rows.length) {
    $('migration-table').replaceChildren(api.el('p', {}, 'No contacts in one of the periods: nothing to compare.'));
    return;
  }
  const table = api.el('table', { class: 'data' }, api.el('caption', {}, `Channel shares, ${doc.periods[0].from}–${doc.periods[0].to} against ${doc.periods[1].from}–${doc.periods[1].to}`));
  table.append(api.el('tr', {}, ...['Channel', 'Period 1', 'Period 2', 'Change', 'z', ''].map((t) => api.el('th', { scope: 'col' }, t))));
  for (const r of rows) {
    const tr = api.el('tr', {}, api.el('th', { scope: 'row' }, r.channel));
    if (r.suppressed) tr.append(suppressedCell(), suppressedCell(), suppressedCell(), suppressedCell(), api.el('td'));
    else {
      tr.append(api.el('td', {}, pct(r.share_1)), api.el('td', {}, pct(r.share_2)),
        api.el('td', {}, `${r.change_points > 0 ? '+' : ''}${r.change_points} points`), api.el('td', {}, String(r.z)),
        api.el('td', { class: r.significant ? 'significant' : 'noise' }, r.significant ? 'a real change' : 'within noise'));
    }
    table.append(tr);
  }
  $('migration-table').replaceChildren(table);
}

function renderCosts(doc) {
  const table = api.el('table', { class: 'data' }, api.el('caption', {}, 'Unit cost per contact'));
  table.append(api.el('tr', {}, ...['Channel', 'Cost', 'Source', 'Applies'].map((t) => api.el('th', { scope: 'col' }, t))));
  for (const c of doc.costs) {
    table.append(api.el('tr', {}, api.el('th', { scope: 'row' }, c.label), api.el('td', {}, money(c.cost_gbp)),
      api.el('td', {}, c.source ? `${c.source}${c.year ? (c.scope.startsWith('council') ? ` (set ${c.year})` : ` (${c.year})`) : ''}` : 'no published figure: set your own'),
      api.el('td', {}, c.scope)));
  }
  $('costs-table').replaceChildren(table);
}

async function onCost(event) {
  event.preventDefault();
  const service = $('cost-this-service').checked ? Number($('service').value.trim()) || null : null;
  const body = { costs: [{ service, channel: $('cost-channel').value, cost_gbp: Number($('cost-gbp').value), source: $('cost-source').value.trim() }] };
  try {
    const doc = await api.send(api.councilPath('costs'), 'PUT', body);
    renderCosts(doc);
    $('cost-status').textContent = 'Saved (recorded in the audit trail).';
  } catch (err) {
    $('cost-status').textContent = `Not saved: ${err.message}`;
  }
}

function onAddMove() {
  const move = {
    service: Number($('move-service').value || $('service').value),
    from_channel: $('move-from').value,
    to_channel: $('move-to').value,
    share: Number($('move-percent').value) / 100,
  };
  if ($('move-volume').value) move.volume = Number($('move-volume').value);
  if ($('move-min-index').value) move.min_index = Number($('move-min-index').value);
  moves.push(move);
  $('moves').replaceChildren(...moves.map((m) => api.el('li', {}, `LGSL ${m.service}: ${100 * m.share} % of ${m.from_channel} to ${m.to_channel}${m.volume ? ` (of ${m.volume} a year)` : ''}${m.min_index ? `, classes with a ${m.to_channel} index ≥ ${m.min_index}` : ''}`)));
}

async function onScenario(event) {
  event.preventDefault();
  if (!moves.length) onAddMove();
  try {
    const doc = await api.send(api.councilPath('scenarios/channel-shift', { tier: $('tier').value }), 'POST', { moves });
    const lines = doc.moves.map((m) => api.el('li', {}, `${m.service?.label || `LGSL ${m.service?.lgsl}`}: ${m.arithmetic}`,
      api.el('span', { class: 'basis' }, ` — ${m.basis}; costs: ${m.cost_from.source} (${m.cost_from.year ?? 'set by you'}), ${m.cost_to.source} (${m.cost_to.year ?? 'set by you'})`)));
    $('scenario-result').replaceChildren(api.el('ol', {}, ...lines),
      api.el('p', { class: 'total' }, `Saving: ${doc.arithmetic}${doc.synthetic ? ' (from SYNTHETIC records)' : ''}`));
  } catch (err) {
    $('scenario-result').replaceChildren(api.el('p', { class: 'error', role: 'alert' }, err.message));
  } finally {
    moves.length = 0;
    $('moves').replaceChildren();
  }
}
