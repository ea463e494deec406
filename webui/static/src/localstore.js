// Every answer, photo and signature of a task form kept in this browser (IndexedDB) the moment it is
// given, and put back when the page opens again: a reload, a closed tab or a dead battery lose nothing.
import { openDB } from 'idb';

const DB = 'gridsafe';
const STORE = 'task-forms';
export const OUTBOX = 'outbox';
export const PHOTOS = 'photos';

let database;
export function db() {
  database = database || openDB(DB, 3, {
    upgrade(upgrade, oldVersion) {
      if (oldVersion < 1) upgrade.createObjectStore(STORE, { keyPath: 'task' });
      if (oldVersion < 2) upgrade.createObjectStore(OUTBOX, { keyPath: 'key' });
      if (oldVersion < 3) upgrade.createObjectStore(PHOTOS, { keyPath: 'key' });
    },
  });
  return database;
}

// The form as {fields: {name: [values]}, files: {name: [File]}}; the CSRF token and buttons are left out.
export function snapshot(form) {
  const fields = {};
  const files = {};
  form.querySelectorAll('input, select, textarea').forEach((el) => {
    if (!el.name || el.name === 'csrf_token' || el.closest('template')) return;
    if (el.type === 'file') {
      if (el.files.length) files[el.name] = [...el.files];
      return;
    }
    if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked) {
      fields[el.name] = fields[el.name] || [];
      return;
    }
    (fields[el.name] = fields[el.name] || []).push(el.value);
  });
  return { fields, files };
}

export async function save(task, form) {
  const record = { task, ...snapshot(form), savedAt: new Date().toISOString() };
  await (await db()).put(STORE, record);
  return record;
}

export async function load(task) {
  return (await db()).get(STORE, task);
}

export async function remove(task) {
  return (await db()).delete(STORE, task);
}

export async function all() {
  return (await db()).getAll(STORE);
}

// Rows the record has but the page does not (added findings) are made first, at the same index.
function makeRows(form, names) {
  form.querySelectorAll('fieldset.rows[data-rows]').forEach((set) => {
    const add = set.querySelector('[data-add-row]');
    if (!add) return;
    const prefix = `${set.dataset.rows}.`;
    const wanted = new Set(names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length).split('.')[0]));
    [...wanted].map(Number).sort((a, b) => a - b).forEach((index) => {
      if (form.querySelector(`[name^="${prefix}${index}."]`)) return;
      add.dataset.next = String(index);
      add.click();
      add.dataset.next = String(Math.max(index + 1, Number(add.dataset.next)));
    });
  });
}

function showSignature(input) {
  const box = input.closest('fieldset.signature');
  if (!box || !input.value.startsWith('data:image/')) return;
  let img = box.querySelector('img.signed');
  if (!img) {
    img = document.createElement('img');
    img.className = 'signed';
    box.insertBefore(img, box.querySelector('canvas'));
  }
  img.src = input.value;
}

export function restore(form, record) {
  const names = Object.keys(record.fields).concat(Object.keys(record.files || {}));
  makeRows(form, names);
  Object.entries(record.fields).forEach(([name, values]) => {
    form.querySelectorAll(`[name="${CSS.escape(name)}"]`).forEach((el, i) => {
      if (el.closest('template')) return;
      if (el.type === 'radio' || el.type === 'checkbox') el.checked = values.includes(el.value);
      else if (el.type !== 'file' && values[i] !== undefined) el.value = values[i];
      if (el.type === 'hidden') showSignature(el);
    });
  });
  Object.entries(record.files || {}).forEach(([name, list]) => {
    const input = form.querySelector(`input[type=file][name="${CSS.escape(name)}"]`);
    if (!input || !list.length) return;
    const transfer = new DataTransfer();
    list.forEach((file) => transfer.items.add(file));
    input.files = transfer.files;
  });
}
