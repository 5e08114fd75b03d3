// The text view: what each modelled service is, how its demand is modelled (drivers, propensity
// per class) and what each profile class is and where it is most common.
// It stays light and still: each service's article is a placeholder of reserved height until it
// nears the screen, sub-classes are built when their list is opened, and both containers keep
// a screen's height while they load, so nothing on screen jumps.

import * as api from './api.js';
import * as state from './state.js';
import * as status from './status.js';
import { $, h, swatch } from './dom.js';
import * as fmt from './format.js';
import * as ref from './refdata.js';

let started = false;
const EAGER_ARTICLES = 3;

function paragraphs(text) {
  return (text || '').split(/\n\s*\n|\r?\n/).map((t) => t.trim()).filter(Boolean).map((t) => h('p', {}, t));
}

// The tier to draw: the coarsest one the propensities cover (8 supergroups read better than 52).
function mainTier(rows, tiers) {
  const have = new Set(rows.map((r) => r.tier));
  return (tiers || []).find((t) => have.has(t)) || rows[0]?.tier;
}

function propensityGraph(model, tiers, lgsl) {
  const tier = mainTier(model.propensity, tiers);
  const rows = model.propensity.filter((p) => p.tier === tier);
  const top = Math.max(200, ...rows.map((r) => r.index));
  const id = `prop-${lgsl}-${model.classification_id}`;
  return h('figure', { class: 'propensity', 'aria-labelledby': id },
    h('figcaption', { id }, `Propensity by ${tier} — ${model.classification_name}: how likely each class is to need this service (100 = average). `,
      h('span', { class: 'tag' }, model.propensity.some((p) => p.source.startsWith('observed')) ? 'observed' : 'modelled')),
    h('ul', { class: 'bars propensity-bars', dataset: { classification: model.classification_id, tier } },
      rows.map((r) =>
        h('li', { class: 'bar-row', dataset: { code: r.class_code } },
          h('span', { class: 'bar-label' }, swatch(r.colour), r.name || r.class_code),
          h('span', { class: 'bar-track', 'aria-hidden': 'true' },
            h('span', { class: 'bar', style: { width: `${(Math.max(0, r.index) / top) * 100}%`, background: r.colour || '#888' } }),
            h('span', { class: 'bar-ref', style: { left: `${(100 / top) * 100}%` } })),
          h('span', { class: 'bar-value' }, fmt.index(r.index)),
        ),
      ),
    ),
  );
}

// Councils' pooled records beside the modelled propensities: which one the demand model uses,
// from how many councils and records, as of when, and both indices per class.
function evidenceBlock(model, tiers) {
  const ev = model.evidence;
  if (!ev) return h('p', { class: 'hint evidence-none' }, 'Used: modelled (no pooled council records for this service yet).');
  const tier = mainTier(ev.classes, tiers);
  const rows = ev.classes.filter((c) => c.tier === tier);
  const names = Object.fromEntries(model.propensity.map((p) => [p.class_code, p.name]));
  const num = (v) => (v === null || v === undefined ? '—' : fmt.index(v));
  return h('div', { class: 'evidence', dataset: { source: ev.source } },
    h('p', {}, h('strong', {}, `Used: ${ev.used ? ev.source : 'modelled'}. `), ev.note),
    h('table', { class: 'evidence-table' },
      h('caption', {}, `Observed and modelled propensity by ${tier}`),
      h('thead', {}, h('tr', {}, ['Class', 'Used', 'Observed', '95% interval', 'Modelled', 'Customers', ev.source.includes('UK') ? 'UK regions' : 'Councils', 'Note']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((c) => h('tr', { dataset: { code: c.class_code } },
        h('th', { scope: 'row' }, names[c.class_code] || c.class_code),
        h('td', {}, c.used),
        h('td', {}, num(c.observed_index)),
        h('td', {}, c.index_low === null ? '—' : `${fmt.index(c.index_low)}–${fmt.index(c.index_high)}`),
        h('td', {}, num(c.modelled_index)),
        h('td', {}, c.suppressed ? 'suppressed' : fmt.decimal(c.customers)),
        h('td', {}, String(c.councils)),
        h('td', {}, c.warning || ''),
      ))),
    ),
  );
}

function driverList(drivers) {
  if (!drivers.length) return h('p', {}, 'No driver variables are recorded.');
  return h('ul', { class: 'drivers' },
    drivers.map((d) => h('li', {}, h('strong', {}, d.label || d.variable), d.label ? ` (${d.variable})` : '',
      d.weight !== null && d.weight !== undefined ? ` — weight ${fmt.decimal(d.weight)}` : '',
      d.table ? ` — Census table ${d.table}` : '', d.source ? ` — ${d.source}` : '')),
  );
}

// The article's content, fetched and built when it first comes near the screen.
async function fillService(article, summary, tiersById) {
  let s;
  try {
    s = await ref.service(summary.lgsl);
  } catch (err) {
    article.append(h('p', { class: 'error-inline', role: 'alert' }, err.message));
    return;
  }
  article.append(...serviceBody(s, tiersById).flat(Infinity).filter(Boolean));
  article.classList.remove('pending');
}

const nearScreen = 'IntersectionObserver' in window
  ? new IntersectionObserver((entries, observer) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      observer.unobserve(e.target);
      e.target.build();
    }
  }, { rootMargin: '600px 0px' })
  : null;

function serviceArticle(summary, tiersById) {
  const article = h('article', { class: 'service pending', id: `svc-${summary.lgsl}`, dataset: { lgsl: summary.lgsl } },
    h('h4', {}, `${summary.label} `, h('span', { class: 'lgsl' }, `LGSL ${summary.lgsl}`)));
  let built = false;
  article.build = () => {
    if (built) return undefined;
    built = true;
    return fillService(article, summary, tiersById);
  };
  if (nearScreen) nearScreen.observe(article);
  else article.build();
  return article;
}

function serviceBody(s, tiersById) {
  return [
    s.description ? h('div', { class: 'desc' }, paragraphs(s.description)) : h('p', { class: 'hint' }, 'No description in the LGSL.'),
    s.govuk_tier ? h('p', { class: 'hint' }, `Provided by: ${s.govuk_tier} tier councils.`) : '',
    s.models.map((m) =>
      h('section', { class: 'model' },
        h('h5', {}, `How demand is modelled (${m.classification_name}) `, h('span', { class: 'tag' }, 'modelled')),
        m.rationale ? h('p', {}, m.rationale) : '',
        h('p', {}, 'Driver variables:'), driverList(m.drivers || []),
        m.rate ? h('p', {}, `Overall rate: ${fmt.decimal(m.rate)} uses per household a year.`)
          : h('p', { class: 'hint' }, 'No overall rate is set, so figures are shown as indices, not counts.'),
        propensityGraph(m, tiersById[m.classification_id], s.lgsl),
        evidenceBlock(m, tiersById[m.classification_id]),
      ),
    ),
    h('p', {}, h('button', { type: 'button', class: 'link', onclick: () => state.set({ view: 'map', theme: 'service', service: String(s.lgsl) }) },
      'Show its likely demand on the map')),
    h('p', { class: 'attribution' }, s.attribution),
  ];
}

// Where each top-tier class predominates, from the data view's rows at a telling level.
async function whereCommon(c) {
  const level = c.base_level.startsWith('nuts') ? 'nuts3' : 'ward';
  const rows = [];
  try {
    for (let offset = 0; ; offset += 1000) {
      const page = await api.get('/api/data', { level, classification: c.id, limit: 1000, offset }, { cached: true });
      rows.push(...page.rows);
      if (!page.rows.length || rows.length >= page.total) break;
    }
  } catch {
    return null;
  }
  return { level, label: await ref.levelLabel(level), rows };
}

function classSection(c, detail, where) {
  const classes = detail.classes || [];
  const top = c.tiers[0];
  const children = (code) => classes.filter((k) => k.parent_code === code);
  const commonText = (k) => {
    if (!where) return '';
    const hits = where.rows.filter((r) => r.predominant_code === k.code).sort((a, b) => (b.households || 0) - (a.households || 0));
    const total = where.rows.length;
    const of = `${fmt.count(total)} areas loaded at level “${where.label}”`;
    if (!hits.length) return h('p', { class: 'where' }, `Where it is most common: not the predominant class of any of the ${of}.`);
    return h('p', { class: 'where' }, `Where it is most common: predominant in ${fmt.count(hits.length)} of the ${of}, e.g. `,
      hits.slice(0, 5).map((r) => `${r.name} (${r.code})`).join(', '), '.');
  };
  const entry = (k) =>
    h('li', { class: `class tier-${k.tier}`, dataset: { code: k.code } },
      h('h5', {}, swatch(k.colour), `${k.code} ${k.name}`, h('span', { class: 'hint colour-code' }, `\u00a0colour ${k.colour || 'none'}`)),
      k.description ? paragraphs(k.description) : '',
      k.tier === top ? commonText(k) : '',
      children(k.code).length ? subClasses(k) : '',
    );
  // The sub-classes are built when their list is first opened.
  const subClasses = (k) => {
    const list = h('ul', { class: 'classes' });
    const box = h('details', {}, h('summary', {}, `${children(k.code).length} ${c.tiers[c.tiers.indexOf(k.tier) + 1] || 'sub'}s`), list);
    box.addEventListener('toggle', () => {
      if (box.open && !list.childElementCount) list.append(...children(k.code).map(entry));
    });
    return box;
  };
  return h('article', { class: 'classification', id: `cls-${c.id}` },
    h('h4', {}, c.name),
    c.description ? paragraphs(c.description) : '',
    c.method ? h('p', { class: 'hint' }, c.method) : '',
    c.attribution ? h('p', { class: 'attribution' }, c.attribution) : '',
    h('ul', { class: 'classes' }, classes.filter((k) => k.tier === top).map(entry)),
  );
}

async function buildServices(el) {
  el.replaceChildren(h('p', { class: 'loading' }, 'Loading services…'));
  try {
    const [services, classifications] = await Promise.all([ref.modelledServices(), ref.classifications()]);
    const tiersById = Object.fromEntries(classifications.map((c) => [c.id, c.tiers]));
    const articles = services.map((s) => serviceArticle(s, tiersById));
    // The first articles (more than a screen) are filled before they are shown, so the ones
    // below never push what is on screen; the rest fill as they near the screen.
    await Promise.all(articles.slice(0, EAGER_ARTICLES).map((a) => a.build()));
    el.replaceChildren(...(articles.length ? articles : [h('p', {}, 'No service is modelled yet: run `insight build all`.')]));
    return true;
  } catch (err) {
    el.replaceChildren(h('p', { class: 'error-inline', role: 'alert' }, err.message));
    status.showError(err.message);
    return false;
  }
}

// Each classification is its own section: one failing to load does not hide the others.
async function buildClasses(el) {
  el.replaceChildren(h('p', { class: 'loading' }, 'Loading classes…'));
  let classifications;
  try {
    classifications = await ref.classifications();
  } catch (err) {
    el.replaceChildren(h('p', { class: 'error-inline', role: 'alert' }, err.message));
    return false;
  }
  let ok = true;
  const sections = await Promise.all(
    classifications.map(async (c) => {
      try {
        const [detail, where] = await Promise.all([ref.classification(c.id), whereCommon(c)]);
        return classSection(c, detail, where);
      } catch (err) {
        ok = false;
        return h('article', { class: 'classification', id: `cls-${c.id}` }, h('h4', {}, c.name),
          h('p', { class: 'error-inline', role: 'alert' }, err.message));
      }
    }),
  );
  el.replaceChildren(...sections);
  return ok;
}

async function buildChannels(el) {
  try {
    const m = await api.get('/api/channels/model', {}, { cached: true });
    const classes = Object.values(m.classes || {})[0] || {};
    const tier = Object.keys(classes)[0];
    el.replaceChildren(
      h('p', {}, h('span', { class: 'tag' }, 'modelled')),
      h('p', {}, m.method),
      m.evidence
        ? h('p', { class: m.evidence.used ? 'evidence observed' : 'hint evidence' },
          m.evidence.used ? h('span', { class: 'tag' }, 'observed') : '',
          ` Councils' pooled records: ${m.evidence.councils} councils, ${fmt.count(m.evidence.records)} contacts as of ${m.evidence.as_of}${m.evidence.synthetic ? ' (SYNTHETIC demo records)' : ''}; `,
          m.evidence.used ? 'their channel mix replaces the modelled one for the classes they cover (index per class below says which).' : `not yet enough (${m.evidence.rule}).`)
        : '',
      h('h4', {}, 'Drivers (Census 2021), their weights and why'),
      h('ul', { class: 'channel-drivers' }, m.drivers.map((d) =>
        h('li', {}, h('strong', {}, `${d.label} (${d.table}), weight ${d.weight}: `), d.rationale))),
      h('p', {}, `Baseline mix of an average area — ${m.baseline_mix.source}: web ${Math.round(100 * m.baseline_mix.shares.web)} %, `
        + `telephone ${Math.round(100 * m.baseline_mix.shares.telephone)} %, face-to-face ${Math.round(100 * m.baseline_mix.shares['face-to-face'])} %.`),
      tier
        ? h('table', { class: 'channel-classes' }, h('caption', {}, `Assisted-contact index per ${tier}`),
          h('tr', {}, h('th', { scope: 'col' }, 'Class'), h('th', { scope: 'col' }, 'Index')),
          classes[tier].map((c) => h('tr', {}, h('th', { scope: 'row' }, `${c.code} ${c.name || ''}`), h('td', {}, `${Math.round(c.assisted_index)}${c.source === 'observed' ? ' (observed)' : ''}`))))
        : h('p', {}, 'No classification with channel suitability is built.'),
    );
    return true;
  } catch (err) {
    el.replaceChildren(h('p', { class: 'error' }, `Channel suitability could not be loaded: ${err.message}`));
    return false;
  }
}

async function build() {
  buildChannels($('t-channels'));
  const boxes = [$('t-services'), $('t-classes')];
  boxes.forEach((b) => b.classList.add('reserve'));
  const [services, classes] = await Promise.all([buildServices(boxes[0]), buildClasses(boxes[1])]);
  boxes.forEach((b) => b.classList.remove('reserve'));
  if (!services || !classes) started = false; // try again next time the view is shown
}

export async function showText() {
  if (!started) {
    started = true;
    await build();
  }
  const s = state.get();
  if (s.service) {
    const target = document.getElementById(`svc-${s.service}`);
    if (target) {
      await target.build();
      target.scrollIntoView({ block: 'start' });
    }
  }
}
