"""Evaluating a deployed DMN decision table directly (for handlers such as risk grading).

The newest deployed version of the table is used; its compiled form is cached per version.
"""
from __future__ import annotations

from .deploy import latest_definition
from .models import ModelVersion
from .specs import compile_dmn, read_xml
from .tables import DecisionFailed, evaluate_table

__all__ = ["DecisionFailed", "decide", "evaluate", "evaluate_table"]


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


def decide(eng, session, decision_id: str, inputs: dict) -> tuple[dict, str]:
    """(outputs, "<file> v<version>" of the table that decided): what a handler keeps to explain a result."""
    outputs, version_id = evaluate(eng, session, decision_id, inputs)
    mv = session.get(ModelVersion, version_id)
    return outputs, f"{mv.name} v{mv.version}"
