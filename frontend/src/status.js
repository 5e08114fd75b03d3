// One place for "loading…" and error messages, so every view reports the same way.

const statusEl = () => document.getElementById('status');
const errorEl = () => document.getElementById('error');
let pending = 0;

export function begin() {
  pending += 1;
  render();
}

export function end() {
  pending = Math.max(0, pending - 1);
  render();
}

function render() {
  const el = statusEl();
  el.textContent = pending ? 'Loading…' : '';
  el.classList.toggle('busy', pending > 0);
  document.body.setAttribute('aria-busy', pending > 0 ? 'true' : 'false');
}

export function showError(message) {
  const el = errorEl();
  el.hidden = false;
  el.replaceChildren();
  const text = document.createElement('span');
  text.textContent = message;
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = 'Dismiss';
  close.addEventListener('click', clearError);
  el.append(text, close);
}

export function clearError() {
  const el = errorEl();
  el.hidden = true;
  el.replaceChildren();
}

// Map tiles report through a flag, not the counter: a layer removed mid-load never says "done".
let tilesBusy = false;
export function tiles(busy) {
  if (busy === tilesBusy) return;
  tilesBusy = busy;
  if (busy) begin();
  else end();
}
