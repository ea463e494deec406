// The one-tap checklist: progress, 其余合格, sections, and a failed item's own detail (note, photos, and
// whether it becomes a hazard file or why not) opened inline.

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

function field(item, key) {
  return item.querySelector(`[name="${item.dataset.prefix}${key}"]`);
}

function disposition(item) {
  const radio = item.querySelector(`[name="${item.dataset.prefix}disposition"]:checked`);
  return radio ? radio.value : '';
}

// A failed item becomes its hazard file unless the inspector says otherwise: 建立隐患档案 is chosen when
// nothing is, the note starts with the item's text, and the location is next to type.
function openDetail(form, item, messages) {
  ensureSeverity(item);
  const hazard = item.querySelector(`[name="${item.dataset.prefix}disposition"][value=hazard]`);
  if (hazard && !disposition(item)) hazard.checked = true;
  item.dataset.disposition = disposition(item);
  const text = item.querySelector('.check-text').textContent.replace(/\s+/g, ' ').trim();
  const note = field(item, 'note');
  if (note && !note.value) note.value = `${messages.failedPrefix}${text}`;
  const location = field(item, 'location');
  if (location && item.dataset.disposition === 'hazard') location.focus({ preventScroll: true });
  form.dispatchEvent(new CustomEvent('taskform:changed', { bubbles: true }));
}

const SEVERITIES = ['general', 'significant', 'major'];

// Raised above the dictionary's severity (the lower ones are not offered): the reason is asked for.
export function raised(item) {
  const chosen = item.querySelector(`[name="${item.dataset.prefix}severity"]:checked`);
  return !!(item.dataset.severityFloor && chosen)
    && SEVERITIES.indexOf(chosen.value) > SEVERITIES.indexOf(item.dataset.severityFloor);
}

// The severity choice of a failed item, made from the checklist's template: the dictionary's severity
// chosen, the lower ones not offered.
export function ensureSeverity(item) {
  const floor = item.dataset.severityFloor;
  const template = item.closest('fieldset.checklist').querySelector('template[data-severity-template]');
  if (!floor || !template || item.querySelector('[data-severity-box]')) return;
  const box = template.content.firstElementChild.cloneNode(true);
  const named = (text) => text.replace('.__index__.', `.${item.dataset.item}.`);
  box.querySelectorAll('[name]').forEach((el) => { el.name = named(el.name); });
  box.querySelectorAll('[data-field]').forEach((el) => { el.dataset.field = named(el.dataset.field); });
  box.querySelectorAll('input[type=radio]').forEach((radio) => {
    radio.disabled = SEVERITIES.indexOf(radio.value) < SEVERITIES.indexOf(floor);
    radio.checked = radio.value === floor;
    if (radio.checked) box.querySelector('[data-floor-name]').textContent = radio.parentElement.textContent.trim();
  });
  const detail = item.querySelector('.check-detail');
  detail.insertBefore(box, detail.querySelector('[data-when=not_hazard]'));
}

// Before what this device kept is put back: the severity choices it names are made first.
export function prepareSeverities(form, names) {
  names.forEach((name) => {
    const match = /^(.*\.)severity$/.exec(name);
    const item = match && form.querySelector(`.check-item[data-prefix="${CSS.escape(match[1])}"]`);
    if (item) ensureSeverity(item);
  });
}

function markRaised(item) {
  item.dataset.raised = raised(item) ? '1' : '';
}

export function setupChecklist(form, messages) {
  const box = form.querySelector('fieldset.checklist');
  if (!box) return;
  box.querySelectorAll('.check-item').forEach((item) => { item.dataset.disposition = disposition(item); markRaised(item); });
  updateProgress(box);
  box.addEventListener('change', (event) => {
    const item = event.target.closest('.check-item');
    if (!item) return;
    if (event.target.name === `${item.dataset.prefix}severity`) {
      markRaised(item);
      const reason = field(item, 'severity_reason');
      if (reason && item.dataset.raised) reason.focus({ preventScroll: true });
      return;
    }
    if (event.target.name === `${item.dataset.prefix}disposition`) {
      item.dataset.disposition = disposition(item);
      const next = field(item, item.dataset.disposition === 'not_hazard' ? 'reason' : 'location');
      if (next) next.focus({ preventScroll: true });
      return;
    }
    const radio = event.target.closest('.answer input[type=radio]');
    if (!radio) return;
    item.classList.remove('has-error');
    updateProgress(box);                          // first: the detail shows, so that its field can take focus
    if (radio.value === FAIL) openDetail(form, item, messages);
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
