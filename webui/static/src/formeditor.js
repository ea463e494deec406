// The form editor: a user task's JSON Schema and UI schema in two CodeMirror JSON editors. Syntax errors are
// marked as you type; the server checks the schema and the UI schema (the same checker that refuses a deploy)
// and renders the preview with the task pages' own templates.
import { EditorState, StateEffect } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, syntaxHighlighting, defaultHighlightStyle } from '@codemirror/language';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { linter, lintGutter } from '@codemirror/lint';
import { post, setStatus } from './common.js';

const root = document.getElementById('form-editor');
const config = JSON.parse(document.getElementById('form-editor-config').textContent);
const serverProblems = { schema: [], ui: [] };
const editors = {};

const serverChecked = StateEffect.define();

// One lint source per editor: JSON syntax as you type, then what the server found at its last check.
function jsonLinter(part) {
  const syntax = jsonParseLinter();
  return linter((view) => [...syntax(view), ...serverProblems[part].map((p) => {
    const line = p.line && p.line <= view.state.doc.lines ? view.state.doc.line(p.line) : view.state.doc.line(1);
    return { from: line.from, to: Math.max(line.to, line.from + 1 <= view.state.doc.length ? line.from + 1 : line.to),
             severity: 'error', message: p.message };
  })], {
    delay: 300,
    needsRefresh: (update) => update.transactions.some((tr) => tr.effects.some((e) => e.is(serverChecked))),
  });
}

function makeEditor(part) {
  const parent = root.querySelector(`.json-editor[data-part="${part}"]`);
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: config[part],
      extensions: [
        lineNumbers(), highlightActiveLine(), history(), bracketMatching(), json(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        keymap.of([...defaultKeymap, ...historyKeymap]),
        jsonLinter(part), lintGutter(),
        EditorView.updateListener.of((update) => { if (update.docChanged) schedulePreview(); }),
      ],
    }),
  });
  view.contentDOM.setAttribute('aria-label', part === 'schema' ? 'JSON Schema' : 'UI schema');
  return view;
}

function texts() {
  return { schema: editors.schema.state.doc.toString(), ui: editors.ui.state.doc.toString() };
}

function showProblems(problems) {
  const list = root.querySelector('.problems');
  list.replaceChildren(...problems.map((p) => {
    const item = document.createElement('li');
    item.dataset.part = p.part;
    item.textContent = `${p.part === 'ui' ? 'UI schema' : 'JSON Schema'}${p.line ? ` (${p.line})` : ''}: ${p.message}`;
    return item;
  }));
  serverProblems.schema = problems.filter((p) => p.part === 'schema');
  serverProblems.ui = problems.filter((p) => p.part === 'ui');
  editors.schema.dispatch({ effects: serverChecked.of(null) });
  editors.ui.dispatch({ effects: serverChecked.of(null) });
}

async function preview() {
  const { status, json: answer } = await post(config.urls.preview, texts());
  if (status !== 200) {
    setStatus(root, 'error', `${config.messages.error} (${status})`);
    return;
  }
  showProblems(answer.problems || []);
  const target = root.querySelector('.form-editor-preview');
  if (answer.problems && answer.problems.length) {
    setStatus(root, 'invalid', `${config.messages.problems} ${answer.problems.length}`);
    target.classList.add('stale');
    return;
  }
  target.classList.remove('stale');
  target.innerHTML = answer.html;            // rendered by the server's task-form templates
  setStatus(root, 'valid', config.messages.valid);
}

let timer = null;
function schedulePreview() {
  clearTimeout(timer);
  timer = setTimeout(preview, 600);
}

async function deploy() {
  const button = root.querySelector('[data-action=deploy]');
  const comment = root.querySelector('input[name=comment]').value;
  button.disabled = true;                    // one deploy per click: a second click waits for the answer
  setStatus(root, 'deploying', config.messages.deploying);
  let status;
  let answer;
  try {
    ({ status, json: answer } = await post(config.urls.deploy, { ...texts(), comment }));
  } finally {
    button.disabled = false;
  }
  if (status === 422) {
    setStatus(root, 'invalid', answer.detail);
    return;
  }
  if (status !== 200) {
    setStatus(root, 'error', `${config.messages.error} (${status})`);
    return;
  }
  if (answer.status === 'unchanged') {
    setStatus(root, 'valid', config.messages.unchanged);
    return;
  }
  const schemaVersion = Object.values(answer.versions)[0];
  const models = (answer.models || []).map((m) => `${m.name}: ${m.status}${m.version ? ` v${m.version}` : ''}`);
  setStatus(root, 'deployed', [config.messages.deployed.replace('{version}', schemaVersion), ...models].join(' · '));
}

editors.schema = makeEditor('schema');
editors.ui = makeEditor('ui');
root.querySelector('[data-action=preview]').addEventListener('click', preview);
root.querySelector('[data-action=deploy]').addEventListener('click', deploy);
preview();
