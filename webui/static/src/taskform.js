// The task page's form: one-tap checklist, checks before sending, every change kept in this browser at
// once and sent to the server's draft when online; the first edit takes an open task for the editor.
import { setupChecklist } from './checklist.js';
import * as local from './localstore.js';
import * as outbox from './outbox.js';
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
      local.restore(form, record);
      localLine = messages.restored.replace('%s', new Date(record.savedAt).toLocaleTimeString('zh-CN', { hour12: false }));
    }
    presence = setupPresence(form, messages);
    setupPhotos(form, () => presence.position());
    setupChecklist(form, messages);
    setupValidation(form, messages);
    show();
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
