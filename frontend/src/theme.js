// The theme picker: predominant class (and its tier) or likely demand for a modelled service,
// found by name or LGSL code. The choice lives in the URL state; the map follows it.

import * as state from './state.js';
import * as status from './status.js';
import { $, h } from './dom.js';
import * as ref from './refdata.js';

export async function initThemeControls() {
  const radios = document.querySelectorAll('input[name="theme"]');
  radios.forEach((r) =>
    r.addEventListener('change', () => {
      if (!r.checked) return;
      state.set({ theme: r.value });
      if (r.value === 'service' && !state.get().service) $('service-q').focus();
    }),
  );
  $('tier').addEventListener('change', (e) => state.set({ tier: e.target.value }));
  const input = $('service-q');
  let services = [];
  try {
    services = await ref.modelledServices();
  } catch (err) {
    status.showError(err.message);
  }
  $('service-options').replaceChildren(
    ...services.map((s) => h('option', { value: ref.serviceText(s), label: (s.families || []).includes('europe') ? 'UK and Europe' : 'UK only' })),
  );
  const pick = () => {
    const found = ref.findService(services, input.value);
    if (found) {
      input.value = ref.serviceText(found);
      state.set({ theme: 'service', service: String(found.lgsl) });
    } else if (input.value.trim()) {
      $('service-chosen').textContent = `No modelled service matches “${input.value.trim()}”.`;
    }
  };
  input.addEventListener('change', pick);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      pick();
    }
  });
  syncControls(services);
  state.subscribe((s, changed) => {
    if (changed.has('service') || changed.has('theme') || changed.has('tier')) syncControls(services);
  });
}

function syncControls(services) {
  const s = state.get();
  document.querySelectorAll('input[name="theme"]').forEach((r) => {
    r.checked = r.value === s.theme;
  });
  $('tier').value = s.tier;
  const chosen = services.find((x) => String(x.lgsl) === s.service);
  if (chosen && document.activeElement !== $('service-q')) $('service-q').value = ref.serviceText(chosen);
  $('service-chosen').textContent =
    s.theme === 'service' && !s.service ? 'Choose a service to colour the map by its likely demand.' : '';
  document.querySelector('.view-map').dataset.theme = s.theme;
}

