/* The editor page: bpmn-js modeler with GridSafe's properties panel (or dmn-js for decision tables),
 * save as draft, validate (problems marked on their elements), deploy, upload and download.
 * The page passes its settings in <script id="modeler-config" type="application/json">.
 */
import BpmnModeler from 'bpmn-js/lib/Modeler';
import DmnModeler from 'dmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import spiffworkflow from './spiffworkflow.json';
import GridSafeProperties from './properties.js';
import { post, setStatus } from './common.js';
import { translateWith, zhTranslations } from './i18n-zh.js';
import { touchTable } from './dmn-labels.js';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn-embedded.css';
import './gridsafe.css';

// bpmn-js, its properties panel and dmn-js ask their `translate` service for every string (i18n-zh.js).
function chinese(config) { return String(config.locale || 'zh').startsWith('zh'); }
function translation(config) { return chinese(config) ? [translateWith(zhTranslations)] : []; }

class Editor {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.lockVersion = config.lock_version;
    this.dirty = false;
    this.problemOverlays = [];
    const canvas = root.querySelector('.modeler-canvas');
    if (config.kind === 'dmn') {
      // diagram-js 15 binds the keyboard to the canvas itself; a `keyboard.bindTo` setting is an error
      // dmn-js replaces `common.additionalModules` with each view's own list: the translation goes to each view
      const views = { additionalModules: translation(config) };
      this.modeler = new DmnModeler({ container: canvas, drd: views, decisionTable: views, literalExpression: views,
        boxedExpression: views });
      touchTable(canvas, config.valueLabels || {}, chinese(config) ? zhTranslations : null);
    } else {
      this.modeler = new BpmnModeler({
        container: canvas,
        propertiesPanel: {
          parent: root.querySelector('.modeler-properties'),
          layout: { groups: { general: { open: true }, gridsafe: { open: true }, timer: { open: true },
            message: { open: true } } },
        },
        additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, GridSafeProperties,
          ...translation(config)],
        moddleExtensions: { spiffworkflow },
      });
      this.modeler.on('commandStack.changed', () => this.markDirty());
    }
  }

  text(key) { return (this.config.messages || {})[key] || key; }

  markDirty() {
    this.dirty = true;
    setStatus(this.root, 'dirty', this.text('dirty'));
  }

  async open(xml) {
    try {
      await this.modeler.importXML(xml);
    } catch (err) {
      setStatus(this.root, 'error', `${this.text('importFailed')} ${err.message}`);
      return false;
    }
    if (this.config.kind === 'dmn') {
      const table = this.modeler.getViews().find((v) => v.type === 'decisionTable');
      if (table) await this.modeler.open(table);
      const viewer = this.modeler.getActiveViewer();
      if (viewer) viewer.on('elements.changed', () => this.markDirty());
    } else {
      await new Promise((resolve) => requestAnimationFrame(resolve));     // once the layout has its size
      this.fit();
    }
    return true;
  }

  // The whole diagram, as large as fits right of the palette and centred in the height
  // (canvas.zoom('fit-viewport') alone puts a wide process at the top, under the palette).
  fit() {
    const canvas = this.modeler.get('canvas');
    canvas.resized();
    canvas.zoom('fit-viewport', 'auto');
    const { inner, outer } = canvas.viewbox();
    if (!inner.width || !inner.height) return;
    const container = canvas.getContainer().getBoundingClientRect();
    const palette = this.root.querySelector('.djs-palette');
    const left = (palette ? palette.getBoundingClientRect().right - container.left : 0) + 24;
    const pad = 24;
    const scale = Math.min((outer.width - left - pad) / inner.width, (outer.height - 2 * pad) / inner.height, 1);
    const width = outer.width / scale;
    const height = outer.height / scale;
    const x = inner.x - left / scale - ((outer.width - left - pad) / scale - inner.width) / 2;
    canvas.viewbox({ x, y: inner.y - (height - inner.height) / 2, width, height });
  }

  async xml() {
    const { xml } = await this.modeler.saveXML({ format: true });
    return xml;
  }

  async saveDraft() {
    const { status, json } = await post(this.config.urls.draft,
      { source: await this.xml(), lock_version: this.lockVersion });
    if (status === 200) {
      this.lockVersion = json.lock_version;
      this.dirty = false;
      setStatus(this.root, 'saved', this.text('saved'));
    } else {
      setStatus(this.root, status === 409 ? 'conflict' : 'error', json.detail || json.error || this.text('error'));
    }
  }

  async validate() {
    const { status, json } = await post(this.config.urls.validate, { source: await this.xml() });
    if (status !== 200) { setStatus(this.root, 'error', json.detail || this.text('error')); return; }
    this.showProblems(json.problems);
    const errors = json.problems.filter((p) => !p.warning);
    setStatus(this.root, errors.length ? 'invalid' : 'valid',
      errors.length ? this.text('invalid').replace('%(count)s', errors.length) : this.text('valid'));
  }

  async deploy() {
    const comment = this.root.querySelector('[name=comment]');
    const button = this.root.querySelector('[data-action=deploy]');
    if (button) button.disabled = true;        // one deploy per click: a second click waits for the answer
    setStatus(this.root, 'deploying', this.text('deploying'));
    let status;
    let json;
    try {
      ({ status, json } = await post(this.config.urls.deploy,
        { source: await this.xml(), comment: comment ? comment.value : '', lock_version: this.lockVersion }));
    } finally {
      if (button) button.disabled = false;
    }
    this.showProblems(json.problems || []);
    if (json.status === 'deployed' || json.status === 'unchanged') {
      this.dirty = false;
      this.lockVersion = null;
      const text = this.text(json.status).replace('%(version)s', json.version);
      setStatus(this.root, json.status, text);
      const link = this.root.querySelector('.deployed-link');
      if (link && json.url) { link.href = json.url; link.hidden = false; }
      const version = this.root.querySelector('.editor-version');
      if (version) version.textContent = this.text('asDeployed').replace('{version}', json.version);
    } else if (json.status === 'invalid') {
      setStatus(this.root, 'invalid', this.text('notDeployed').replace('%(count)s',
        json.problems.filter((p) => !p.warning).length));
    } else {
      setStatus(this.root, status === 409 ? 'conflict' : 'error', json.detail || this.text('error'));
    }
  }

  async download() {
    const blob = new Blob([await this.xml()], { type: 'application/xml' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${this.config.name}.${this.config.kind}`;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  async upload(file) {
    const text = await file.text();
    if (await this.open(text)) this.markDirty();
  }

  showProblems(problems) {
    const list = this.root.querySelector('.problems');
    list.innerHTML = '';
    const registry = this.config.kind === 'bpmn' ? this.modeler.get('elementRegistry') : null;
    if (registry) {
      const canvas = this.modeler.get('canvas');
      const overlays = this.modeler.get('overlays');
      registry.forEach((el) => canvas.removeMarker(el, 'gs-problem'));
      this.problemOverlays.forEach((id) => overlays.remove(id));
      this.problemOverlays = [];
    }
    for (const problem of problems) {
      const item = document.createElement('li');
      item.className = problem.warning ? 'problem warning' : 'problem';
      item.dataset.element = problem.element_id || '';
      item.textContent = `${problem.warning ? `${this.text('warning')}: ` : ''}${problem.element_id ? `[${problem.element_id}] ` : ''}${problem.line ? `${this.text('line').replace('{line}', problem.line)}: ` : ''}${problem.message}`;
      list.appendChild(item);
      const element = registry && problem.element_id && registry.get(problem.element_id);
      if (!element) continue;
      this.modeler.get('canvas').addMarker(element, 'gs-problem');
      this.problemOverlays.push(this.modeler.get('overlays').add(element, 'gs-problem',
        { position: { top: -10, right: 10 }, html: '<span class="gs-badge gs-badge-problem">!</span>' }));
      item.addEventListener('click', () => {
        this.modeler.get('selection').select(element);
        this.modeler.get('canvas').scrollToElement(element);
      });
    }
  }
}

function start() {
  const root = document.getElementById('modeler');
  const source = document.getElementById('modeler-config');
  if (!root || !source) return;
  const config = JSON.parse(source.textContent);
  window.GRIDSAFE_MODELER = config;
  const editor = new Editor(root, config);
  window.gridsafeEditor = editor;
  const on = (selector, handler) => {
    const node = root.querySelector(selector);
    if (node) node.addEventListener('click', (event) => { event.preventDefault(); handler(); });
  };
  on('[data-action=save]', () => editor.saveDraft());
  on('[data-action=validate]', () => editor.validate());
  on('[data-action=deploy]', () => editor.deploy());
  on('[data-action=download]', () => editor.download());
  const upload = root.querySelector('input[type=file][name=diagram]');
  if (upload) upload.addEventListener('change', () => upload.files[0] && editor.upload(upload.files[0]));
  window.addEventListener('beforeunload', (event) => { if (editor.dirty) event.preventDefault(); });
  editor.open(config.source).then((ok) => ok && setStatus(root, 'ready', editor.text('ready')));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
