"""Correlated messages, as SpiffWorkflow 3.2.0 intends them (engine-notes.md §6).

A catch event may be correlated: the message's `bpmn:correlationProperty` retrieval expressions say
which payload values identify the conversation, and `spiffworkflow:processVariableCorrelation` which
process data they must equal. While the instance waits, `workflow.correlations` holds the expected
values ({key: {property: value}}); SpiffWorkflow catches an event only when the event carries the same.
It does no routing between instances, so the subscription row keeps those values as its correlation
key, and a delivery computes the event's correlations from its payload the way a sender in
SpiffWorkflow does, then looks the key up.
"""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition

from .errors import InvalidRequest
from .models import MessageSubscription, ProcessInstance
from .scripting import ScriptEngine

KEY_LENGTH = 200           # MessageSubscription.correlation_key


def key_of(correlations: dict) -> str | None:
    """The subscription key for correlation values: the value itself when there is one, else canonical JSON
    (a digest when longer than the column)."""
    values = [v for props in correlations.values() for v in (props or {}).values()]
    if not values:
        return None
    text = str(values[0]) if len(values) == 1 else json.dumps(correlations, sort_keys=True, ensure_ascii=False,
                                                              default=str)
    return text if len(text) <= KEY_LENGTH else "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _keys_used(definition) -> set[str]:
    props = [*definition.correlation_properties, *getattr(definition, "process_correlations", [])]
    return {key for prop in props for key in prop.correlation_keys}


def waiting_key(task, definition) -> str | None:
    """The key a waiting catch event is correlated by (None: not correlated)."""
    expected = getattr(task.workflow, "correlations", None) or {}
    return key_of({k: expected[k] for k in sorted(_keys_used(definition)) if k in expected})


def message_definitions(task_spec) -> list:
    definition = getattr(task_spec, "event_definition", None)
    defs = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    return [d for d in defs if isinstance(d, MessageEventDefinition)]


def event_correlations(clock, definition, payload: dict | None) -> dict:
    """The correlations a sender's event carries for this payload (SpiffWorkflow's own calculation).
    Raises InvalidRequest when the payload lacks a value the message is correlated by."""
    if not definition.correlation_properties:
        return {}
    environment = ScriptEngine(clock, None).environment
    correlations = {}
    for prop in definition.correlation_properties:
        try:
            value = environment.evaluate(prop.retrieval_expression, dict(payload or {}))
        except Exception as err:  # noqa: BLE001 - any failure means the payload lacks the value
            raise InvalidRequest(f"the message {definition.name!r} is correlated by {prop.retrieval_expression!r}, "
                                 f"which the payload does not give ({err})") from None
        for key in prop.correlation_keys:
            correlations.setdefault(key, {})[prop.name] = value
    return correlations


def _definition(eng, session, sub: MessageSubscription, name: str):
    instance = session.get(ProcessInstance, sub.instance_id)
    spec, subprocess_specs = eng.specs.get(session, instance.model_version_id, instance.process_id)
    for each in [spec, *subprocess_specs.values()]:
        for task_spec in each.task_specs.values():
            if (task_spec.bpmn_id or task_spec.name) == sub.element_id:
                for definition in message_definitions(task_spec):
                    if definition.name == name:
                        return definition
    return None


def subscribers(eng, session, name: str, correlation_key: str | None, payload: dict | None):
    """(subscriptions, event correlations) for a message: those under the key given, else those whose
    correlation the payload's values name."""
    query = select(MessageSubscription).where(MessageSubscription.message_name == name)
    subs = session.scalars(query.where(MessageSubscription.correlation_key == correlation_key)).all()
    if subs:
        definition = _definition(eng, session, subs[0], name)
        return subs, event_correlations(eng.clock, definition, payload) if definition is not None else {}
    if correlation_key is not None or not payload:
        return [], {}
    samples = session.scalars(select(func.min(MessageSubscription.id)).where(MessageSubscription.message_name == name)
                              .group_by(MessageSubscription.element_id).limit(20)).all()
    for sample in samples:                 # one waiting element of each kind tells how the message correlates
        definition = _definition(eng, session, session.get(MessageSubscription, sample), name)
        if definition is None or not definition.correlation_properties:
            continue
        correlations = event_correlations(eng.clock, definition, payload)
        found = session.scalars(query.where(MessageSubscription.correlation_key == key_of(
            {k: correlations[k] for k in sorted(_keys_used(definition)) if k in correlations}))).all()
        if found:
            return found, correlations
    return [], {}
