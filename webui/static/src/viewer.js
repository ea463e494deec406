/* Read-only diagrams: a model version, a diff (added/removed/changed), one instance (completed,
 * active or waiting, error; click an element for its data and history; call activities open the
 * called diagram), and the heatmap of a version (waiting now, median time spent).
 * Each <div class="diagram-view"> says what to show in data-* attributes.
 */
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import DmnViewer from 'dmn-js/lib/Viewer';
import { getJson, getText, setStatus } from './common.js';
import { translateWith, zhTranslations } from './i18n-zh.js';
import { touchTable } from './dmn-labels.js';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn-embedded.css';
import './gridsafe.css';

// the page's language (base.html sets <html lang>): Chinese unless the user chose English
const modules = document.documentElement.lang.startsWith('en') ? [] : [translateWith(zhTranslations)];

function json(node, name) {
  const raw = node.dataset[name];
  return raw ? JSON.parse(raw) : null;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '';
  if (seconds >= 86400) return `${(seconds / 86400).toFixed(1)}d`;
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)}h`;
  return `${Math.round(seconds / 60)}m`;
}

async function showDmn(node, xml) {
  const views = { additionalModules: modules };        // dmn-js takes modules per view, not in `common`
  const viewer = new DmnViewer({ container: node.querySelector('.diagram-canvas'), drd: views, decisionTable: views,
    literalExpression: views, boxedExpression: views });
  touchTable(node.querySelector('.diagram-canvas'), json(node, 'valueLabels') || {}, modules.length ? zhTranslations : null);
  await viewer.importXML(xml);
  const table = viewer.getViews().find((v) => v.type === 'decisionTable');
  if (table) await viewer.open(table);
  return viewer;
}

function mark(viewer, markers, prefix = 'gs-') {
  const registry = viewer.get('elementRegistry');
  const canvas = viewer.get('canvas');
  for (const [id, kind] of Object.entries(markers || {})) {
    if (registry.get(id)) canvas.addMarker(id, prefix + kind);
  }
}

/* Waiting counts of elements inside collapsed subprocesses, added up onto the subprocess shape. */
function withSubprocessTotals(registry, cells) {
  const totals = { ...cells };
  for (const [id, cell] of Object.entries(cells)) {
    let element = registry.get(id);
    while (element && cell.waiting) {
      let root = element;
      while (root.parent) root = root.parent;
      const holder = root.businessObject && registry.get(root.businessObject.id);
      if (!holder || holder === element || holder.type === 'label' || !holder.parent) break;
      const sum = totals[holder.id] || { waiting: 0, errors: 0, median_seconds: null };
      totals[holder.id] = { ...sum, waiting: sum.waiting + cell.waiting };
      element = holder;
    }
  }
  return totals;
}

function heat(viewer, rawCells, labels) {
  const registry = viewer.get('elementRegistry');
  const overlays = viewer.get('overlays');
  const canvas = viewer.get('canvas');
  const cells = withSubprocessTotals(registry, rawCells);
  const most = Math.max(1, ...Object.values(cells).map((c) => c.waiting));
  for (const [id, cell] of Object.entries(cells)) {
    if (!registry.get(id)) continue;
    if (cell.waiting) {
      canvas.addMarker(id, `gs-heat-${Math.min(4, Math.ceil((cell.waiting / most) * 4))}`);
      overlays.add(id, 'gs-heat', { position: { top: -10, left: -10 },
        html: `<span class="gs-badge gs-badge-heat" title="${labels.waiting}">${cell.waiting}</span>` });
    }
    if (cell.median_seconds !== null) {
      overlays.add(id, 'gs-heat', { position: { bottom: 4, right: 4 },
        html: `<span class="gs-badge gs-badge-time" title="${labels.median}">${duration(cell.median_seconds)}</span>` });
    }
    if (cell.errors) {
      canvas.addMarker(id, 'gs-error');
    }
  }
}

function elementId(element) {
  const target = element.type === 'label' ? element.labelTarget : element;
  return target && target.businessObject && !/^bpmn:(Process|Collaboration)$/.test(target.type) ? target.id : null;
}

class InstanceView {
  constructor(node, viewer) {
    this.node = node;
    this.viewer = viewer;
    this.trail = [];
    this.detail = document.querySelector(node.dataset.detailTarget || '#element-detail');
    viewer.on('element.click', (event) => this.clicked(event.element));
    const back = node.querySelector('.diagram-back');
    if (back) back.addEventListener('click', () => this.back());
  }

  async start() {
    this.info = await getJson(this.node.dataset.instanceUrl);
    await this.show(this.info.root);
  }

  async show(versionId) {
    const diagram = this.info.diagrams[versionId];
    const xml = await getText(this.node.dataset.sourceTemplate.replace('__id__', versionId));
    await this.viewer.importXML(xml);
    this.viewer.get('canvas').zoom('fit-viewport');
    mark(this.viewer, diagram.markers);
    const registry = this.viewer.get('elementRegistry');
    registry.forEach((el) => { if (elementId(el)) this.viewer.get('canvas').addMarker(el, 'gs-clickable'); });
    this.current = versionId;
    const title = this.node.querySelector('.diagram-title');
    if (title) title.textContent = `${diagram.name} v${diagram.version}`;
    const back = this.node.querySelector('.diagram-back');
    if (back) back.hidden = this.trail.length === 0;
    setStatus(this.node, 'shown', '');
  }

  async back() {
    if (this.trail.length) await this.show(this.trail.pop());
  }

  async clicked(element) {
    const id = elementId(element);
    if (!id) return;
    const called = this.info.calls[id];
    if (called && called !== this.current) {
      this.trail.push(this.current);
      await this.show(called);
      return;
    }
    if (!this.detail) return;
    const html = await getText(this.node.dataset.elementTemplate.replace('__element__', encodeURIComponent(id)));
    this.detail.innerHTML = html;
    this.detail.dataset.element = id;
  }
}

async function showOne(node) {
  const kind = node.dataset.kind || 'bpmn';
  try {
    if (node.dataset.instanceUrl) {
      const viewer = new NavigatedViewer({ container: node.querySelector('.diagram-canvas'), additionalModules: modules });
      node.gridsafeViewer = viewer;
      await new InstanceView(node, viewer).start();
      return;
    }
    const xml = await getText(node.dataset.sourceUrl);
    if (kind === 'dmn') {
      node.gridsafeViewer = await showDmn(node, xml);
    } else {
      const viewer = new NavigatedViewer({ container: node.querySelector('.diagram-canvas'), additionalModules: modules });
      node.gridsafeViewer = viewer;
      await viewer.importXML(xml);
      viewer.get('canvas').zoom('fit-viewport');
      mark(viewer, json(node, 'markers'));
      const cells = json(node, 'heat');
      if (cells) heat(viewer, cells, json(node, 'labels') || {});
    }
    setStatus(node, 'shown', '');
  } catch (err) {
    setStatus(node, 'error', err.message);
  }
}

function start() {
  document.querySelectorAll('.diagram-view').forEach(showOne);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
