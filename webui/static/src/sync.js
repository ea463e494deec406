// On every page: the service worker that takes the inspector's pages along, the queue of submissions
// sent when the network is back, and the list of that queue where a page has room for it.
import { remove } from './localstore.js';
import { exportRecord, flush, list } from './outbox.js';
import { flushPhotos, forget } from './photoqueue.js';

const RETRY_MS = 15000;

function messages() {
  const node = document.getElementById('gridsafe-sync-messages');
  return node ? JSON.parse(node.textContent) : null;
}

function register() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      // the tasks listed on this page (the coming days' work), a task's customer file and the
      // dictionary go along for use without network
      const urls = [...document.querySelectorAll('a[href^="/tasks/"], a[data-take-along]')]
        .map((a) => a.getAttribute('href'));
      if (urls.length && registration.active) registration.active.postMessage({ type: 'take-along', urls });
      document.documentElement.dataset.serviceWorker = 'ready';
    }).catch(() => {});
}

async function render(text) {
  const box = document.querySelector('[data-outbox-list]');
  if (!box) return;
  const records = (await list()).filter((r) => !box.dataset.task || r.task === box.dataset.task)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  box.hidden = records.length === 0;
  const rows = box.querySelector('ul') || box.appendChild(document.createElement('ul'));
  rows.replaceChildren(...records.map((record) => {
    const row = document.createElement('li');
    row.className = `outbox-${record.state}`;
    row.dataset.state = record.state;
    const label = document.createElement('strong');
    label.textContent = text.states[record.state];
    const what = document.createElement('span');
    what.textContent = ` ${record.title || record.task} · ${new Date(record.createdAt).toLocaleString('zh-CN', { hour12: false })}`;
    row.append(label, what);
    if (record.reason) {
      const why = document.createElement('small');
      why.className = 'reason';
      why.textContent = ` ${record.reason}`;
      row.append(why);
    }
    if (record.state !== 'synced') {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary outline small';
      button.textContent = text.export;
      button.addEventListener('click', () => exportRecord(record));
      row.append(' ', button);
    }
    return row;
  }));
}

function start() {
  const text = messages();
  if (!text) return;
  register();
  forget(null);
  document.querySelectorAll('[data-done-task]').forEach((done) => {
    remove(done.dataset.doneTask);
    forget(done.dataset.doneTask);
  });
  // the photos first: a waiting submission names their ids
  const again = (now) => flushPhotos(text, { now }).then(() => flush(text));
  document.addEventListener('gridsafe:outbox', () => render(text));
  document.addEventListener('gridsafe:photo-queued', () => again(false));
  window.addEventListener('online', () => again(true));
  setInterval(() => again(false), RETRY_MS);
  render(text).then(() => again(false));
}

document.addEventListener('DOMContentLoaded', start);
