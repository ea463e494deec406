"""SpiffWorkflow (de)serialization: specs once per model version, instance state without the spec.

The stock serializer embeds the whole spec in every instance document. Here the spec is stored
once per deployed version (spec_json) and an instance's document holds only its state
(engine-notes.md §8, "Storing the spec separately").
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG as SPIFF_CONFIG

from .clocked import CLOCKED

STATE_FORMAT = "gridsafe-state-1"


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Converts a top-level workflow without its spec and subprocess specs."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry():
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = StateOnlyWorkflowConverter
    for clocked in CLOCKED.values():
        config[clocked] = TimerConditionalEventDefinitionConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
    return registry


REGISTRY = _registry()
_ENCODER = create_encoder(REGISTRY, None)


def dump_state(workflow) -> str:
    """The instance's state as JSON text (no spec)."""
    REGISTRY._encoder_mode = True
    try:
        dct = REGISTRY.convert(workflow)
    finally:
        REGISTRY._encoder_mode = False
    dct["format"] = STATE_FORMAT
    return json.dumps(dct, cls=_ENCODER, ensure_ascii=False, separators=(",", ":"))


def load_state(text: str, spec, subprocess_specs) -> BpmnWorkflow:
    """Rebuild a workflow from dump_state() text and the cached specs of its version."""
    dct = json.loads(text)
    if dct.pop("format", None) != STATE_FORMAT:
        raise ValueError("unknown instance state format")
    return REGISTRY.restore(dct, spec=spec, subprocess_specs=subprocess_specs)


def dump_specs(spec, subprocess_specs) -> dict:
    """A process spec and its subprocess specs as a JSON-able dict."""
    return {
        "spec": REGISTRY.convert(spec),
        "subprocess_specs": {name: REGISTRY.convert(sp) for name, sp in subprocess_specs.items()},
    }


def load_specs(dct: dict):
    """Inverse of dump_specs: (spec, subprocess_specs)."""
    spec = REGISTRY.restore(dct["spec"])
    subprocess_specs = {name: REGISTRY.restore(sp) for name, sp in dct["subprocess_specs"].items()}
    return spec, subprocess_specs
