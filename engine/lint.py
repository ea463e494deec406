"""The checks a diagram passes before it is deployed (and behind `gridsafe bpmn lint`).

SpiffWorkflow's XSD lets misspelled extension elements through, lets operator ids collide with
element ids, and only finds a bad script, a missing handler or an unquoted timer literal when an
instance reaches it (engine-notes.md §2, §4, §5). Each check here names the file, the line and the
element, in words a process owner can act on.
"""
from __future__ import annotations

import ast
import copy
import re
from datetime import datetime, timezone
from typing import Callable, Iterable

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser import VALIDATOR

from .scripting import refusal
from .specs import BPMN_NS, SPIFF_NS, Problem

B = f"{{{BPMN_NS}}}"
S = f"{{{SPIFF_NS}}}"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

# Camunda attributes and extension elements and what says the same in GridSafe (None: nothing does).
CAMUNDA_EQUIVALENTS = {
    "assignee": 'the property assignee (spiffworkflow:property name="assignee", an expression)',
    "candidateGroups": 'the property candidateTeam (an expression giving a team code), or the task\'s lane',
    "candidateUsers": 'the property assignee (one user)',
    "dueDate": 'the property dueDate (an expression giving an ISO 8601 instant)',
    "followUpDate": 'the property dueDate, or a non-interrupting timer boundary event',
    "formKey": 'the property formJsonSchemaFilename (and formUiSchemaFilename)',
    "formField": 'a JSON Schema form named by the property formJsonSchemaFilename',
    "class": "spiffworkflow:serviceTaskOperator naming a handler",
    "delegateExpression": "spiffworkflow:serviceTaskOperator naming a handler",
    "expression": "spiffworkflow:serviceTaskOperator naming a handler, or a script task",
    "resultVariable": "the resultVariable of spiffworkflow:serviceTaskOperator",
    "decisionRef": "spiffworkflow:calledDecisionId",
    "calledElementBinding": None, "asyncBefore": None, "asyncAfter": None, "exclusive": None,
    "inputOutput": "a script task or spiffworkflow:preScript/postScript that sets the variables",
    "executionListener": "spiffworkflow:preScript / spiffworkflow:postScript",
    "taskListener": "spiffworkflow:preScript / spiffworkflow:postScript",
}
C = f"{{{CAMUNDA_NS}}}"

KNOWN_SPIFF_ELEMENTS = frozenset({
    "calledDecisionId", "instructionsForEndUser", "messagePayload", "messageVariable",
    "payloadExpression", "variableName", "preScript", "postScript", "properties", "property",
    "unitTests", "unitTest", "inputJson", "expectedOutputJson", "serviceTaskOperator", "parameters",
    "parameter", "retry", "processVariableCorrelation", "propertyId", "expression",
    "taskMetadataValues", "taskMetadataValue", "category", "scriptsOnInstances",
})

# Task properties whose values are expressions evaluated against task data (see projections.py).
EXPRESSION_PROPERTIES = ("candidateTeam", "dueDate", "assignee", "formData")
FORM_PROPERTY = "formJsonSchemaFilename"
UI_FORM_PROPERTY = "formUiSchemaFilename"

_ISO_LITERAL = re.compile(
    r"^(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)(/.*)?$",
    re.IGNORECASE,
)

SCHEMA_PROBLEM = "does not follow the BPMN/Spiff schema"
FormCheck = Callable[[str], "str | None"]


def _element_of(node):
    """The nearest ancestor-or-self BPMN element with an id (what the owner sees in the modeler)."""
    while node is not None:
        if isinstance(node.tag, str) and node.tag.startswith(B) and node.get("id"):
            return node
        node = node.getparent()
    return None


def _id_of(node) -> str | None:
    element = _element_of(node)
    return element.get("id") if element is not None else None


def _name_of(node) -> str:
    element = _element_of(node)
    if element is None:
        return ""
    return element.get("name") or element.get("id")


class _Report:
    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[Problem] = []

    def add(self, node, message: str, *, warning: bool = False) -> None:
        self.problems.append(Problem(self.filename, getattr(node, "sourceline", None), _id_of(node), message,
                                     warning))


def lint_bpmn(root, filename: str, *, operators: Iterable[str] | None = None,
              check_form: FormCheck | None = None, zone=None) -> list[Problem]:
    """Every problem found in one BPMN document (an lxml root from specs.read_xml), and warnings
    (Problem.warning) for what runs, but perhaps not as the author thought."""
    report = _Report(filename)
    _xsd(root, report)
    _unknown_extensions(root, report)
    _id_collisions(root, report)
    if operators is not None:
        _operators(root, report, set(operators))
    if check_form is not None:
        _forms(root, report, check_form)
    _scripts(root, report)
    _timers(root, report, zone or timezone.utc)
    _camunda(root, report)
    return report.problems


def lint_dmn(root, filename: str) -> list[Problem]:
    """Problems in a DMN table's expressions that would only surface when a row is reached."""
    report = _Report(filename)
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        text = (node.findtext("{*}text") or "").strip() if local in (
            "inputExpression", "inputEntry", "outputEntry") else ""
        if not text or text == "-":
            continue
        if local == "inputEntry":
            if refusal(text.replace("?", "v"), expression=True) and refusal(f"v {text}", expression=True):
                report.add(node, f"the rule cell {text!r} is neither a value nor a comparison such as '>= 4' "
                                 "(cells are Python expressions, not FEEL)")
        else:
            why = refusal(text, expression=True)
            if why:
                report.add(node, f"the expression {text!r} cannot run: {why}")
    return report.problems


def _xsd(root, report: _Report) -> None:
    try:
        VALIDATOR.validate(copy.deepcopy(root), report.filename)
    except ValidationException as err:
        line = err.line_number if isinstance(err.line_number, int) else None
        report.problems.append(Problem(report.filename, line, err.id or None,
                                       f"{SCHEMA_PROBLEM}: {err}"))


def _unknown_extensions(root, report: _Report) -> None:
    for node in root.iter(f"{S}*"):
        local = etree.QName(node).localname
        if local not in KNOWN_SPIFF_ELEMENTS:
            report.add(node, f"unknown extension element spiffworkflow:{local} on '{_name_of(node)}'; "
                             "it would be silently ignored (check the spelling)")


def _id_collisions(root, report: _Report) -> None:
    element_ids = {n.get("id") for n in root.iter(f"{B}*") if n.get("id")}
    for tag in ("serviceTaskOperator", "parameter"):
        for node in root.iter(f"{S}{tag}"):
            ext_id = node.get("id")
            if ext_id in element_ids:
                report.add(node, f"the {tag} id {ext_id!r} is also the id of a diagram element; "
                                 "SpiffWorkflow cannot tell them apart (rename the element or the operator)")


def _operators(root, report: _Report, operators: set[str]) -> None:
    for node in root.iter(f"{S}serviceTaskOperator"):
        name = node.get("id")
        if name not in operators:
            known = ", ".join(sorted(operators)) or "none"
            report.add(node, f"service task '{_name_of(node)}' calls operator {name!r}, which has no handler "
                             f"(known operators: {known})")


def _properties(task) -> dict[str, tuple[str, object]]:
    props = {}
    for prop in task.iter(f"{S}property"):
        props[prop.get("name")] = (prop.get("value") or "", prop)
    return props


def _forms(root, report: _Report, check_form: FormCheck) -> None:
    for task in root.iter(f"{B}userTask"):
        props = _properties(task)             # no form: the task page shows a confirmation step
        for prop_name in (FORM_PROPERTY, UI_FORM_PROPERTY):
            if prop_name in props:
                value, node = props[prop_name]
                why = check_form(value)
                if why:
                    report.add(node, f"user task '{_name_of(task)}': form {value!r} {why}")


def _snippets(root):
    """(node, text, is_expression, what) for every piece of code in the diagram."""
    for node in root.iter(f"{B}script"):
        yield node, node.text or "", False, "script"
    for tag in ("preScript", "postScript"):
        for node in root.iter(f"{S}{tag}"):
            yield node, node.text or "", False, tag
    for tag in ("conditionExpression", "loopCondition", "completionCondition"):
        for node in root.iter(f"{B}{tag}"):
            yield node, node.text or "", True, tag
    for tag in ("messagePayload", "payloadExpression", "expression"):
        for node in root.iter(f"{S}{tag}"):
            yield node, node.text or "", True, tag
    for node in root.iter(f"{S}parameter"):
        if node.get("value") is not None:     # without a value the handler's default applies (as in SpiffWorkflow)
            yield node, node.get("value"), True, f"parameter {node.get('id')!r}"
    for node in root.iter(f"{S}property"):
        if node.get("name") in EXPRESSION_PROPERTIES:
            yield node, node.get("value") or "", True, f"property {node.get('name')!r}"


def _scripts(root, report: _Report) -> None:
    for node, text, is_expression, what in _snippets(root):
        if not text.strip():
            if what.startswith("parameter"):
                report.add(node, f"{what} of '{_name_of(node)}' has an empty value; leave the value out "
                                 "to use the handler's default")
            continue
        why = refusal(text, expression=is_expression)
        if why:
            report.add(node, f"the {what} of '{_name_of(node)}' is refused by the restricted script "
                             f"environment: {why}")


def _camunda(root, report: _Report) -> None:
    """Camunda attributes and extensions are read by Camunda only: SpiffWorkflow drops them without a word."""
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        names = [etree.QName(a).localname for a in node.attrib if a.startswith(C)]
        if node.tag.startswith(C):
            names.append(etree.QName(node).localname)
        for name in names:
            equivalent = CAMUNDA_EQUIVALENTS.get(name)
            instead = f"in GridSafe use {equivalent}" if equivalent else "GridSafe has no equivalent"
            report.add(node, f"camunda:{name} on '{_name_of(node)}' is ignored (only Camunda reads it); {instead}",
                       warning=True)


def _zone_name(zone) -> str:
    return getattr(zone, "key", None) or str(zone)


def _zoneless(root, report: _Report, zone) -> None:
    for node in root.iter(f"{B}timeDate"):
        try:
            value = ast.literal_eval((node.text or "").strip())
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
        except (ValueError, SyntaxError, TypeError):
            continue
        if moment is not None and moment.tzinfo is None:
            instant = moment.replace(tzinfo=zone).astimezone(timezone.utc)
            report.add(node, f"the timer '{_name_of(node)}' gives {value} without a time zone: it is read in the "
                             f"company's zone {_zone_name(zone)} (setting TIMEZONE), i.e. {instant:%Y-%m-%d %H:%M} UTC",
                       warning=True)


def _timers(root, report: _Report, zone=timezone.utc) -> None:
    _zoneless(root, report, zone)
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for node in root.iter(f"{B}{tag}"):
            text = (node.text or "").strip()
            if not text:
                report.add(node, f"the timer '{_name_of(node)}' has an empty {tag}")
            elif _ISO_LITERAL.match(text):
                report.add(node, f"the timer '{_name_of(node)}' has the unquoted literal {text}; timer "
                                 f"texts are expressions, so write it in quotes: \"{text}\"")
            else:
                why = refusal(text, expression=True)
                if why:
                    report.add(node, f"the {tag} expression of '{_name_of(node)}' cannot run: {why}")
