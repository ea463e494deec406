// Photos wait in their own queue (IndexedDB) and go to the server one by one, apart from the form: taken
// offline, they are sent when the network is back, again with a growing pause after a failure; each
// shows its state 待上传 (pending) / 已上传 (uploaded) / 失败 (failed, with the server's reason). A refused
// one (e.g. not an image) keeps its local copy. The form's submission then names the uploaded ids.
import { db, PHOTOS } from './localstore.js';

const FIRST_PAUSE_MS = 2000;
const LONGEST_PAUSE_MS = 5 * 60 * 1000;

export function photoKey(task, field, file) {
  return `${task}|${field}|${file.name}|${file.size}|${file.lastModified}`;
}

function csrf() {
  const meta = document.querySelector('meta[name=csrf-token]');
  return meta ? meta.content : '';
}

function changed() {
  document.dispatchEvent(new CustomEvent('gridsafe:photos'));
}

// Each photo once: a restored form or a second change event adds nothing new.
export async function add(task, url, field, file) {
  const key = photoKey(task, field, file);
  const store = await db();
  if (await store.get(PHOTOS, key)) return false;
  await store.put(PHOTOS, { key, task, url, field, name: file.name, file, state: 'pending', reason: '',
    attempts: 0, nextAt: 0, createdAt: new Date().toISOString() });
  changed();
  return true;
}

export async function find(task, field, file) {
  return (await db()).get(PHOTOS, photoKey(task, field, file));
}

export async function all() {
  return (await db()).getAll(PHOTOS);
}

export async function retry(key) {
  const store = await db();
  const record = await store.get(PHOTOS, key);
  if (!record) return;
  await store.put(PHOTOS, { ...record, state: 'pending', attempts: 0, nextAt: 0, reason: '' });
  changed();
}

// Sent photos are let go when their task is done, or after a week (a queued submission may still name
// them until then); a refused one is kept until it is dealt with.
export async function forget(task) {
  const store = await db();
  const old = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();
  const sent = (await store.getAll(PHOTOS)).filter((r) => r.state === 'uploaded'
    && (r.task === task || (r.updatedAt || r.createdAt) < old));
  await Promise.all(sent.map((r) => store.delete(PHOTOS, r.key)));
}

async function update(record, changes) {
  Object.assign(record, changes, { updatedAt: new Date().toISOString() });
  await (await db()).put(PHOTOS, record);
}

function later(record, reason) {
  const attempts = (record.attempts || 0) + 1;
  const pause = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (attempts - 1));
  return update(record, { attempts, reason, nextAt: Date.now() + pause });
}

async function upload(key, messages) {
  const record = await (await db()).get(PHOTOS, key);          // read again: another page may have sent it
  if (!record || record.state !== 'pending') return;
  const body = new FormData();
  body.append('file', record.file, record.name);
  body.append('csrf_token', csrf());
  let answer;
  try {
    answer = await fetch(record.url, { method: 'POST', body, credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-CSRFToken': csrf() } });
  } catch (err) {
    await later(record, messages.noNetwork);
    return;
  }
  const json = await answer.json().catch(() => ({}));
  if (answer.ok && json.id) await update(record, { state: 'uploaded', attachment: json.id, reason: '' });
  else if (answer.status >= 400 && answer.status < 500 && ![408, 429].includes(answer.status)) {
    await update(record, { state: 'failed', reason: json.message || `HTTP ${answer.status}` });
  } else await later(record, messages.serverDown);
}

async function run(messages, now) {
  const due = (await all()).filter((r) => r.state === 'pending' && (now || (r.nextAt || 0) <= Date.now()));
  for (const record of due) {
    await upload(record.key, messages);
    changed();
  }
}

// One sender at a time, across the page's scripts and the browser's tabs (Web Locks where there are).
let running = null;
export function flushPhotos(messages, { now = false } = {}) {
  if (!navigator.onLine) return Promise.resolve();
  const go = () => run(messages, now);
  running = running || (navigator.locks ? navigator.locks.request('gridsafe-photos', go) : go())
    .catch(() => {}).finally(() => { running = null; });
  return running;
}
