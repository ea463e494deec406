"""Evaluating a deployed DMN decision table directly (for handlers such as risk grading).

The newest deployed version of the table is used; its compiled form is cached per version.
"""
from __future__ import annotations

from types import SimpleNamespace

from .deploy import latest_definition
from .errors import InvalidRequest
from .models import ModelVersion
from .scripting import ScriptEngine
from .specs import compile_dmn, read_xml


class DecisionFailed(InvalidRequest):
    """The table could not decide for these inputs (a missing input, a cell that fails)."""


def _table(eng, session, decision_id: str):
    definition = latest_definition(session, "decision", decision_id)
    key = (definition.model_version_id, decision_id)
    table = eng.decision_cache.get(key)
    if table is None:
        mv = session.get(ModelVersion, definition.model_version_id)
        table = compile_dmn(f"{mv.name}.dmn", read_xml(mv.source.encode("utf-8"), mv.name))[decision_id]
        eng.decision_cache[key] = table
    return table, definition.model_version_id


def evaluate(eng, session, decision_id: str, inputs: dict) -> tuple[dict, int]:
    """(outputs of the first matching rule, model version id). Raises DecisionFailed."""
    table, version_id = _table(eng, session, decision_id)
    return evaluate_table(eng, table, decision_id, inputs), version_id


def evaluate_table(eng, table, decision_id: str, inputs: dict) -> dict:
    """Run a compiled DMNEngine against inputs in the restricted environment."""
    workflow = SimpleNamespace(spec=SimpleNamespace(file=decision_id), script_engine=None)
    workflow.top_workflow = workflow
    task = SimpleNamespace(data=dict(inputs), workflow=workflow,
                           task_spec=SimpleNamespace(bpmn_name=decision_id, bpmn_id=decision_id))
    workflow.script_engine = ScriptEngine(eng.clock, _no_services)
    try:
        return table.result(task)
    except Exception as err:  # noqa: BLE001 - report any failing cell as a decision failure
        raise DecisionFailed(f"decision {decision_id!r} failed: {err}") from err


def _no_services(task, operation_name, params):
    raise LookupError("decision tables cannot call services")
