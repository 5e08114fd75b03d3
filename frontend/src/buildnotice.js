// While `insight demo` builds England and Wales behind the regional demo, say so and how far it
// has got; once the new store is served, offer to reload. Quiet when nothing is being built.

import { $, h } from './dom.js';

const POLL_MS = 10_000;

async function fetchProgress() {
  const answer = await fetch('/api/build-progress', { headers: { Accept: 'application/json' } });
  if (!answer.ok) return { state: 'none' };
  return answer.json();
}

function render(p, seen) {
  const box = $('build-notice');
  if (p.state === 'building') {
    const share = p.of ? Math.round((100 * p.done) / p.of) : 0;
    box.replaceChildren(
      h('p', {}, h('strong', {}, `${p.what || 'More data'} is being loaded`),
        ` in the background — step ${p.done + 1} of ${p.of} (${p.step}). The regional demo is shown meanwhile.`),
      h('progress', { max: '100', value: String(share), 'aria-label': 'loading progress' }, `${share} %`),
    );
    box.hidden = false;
  } else if (p.state === 'done' && seen) {
    box.replaceChildren(
      h('p', {}, `${p.what || 'The new data'} is ready. `,
        h('button', { type: 'button', class: 'link', onclick: () => window.location.reload() }, 'Reload the page')),
    );
    box.hidden = false;
  } else if (p.state === 'failed' && seen) {
    box.replaceChildren(h('p', {}, `Loading ${p.what || 'more data'} failed; the regional demo stays.`));
    box.hidden = false;
  } else {
    box.hidden = true;
  }
}

export async function watchBuild() {
  let seen = false;
  for (;;) {
    let p;
    try {
      p = await fetchProgress();
    } catch {
      p = { state: 'none' }; // the server is handing over: ask again on the next round
    }
    render(p, seen);
    if (p.state === 'building') seen = true;
    if (p.state !== 'building') return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
