// Checking a task form before it is sent: the first item or field at fault is scrolled to, focused
// and named (the server checks again; its errors are shown the same way when the page comes back).
import { raised } from './checklist.js';

function hasValue(field) {
  const inputs = [...field.querySelectorAll('input, select, textarea')];
  return inputs.some((el) => {
    if (el.type === 'radio' || el.type === 'checkbox') return el.checked;
    if (el.type === 'file') return el.files && el.files.length > 0;
    return el.value.trim() !== '';
  });
}

// A row nobody wrote in is left out by the server too.
function blankRow(row) {
  return !!row && !row.closest('.check-item') && !hasValue(row);
}

function where(el, messages) {
  const item = el.closest('.check-item');
  const row = el.closest('.row-item');
  const parts = [];
  if (item) parts.push(messages.item.replace('%s', item.dataset.label.trim()));
  if (row && !item) {
    const head = row.querySelector('.row-head');
    const set = row.closest('fieldset.rows');
    const legend = set && set.querySelector('legend');
    parts.push(`${legend ? legend.textContent.trim() : ''} ${head ? head.firstChild.nodeValue.trim() : ''}`.trim());
  } else if (row && item) {
    parts.push(messages.finding);
  }
  if (el.dataset.label && !el.classList.contains('check-item')) parts.push(el.dataset.label);
  return parts.join(' · ');
}

// What a failed item still lacks to become its hazard file or to say why it is not one (as the server checks).
function disposed(item, photos, messages) {
  const named = (key) => item.querySelector(`[name="${item.dataset.prefix}${key}"]`);
  if (!named('disposition')) return null;
  const chosen = item.querySelector(`[name="${item.dataset.prefix}disposition"]:checked`);
  if (!chosen) return messages.failNeedsDisposition;
  if (!(photos && hasValue(photos))) return messages.failNeedsPhoto;
  if (chosen.value === 'hazard' && named('item_code') && !named('item_code').value) return messages.failNeedsItem;
  if (chosen.value === 'not_hazard' && !(named('reason') && named('reason').value.trim())) return messages.failNeedsReason;
  if (chosen.value === 'hazard' && raised(item) && !(named('severity_reason') && named('severity_reason').value.trim())) {
    return messages.failNeedsSeverityReason;
  }
  return null;
}

function problems(form, messages) {
  const found = [];
  form.querySelectorAll('.check-item, .field[data-required]').forEach((el) => {
    if (el.closest('template') || blankRow(el.closest('.row-item'))) return;
    if (el.classList.contains('check-item')) {
      const value = (el.querySelector('.answer input:checked') || {}).value;
      if (!value) { found.push([el, messages.unanswered]); return; }
      if (value === 'fail') {
        const note = el.querySelector(`[name="${el.dataset.prefix}note"]`);
        const photos = el.querySelector(`[data-field="${el.dataset.prefix}photos"]`);
        if (!(note && note.value.trim()) && !(photos && hasValue(photos))) found.push([el, messages.failNeedsNote]);
        else {
          const why = disposed(el, photos, messages);
          if (why) found.push([el, why]);
        }
      }
      return;
    }
    if (!hasValue(el)) found.push([el, messages.required]);
  });
  return found;
}

export function showProblem(form, el, text) {
  let banner = document.getElementById('form-problem');
  if (!banner) {
    banner = document.createElement('p');
    banner.id = 'form-problem';
    banner.className = 'flash flash-error';
    banner.setAttribute('role', 'alert');
    form.appendChild(banner);
  }
  banner.textContent = text;
  const section = el.closest('details');
  if (section) section.open = true;
  el.classList.add('has-error');
  el.scrollIntoView({ block: 'center' });
  const focusable = el.querySelector('input:not([type=hidden]), select, textarea, canvas');
  if (focusable) focusable.focus({ preventScroll: true });
}

export function setupValidation(form, messages) {
  form.addEventListener('submit', (event) => {
    if (event.submitter && event.submitter.value === 'draft') return;
    const found = problems(form, messages);
    if (!found.length) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const [el, why] = found[0];
    const more = found.length > 1 ? messages.more.replace('%s', String(found.length - 1)) : '';
    showProblem(form, el, `${messages.first}${where(el, messages)}：${why}${more}`);
  });
  // the server's answer: jump to the first field it marked
  const marked = form.querySelector('.check-item.has-error, .field.has-error');
  if (marked) {
    const error = marked.querySelector('.field-error');
    showProblem(form, marked, `${messages.first}${where(marked, messages)}：${error ? error.textContent.trim() : ''}`);
  }
}
