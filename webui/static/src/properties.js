/* GridSafe's properties panel entries: what the engine reads from a diagram (README "Diagram conventions").
 *
 * Service task: operator from the handler table, one expression per handler parameter, result variable.
 * User task: form and UI schema from forms/, candidate team, assignee, due date, prefilled data,
 * instructions, variable name. Lane: its name is the role. Business rule task: the DMN decision.
 * Call activity: the called process. Message catch: the variable that receives the payload.
 * Sequence flow out of a gateway: its condition. Timers and messages come from bpmn-js's own groups.
 */
import { h } from '@bpmn-io/properties-panel/preact';
import { Group, SelectEntry, TextAreaEntry, TextFieldEntry, isSelectEntryEdited, isTextAreaEntryEdited,
  isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';

const PROPERTY_EXPRESSIONS = ['candidateTeam', 'assignee', 'dueDate', 'formData'];

function config() { return window.GRIDSAFE_MODELER || { catalog: {}, labels: {} }; }
function label(key, fallback) { return (config().labels || {})[key] || fallback; }
function catalog() { return config().catalog || {}; }

/* ---- reading and writing spiffworkflow extension elements ---------------------------------- */

function extensionsOf(bo, type) {
  const ext = bo.get('extensionElements');
  return ext ? ext.get('values').filter((v) => is(v, type)) : [];
}

function ensureExtensionElements(element, bo, injector) {
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = injector.get('bpmnFactory').create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    injector.get('modeling').updateModdleProperties(element, bo, { extensionElements: ext });
  }
  return ext;
}

function ensureExtension(element, bo, type, injector, attrs) {
  const found = extensionsOf(bo, type)[0];
  if (found) return found;
  const ext = ensureExtensionElements(element, bo, injector);
  const created = injector.get('moddle').create(type, attrs || {});
  created.$parent = ext;
  injector.get('modeling').updateModdleProperties(element, ext, { values: [...ext.get('values'), created] });
  return created;
}

function removeExtension(element, bo, type, injector) {
  const ext = bo.get('extensionElements');
  if (!ext) return;
  const kept = ext.get('values').filter((v) => !is(v, type));
  injector.get('modeling').updateModdleProperties(element, ext, { values: kept });
}

function bodyOf(bo, type) {
  const found = extensionsOf(bo, type)[0];
  return found ? found.get('value') || '' : '';
}

function setBody(element, bo, type, value, injector) {
  if (!value) { removeExtension(element, bo, type, injector); return; }
  const target = ensureExtension(element, bo, type, injector);
  injector.get('modeling').updateModdleProperties(element, target, { value });
}

function propertyOf(bo, name) {
  const container = extensionsOf(bo, 'spiffworkflow:Properties')[0];
  const prop = container && container.get('properties').find((p) => p.get('name') === name);
  return prop ? prop.get('value') || '' : '';
}

function setProperty(element, bo, name, value, injector) {
  const modeling = injector.get('modeling');
  const container = ensureExtension(element, bo, 'spiffworkflow:Properties', injector);
  const props = container.get('properties');
  const prop = props.find((p) => p.get('name') === name);
  if (!value) {
    if (prop) modeling.updateModdleProperties(element, container, { properties: props.filter((p) => p !== prop) });
    return;
  }
  if (prop) { modeling.updateModdleProperties(element, prop, { value }); return; }
  const created = injector.get('moddle').create('spiffworkflow:Property', { name, value });
  created.$parent = container;
  modeling.updateModdleProperties(element, container, { properties: [...props, created] });
}

/* ---- small entry builders ------------------------------------------------------------------ */

function textEntry(id, text, getValue, setValue, options = {}) {
  return {
    id,
    isEdited: options.area ? isTextAreaEntryEdited : isTextFieldEntryEdited,
    component: (props) => {
      const debounce = useService('debounceInput');
      const Entry = options.area ? TextAreaEntry : TextFieldEntry;
      return h(Entry, { element: props.element, id, label: text, description: options.description,
        getValue: () => getValue(), setValue: (value) => setValue(value), debounce, rows: options.rows || 4 });
    },
  };
}

function selectEntry(id, text, getValue, setValue, choices, options = {}) {
  return {
    id,
    isEdited: isSelectEntryEdited,
    component: (props) => h(SelectEntry, { element: props.element, id, label: text,
      description: options.description, getValue: () => getValue(), setValue: (value) => setValue(value),
      getOptions: () => {
        const current = getValue();
        const list = [{ value: '', label: '—' }, ...choices];
        if (current && !list.some((c) => c.value === current)) {
          list.push({ value: current, label: `${current} (${label('unknown', 'unknown')})` });
        }
        return list;
      } }),
  };
}

/* ---- service tasks ------------------------------------------------------------------------- */

function handlerOf(id) { return (catalog().handlers || []).find((x) => x.id === id); }

function parameterList(operator) {
  const container = operator && operator.get('parameters');
  return container ? container.get('parameters') : [];
}

function setOperator(element, bo, operatorId, injector) {
  const modeling = injector.get('modeling');
  const moddle = injector.get('moddle');
  if (!operatorId) { removeExtension(element, bo, 'spiffworkflow:ServiceTaskOperator', injector); return; }
  const operator = ensureExtension(element, bo, 'spiffworkflow:ServiceTaskOperator', injector);
  let container = operator.get('parameters');
  if (!container) {
    container = moddle.create('spiffworkflow:Parameters', { parameters: [] });
    container.$parent = operator;
  }
  const existing = Object.fromEntries(parameterList(operator).map((p) => [p.get('id'), p]));
  const handler = handlerOf(operatorId);
  const wanted = handler ? handler.params : [];
  const params = wanted.map((param) => {
    const kept = existing[param.name];
    if (kept) return kept;
    const created = moddle.create('spiffworkflow:Parameter', { id: param.name, type: 'any',
      value: param.required ? '' : (param.default || 'None') });
    created.$parent = container;
    return created;
  });
  if (handler && handler.any_params) {
    params.push(...Object.values(existing).filter((p) => !wanted.some((w) => w.name === p.get('id'))));
  }
  container.set('parameters', params);
  const attrs = { id: operatorId, parameters: container };
  if (!operator.get('resultVariable')) attrs.resultVariable = operatorId.split('.').pop() + '_result';
  modeling.updateModdleProperties(element, operator, attrs);
}

function setParameter(element, operator, name, value, injector) {
  const param = parameterList(operator).find((p) => p.get('id') === name);
  if (param) injector.get('modeling').updateModdleProperties(element, param, { value });
}

function serviceEntries(element, injector) {
  const bo = getBusinessObject(element);
  const operator = extensionsOf(bo, 'spiffworkflow:ServiceTaskOperator')[0];
  const operatorId = operator ? operator.get('id') : '';
  const choices = (catalog().handlers || []).map((x) => ({ value: x.id, label: x.id }));
  const handler = handlerOf(operatorId);
  const entries = [
    selectEntry('gs-operator', label('operator', 'Operator'), () => operatorId,
      (value) => setOperator(element, bo, value, injector), choices,
      { description: handler ? handler.doc : '' }),
  ];
  if (!operator) return entries;
  entries.push(textEntry('gs-result', label('result', 'Result variable'),
    () => operator.get('resultVariable') || '',
    (value) => injector.get('modeling').updateModdleProperties(element, operator, { resultVariable: value })));
  const documented = Object.fromEntries(((handler && handler.params) || []).map((p) => [p.name, p]));
  for (const param of parameterList(operator)) {
    const name = param.get('id');
    const info = documented[name];
    const text = `${name}${info && info.required ? ' *' : ''}${info ? '' : ` (${label('unknown', 'unknown')})`}`;
    entries.push(textEntry(`gs-param-${name}`, text, () => param.get('value') || '',
      (value) => setParameter(element, operator, name, value, injector),
      { description: info && !info.required ? `${label('default', 'default')}: ${info.default}` : label('expression', '') }));
  }
  return entries;
}

/* ---- user tasks ---------------------------------------------------------------------------- */

function userEntries(element, injector) {
  const bo = getBusinessObject(element);
  const forms = catalog().forms || { schemas: [], ui: [] };
  const form = propertyOf(bo, 'formJsonSchemaFilename');
  const preview = form && config().previewUrl
    ? h('a', { href: config().previewUrl.replace('__form__', encodeURIComponent(form)), target: '_blank',
      class: 'gs-preview' }, label('preview', 'Preview the form')) : null;
  const entries = [
    selectEntry('gs-form', label('form', 'Form'), () => form,
      (value) => setProperty(element, bo, 'formJsonSchemaFilename', value, injector),
      forms.schemas.map((f) => ({ value: f, label: f })), { description: preview }),
    selectEntry('gs-ui-form', label('uiForm', 'Form layout'), () => propertyOf(bo, 'formUiSchemaFilename'),
      (value) => setProperty(element, bo, 'formUiSchemaFilename', value, injector),
      forms.ui.map((f) => ({ value: f, label: f }))),
  ];
  for (const name of PROPERTY_EXPRESSIONS) {
    entries.push(textEntry(`gs-prop-${name}`, label(name, name), () => propertyOf(bo, name),
      (value) => setProperty(element, bo, name, value, injector), { description: label('expression', '') }));
  }
  entries.push(textEntry('gs-instructions', label('instructions', 'Instructions'),
    () => bodyOf(bo, 'spiffworkflow:InstructionsForEndUser'),
    (value) => setBody(element, bo, 'spiffworkflow:InstructionsForEndUser', value, injector), { area: true, rows: 6 }));
  entries.push(textEntry('gs-variable', label('variableName', 'Store the form under'),
    () => bodyOf(bo, 'spiffworkflow:VariableName'),
    (value) => setBody(element, bo, 'spiffworkflow:VariableName', value, injector)));
  return entries;
}

/* ---- lanes, decisions, call activities, messages, conditions ------------------------------ */

function laneEntries(element, injector) {
  const roles = (catalog().roles || []).map((r) => ({ value: r.id, label: `${r.label} (${r.id})` }));
  return [selectEntry('gs-role', label('role', 'Role'), () => getBusinessObject(element).get('name') || '',
    (value) => injector.get('modeling').updateProperties(element, { name: value }), roles)];
}

function decisionEntries(element, injector) {
  const bo = getBusinessObject(element);
  return [selectEntry('gs-decision', label('decision', 'Decision table'),
    () => bodyOf(bo, 'spiffworkflow:CalledDecisionId'),
    (value) => setBody(element, bo, 'spiffworkflow:CalledDecisionId', value, injector),
    (catalog().decisions || []).map((d) => ({ value: d, label: d })))];
}

function callEntries(element, injector) {
  const bo = getBusinessObject(element);
  return [selectEntry('gs-called', label('calledProcess', 'Called process'), () => bo.get('calledElement') || '',
    (value) => injector.get('modeling').updateProperties(element, { calledElement: value }),
    (catalog().processes || []).map((p) => ({ value: p, label: p })))];
}

function messageTarget(element) {
  const bo = getBusinessObject(element);
  if (is(bo, 'bpmn:ReceiveTask')) return bo;
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:MessageEventDefinition'));
}

function messageEntries(element, injector) {
  const target = messageTarget(element);
  if (!target) return [];
  return [textEntry('gs-message-variable', label('messageVariable', 'Store the message payload under'),
    () => bodyOf(target, 'spiffworkflow:MessageVariable'),
    (value) => setBody(element, target, 'spiffworkflow:MessageVariable', value, injector))];
}

function conditionEntries(element, injector) {
  const bo = getBusinessObject(element);
  const source = bo.get('sourceRef');
  if (!source || !isAny(source, ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway'])) return [];
  return [textEntry('gs-condition', label('condition', 'Condition'),
    () => (bo.get('conditionExpression') ? bo.get('conditionExpression').get('body') || '' : ''),
    (value) => {
      const expression = value ? injector.get('bpmnFactory').create('bpmn:FormalExpression', { body: value }) : undefined;
      injector.get('modeling').updateProperties(element, { conditionExpression: expression });
    }, { area: true, rows: 2, description: label('expression', '') })];
}

function entriesFor(element, injector) {
  if (is(element, 'bpmn:ServiceTask')) return serviceEntries(element, injector);
  if (is(element, 'bpmn:UserTask')) return userEntries(element, injector);
  if (is(element, 'bpmn:Lane')) return laneEntries(element, injector);
  if (is(element, 'bpmn:BusinessRuleTask')) return decisionEntries(element, injector);
  if (is(element, 'bpmn:CallActivity')) return callEntries(element, injector);
  if (is(element, 'bpmn:SequenceFlow')) return conditionEntries(element, injector);
  if (isAny(element, ['bpmn:ReceiveTask', 'bpmn:Event'])) return messageEntries(element, injector);
  return [];
}

class GridSafePropertiesProvider {
  constructor(propertiesPanel, injector) {
    this._injector = injector;
    propertiesPanel.registerProvider(500, this);
  }

  getGroups(element) {
    return (groups) => {
      const entries = entriesFor(element, this._injector);
      if (entries.length) {
        const group = { id: 'gridsafe', label: label('group', 'GridSafe'), entries, component: Group };
        groups.splice(Math.min(1, groups.length), 0, group);
      }
      return groups;
    };
  }
}
GridSafePropertiesProvider.$inject = ['propertiesPanel', 'injector'];

export default {
  __init__: ['gridsafePropertiesProvider'],
  gridsafePropertiesProvider: ['type', GridSafePropertiesProvider],
};
