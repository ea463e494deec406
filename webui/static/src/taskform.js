// The task page's form: one-tap checklist, checks before sending, every change kept in this browser at
// once and sent to the server's draft when online; the first edit takes an open task for the editor.
import { prepareSeverities, setupChecklist } from './checklist.js';
import * as local from './localstore.js';
import * as outbox from './outbox.js';
import * as photos from './photoqueue.js';
import { setupPhotos } from './photos.js';
import { setupPresence } from './presence.js';
import { setupValidation } from './validation.js';

const AUTOSAVE_MS = 1500;

function csrf() {
  const meta = document.querySelector('meta[name=csrf-token]');
  return meta ? meta.content : '';
}

function clock() {
  return new Date().toLocaleTimeString('zh-CN', { hour12: false });
}

function post(url, body) {
  return fetch(url, { method: 'POST', body, credentials: 'same-origin',
    headers: { Accept: 'application/json', 'X-CSRFToken': csrf() } });
}

function fileInputs(form) {
  return [...form.querySelectorAll('input[type=file]')].filter((el) => !el.closest('template'));
}

// Every photo of the form goes into the photo queue (once); the page's sync script sends them.
async function queuePhotos(form) {
  if (!form.dataset.photoUrl) return;
  const added = await Promise.all(fileInputs(form).flatMap((el) => [...el.files]
    .map((file) => photos.add(form.dataset.task, form.dataset.photoUrl, el.name, file))));
  if (added.some(Boolean)) document.dispatchEvent(new CustomEvent('gridsafe:photo-queued'));
}

// Under each photo input: its photos and their state (待上传 / 已上传 / 失败 and why, with 重试).
async function showPhotos(form, messages) {
  const queued = new Map((await photos.all()).map((r) => [r.key, r]));
  fileInputs(form).forEach((el) => {
    let list = el.nextElementSibling;
    if (!list || !list.matches('ul.photo-queue')) {
      list = document.createElement('ul');
      list.className = 'photo-queue';
      el.after(list);
    }
    list.replaceChildren(...[...el.files].map((file) => {
      const record = queued.get(photos.photoKey(form.dataset.task, el.name, file)) || { state: 'pending' };
      const row = document.createElement('li');
      row.dataset.state = record.state;
      const state = document.createElement('strong');
      state.textContent = messages.photoStates[record.state];
      row.append(`${file.name} `, state);
      if (record.reason) {
        const why = document.createElement('small');
        why.className = 'reason';
        why.textContent = ` ${record.reason}`;
        row.append(why);
      }
      if (record.state === 'failed') {
        const again = document.createElement('button');
        again.type = 'button';
        again.className = 'secondary outline small';
        again.textContent = messages.retry;
        again.addEventListener('click', () => photos.retry(record.key)
          .then(() => document.dispatchEvent(new CustomEvent('gridsafe:photo-queued'))));
        row.append(' ', again);
      }
      return row;
    }));
  });
}

function start(form) {
  const messages = JSON.parse(document.getElementById('taskform-messages').textContent);
  const task = form.dataset.task;
  const state = form.querySelector('[data-save-state]');
  let timer = null;
  let claimed = form.dataset.claimable !== '1';
  let serverLine = form.dataset.draftSaved ? messages.serverSavedAt.replace('%s', form.dataset.draftSaved) : '';
  let localLine = '';
  const savedIn = [];
  let presence = { edited() {}, position: () => null };
  window.gridsafeSavedIn = savedIn;
  const show = () => { if (state) state.textContent = [localLine, serverLine].filter(Boolean).join(' · '); };

  async function claim() {
    if (claimed || !navigator.onLine) return;
    claimed = true;
    const answer = await post(form.dataset.claimUrl, new FormData()).catch(() => null);
    const holder = document.querySelector('[data-holder]');
    if (answer && answer.ok && holder) holder.textContent = (await answer.json()).holder;
    else if (answer && answer.status === 409) {
      // a teammate took it first: said in words; what was tapped stays on this device
      serverLine = (await answer.json().catch(() => ({}))).message || '';
      show();
    } else claimed = false;                                   // no answer: asked again at the next edit
  }

  async function toServer() {
    timer = null;
    if (!navigator.onLine) { serverLine = messages.offline; show(); return; }
    const body = new FormData(form);
    [...form.querySelectorAll('input[type=file]')].forEach((el) => body.delete(el.name));
    // the photos already uploaded by the photo queue go to the draft by their ids (the others follow later)
    for (const el of fileInputs(form)) {
      for (const file of el.files) {
        const queued = await photos.find(task, el.name, file);
        if (queued && queued.state === 'uploaded') body.append(el.name, queued.attachment);
      }
    }
    const answer = await post(form.dataset.draftUrl, body).catch(() => null);
    if (answer && answer.ok) serverLine = messages.serverSavedAt.replace('%s', (await answer.json()).saved_at);
    else serverLine = messages.serverFailed;
    show();
  }

  async function changed(event) {
    const el = event.target;
    // a choice, a file or a signature says "change" (a radio says "input" too): one save per tap
    if (event.type === 'input' && (el.type === 'radio' || el.type === 'checkbox' || el.type === 'file'
      || el.tagName === 'SELECT')) return;
    form.dataset.edited = '1';
    presence.edited();
    await local.save(task, form);
    if (el.type === 'file') queuePhotos(form);
    // from the tap to the answer safe in IndexedDB, for the benchmark (bench/inspection_taps.py)
    savedIn.push(performance.now() - event.timeStamp);
    localLine = messages.localSavedAt.replace('%s', clock());
    form.dataset.localSaved = String(Date.now());
    show();
    claim();
    if (timer) clearTimeout(timer);
    timer = setTimeout(toServer, AUTOSAVE_MS);
  }

  return local.load(task).then((record) => {
    // a page the server sent back with errors holds what was submitted: it is not overwritten
    if (record && !('serverErrors' in form.dataset)) {
      prepareSeverities(form, Object.keys(record.fields));
      local.restore(form, record);
      localLine = messages.restored.replace('%s', new Date(record.savedAt).toLocaleTimeString('zh-CN', { hour12: false }));
    }
    presence = setupPresence(form, messages);
    setupPhotos(form, () => presence.position());
    setupChecklist(form, messages);
    setupValidation(form, messages);
    show();
    document.addEventListener('gridsafe:photos', () => showPhotos(form, messages));
    queuePhotos(form).then(() => showPhotos(form, messages));
    ['input', 'change', 'taskform:changed'].forEach((type) => form.addEventListener(type, changed));
    form.addEventListener('submit', (event) => {
      if (event.defaultPrevented || (event.submitter && event.submitter.value === 'draft')) return;
      if (!navigator.onLine) {
        event.preventDefault();
        const title = document.querySelector('hgroup h2');
        outbox.enqueue(form, title ? title.textContent.trim() : task).then(() => {
          if (state) state.textContent = messages.queued;
          document.dispatchEvent(new CustomEvent('gridsafe:outbox'));
        });
        return;
      }
      // kept until the server says the task is done (the next page names it): a submission lost on
      // the way loses nothing
    });
    form.dataset.ready = '1';
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const form = document.querySelector('form.task-form[data-task]');
  if (form) start(form);
});
