// The one-tap checklist: progress, 其余合格, sections, and a finding opened inline when an item fails.

const FAIL = 'fail';

function checkedValue(item) {
  const radio = item.querySelector('.answer input[type=radio]:checked');
  return radio ? radio.value : null;
}

export function updateProgress(box) {
  const items = [...box.querySelectorAll('.check-item')];
  const done = items.filter(checkedValue).length;
  const counter = box.querySelector('[data-done]');
  if (counter) counter.textContent = String(done);
  box.querySelectorAll('.checklist-section').forEach((section) => {
    const mine = [...section.querySelectorAll('.check-item')];
    const answered = mine.filter(checkedValue).length;
    const badge = section.querySelector('[data-section-count]');
    if (badge) badge.textContent = `${answered}/${mine.length}`;
    section.classList.toggle('complete', answered === mine.length);
  });
  items.forEach((item) => {
    const value = checkedValue(item);
    item.dataset.result = value || '';
  });
}

function findingsFieldset(form) {
  return form.querySelector('fieldset.rows[data-rows=findings]');
}

function setValue(row, suffix, value) {
  const el = row.querySelector(`[name$=".${suffix}"]`);
  if (el && !el.value && value) el.value = value;
}

// A findings row for this item: made from the form's row template, prefilled, placed under the item.
function openFinding(form, item, messages) {
  const slot = item.querySelector('[data-finding-slot]');
  if (!slot || slot.querySelector('.row-item')) return;
  const fieldset = findingsFieldset(form);
  const add = fieldset && fieldset.querySelector('[data-add-row]');
  if (!add) return;
  add.click();
  const rows = fieldset.querySelectorAll('.row-list .row-item');
  const row = rows[rows.length - 1];
  const text = item.querySelector('.check-text').textContent.replace(/\s+/g, ' ').trim();
  const select = row.querySelector('select[name$=".item_code"]');
  if (select && item.dataset.hazard && [...select.options].some((o) => o.value === item.dataset.hazard)) {
    select.value = item.dataset.hazard;
  }
  setValue(row, 'description', `${messages.failedPrefix}${text}`);
  const note = item.querySelector(`[name="${item.dataset.prefix}note"]`);
  if (note && !note.value) note.value = `${messages.failedPrefix}${text}`;
  slot.appendChild(row);
  const location = row.querySelector('[name$=".location"]');
  if (location) location.focus({ preventScroll: true });
  form.dispatchEvent(new CustomEvent('taskform:changed', { bubbles: true }));
}

function closeFinding(form, item) {
  const row = item.querySelector('[data-finding-slot] .row-item');
  if (row) {
    row.remove();
    form.dispatchEvent(new CustomEvent('taskform:changed', { bubbles: true }));
  }
}

// Findings rows already in the form (a draft, a restored record) go under the failed item they belong to.
function attachFindings(form, box) {
  const fieldset = findingsFieldset(form);
  if (!fieldset) return;
  const loose = [...fieldset.querySelectorAll('.row-list .row-item')];
  box.querySelectorAll('.check-item').forEach((item) => {
    if (checkedValue(item) !== FAIL || !item.dataset.hazard) return;
    const slot = item.querySelector('[data-finding-slot]');
    if (!slot || slot.querySelector('.row-item')) return;
    const index = loose.findIndex((row) => {
      const code = row.querySelector('select[name$=".item_code"]');
      return code && code.value === item.dataset.hazard;
    });
    if (index >= 0) slot.appendChild(loose.splice(index, 1)[0]);
  });
}

export function setupChecklist(form, messages) {
  const box = form.querySelector('fieldset.checklist');
  if (!box) return;
  attachFindings(form, box);
  updateProgress(box);
  box.addEventListener('change', (event) => {
    const radio = event.target.closest('.answer input[type=radio]');
    if (!radio) return;
    const item = radio.closest('.check-item');
    item.classList.remove('has-error');
    if (radio.value === FAIL) openFinding(form, item, messages);
    else closeFinding(form, item);
    updateProgress(box);
  });
  const rest = box.querySelector('[data-rest-pass]');
  if (rest) {
    rest.addEventListener('click', () => {
      box.querySelectorAll('.check-item').forEach((item) => {
        if (checkedValue(item)) return;
        const pass = item.querySelector('.answer input[value=pass]');
        if (pass) pass.checked = true;
      });
      updateProgress(box);
      form.dispatchEvent(new CustomEvent('taskform:changed', { bubbles: true }));
    });
  }
}
