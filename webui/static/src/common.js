/* Helpers shared by the modeler and the viewer pages: CSRF-protected JSON posts, a status line. */

export function csrfToken() {
  const meta = document.querySelector('meta[name=csrf-token]');
  return meta ? meta.content : '';
}

export async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrfToken() },
    body: JSON.stringify(body),
  });
  let json = {};
  try { json = await response.json(); } catch (err) { json = { detail: response.statusText }; }
  return { status: response.status, json };
}

export async function getJson(url) {
  const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return response.json();
}

export async function getText(url) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return response.text();
}

export function setStatus(root, state, text) {
  const node = root.querySelector('.editor-status, .viewer-status');
  if (!node) return;
  node.dataset.state = state;
  node.textContent = text;
}
