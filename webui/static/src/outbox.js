// Submissions waiting for the network: kept in IndexedDB with an idempotency key, sent when the network
// is back (again after a lost answer: the server completes the task once), each with its state
// 待同步 (pending) / 已同步 (synced) / 失败 (failed, with the server's reason). Nothing is thrown away:
// a refused one can be exported as a file for the specialist.
import { db, OUTBOX, remove, snapshot } from './localstore.js';
import { find } from './photoqueue.js';

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function csrf() {
  const meta = document.querySelector('meta[name=csrf-token]');
  return meta ? meta.content : '';
}

export async function enqueue(form, title) {
  const record = { key: newKey(), task: form.dataset.task, url: form.dataset.submitUrl, page: location.pathname,
    title, ...snapshot(form), state: 'pending', reason: '', createdAt: new Date().toISOString() };
  await (await db()).put(OUTBOX, record);
  return record;
}

export async function list() {
  return (await db()).getAll(OUTBOX);
}

async function update(record, changes) {
  Object.assign(record, changes, { updatedAt: new Date().toISOString() });
  await (await db()).put(OUTBOX, record);
}

// The photos go by the ids the photo queue got for them; the submission waits while one is still on its
// way and is refused (kept, exportable) when the server refused one of them.
async function attach(record, body, messages) {
  for (const [name, files] of Object.entries(record.files || {})) {
    for (const file of files) {
      const queued = await find(record.task, name, file);
      if (!queued) body.append(name, file, file.name);              // kept before the photo queue existed
      else if (queued.state === 'uploaded') body.append(name, queued.attachment);
      else if (queued.state === 'failed') return { state: 'failed', reason: `${messages.photoFailed} ${file.name}：${queued.reason}` };
      else return { state: 'pending', reason: messages.waitingPhotos };
    }
  }
  return null;
}

async function send(record, messages) {
  const body = new FormData();
  Object.entries(record.fields).forEach(([name, values]) => values.forEach((v) => body.append(name, v)));
  const blocked = await attach(record, body, messages);
  if (blocked) {
    await update(record, blocked);
    return;
  }
  body.set('idempotency_key', record.key);
  // the device's clock as it is sent (the server compares it with its own on arrival)
  if (body.has('presence.device_clock')) body.set('presence.device_clock', new Date().toISOString());
  body.set('csrf_token', csrf());
  let answer;
  try {
    answer = await fetch(record.url, { method: 'POST', body, credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-CSRFToken': csrf() } });
  } catch (err) {
    await update(record, { attempts: (record.attempts || 0) + 1, reason: messages.noNetwork });
    return;                                                   // stays pending: sent again later
  }
  const json = await answer.json().catch(() => ({}));
  if (answer.ok) {
    await update(record, { state: 'synced', reason: json.message || '' });
    await remove(record.task);
  } else if (answer.status >= 400 && answer.status < 500) {
    const first = Object.values(json.errors || {})[0];
    await update(record, { state: 'failed', reason: [json.message, first].filter(Boolean).join(' ') });
  } else {                                                    // stays pending: sent again later (a 503 may say
    await update(record, { attempts: (record.attempts || 0) + 1,   // why, e.g. its document is being generated)
                           reason: json.message || messages.serverDown });
  }
}

let running = null;
export function flush(messages) {
  if (!navigator.onLine) return Promise.resolve();
  running = running || list()
    .then((records) => records.filter((r) => r.state === 'pending'))
    .then((pending) => pending.reduce((chain, r) => chain.then(() => send(r, messages)), Promise.resolve()))
    .finally(() => { running = null; document.dispatchEvent(new CustomEvent('gridsafe:outbox')); });
  return running;
}

function dataUrl(file) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.readAsDataURL(file);
  });
}

// The record as a JSON file (photos inline), for the specialist when the server refused it.
export async function exportRecord(record) {
  const files = {};
  for (const [name, list] of Object.entries(record.files || {})) {
    files[name] = await Promise.all(list.map(async (f) => ({ name: f.name, data: await dataUrl(f) })));
  }
  const blob = new Blob([JSON.stringify({ ...record, files }, null, 2)], { type: 'application/json' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `gridsafe-${record.task}-${record.key.slice(0, 8)}.json`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  return blob;
}
