"""Evaluating a deployed DMN decision table directly (for handlers such as risk grading).

The newest deployed version of the table is used; its compiled form is cached per version.
"""
from __future__ import annotations

from .deploy import latest_definition
from .models import ModelVersion
from .specs import compile_dmn, read_xml
from .tables import DecisionFailed, evaluate_table

__all__ = ["DecisionFailed", "decide", "evaluate", "evaluate_table"]


def _table(eng, session, decision_id: str, newest: dict | None = None, models_deployed: int | None = None):
    """(compiled table, model version id, "<file> v<version>"). `newest`: {decision id: model version id}
    already looked up in this engine call (one lookup per call however often a handler decides).
    `models_deployed`: how many model versions the call saw deployed; while that number stays what it was
    when the newest table was last looked up, that table is still the newest (versions are only added)."""
    version_id = newest.get(decision_id) if newest is not None else None
    if version_id is None:
        seen = eng.newest_decisions.get(decision_id)
        if seen is not None and models_deployed is not None and seen[0] == models_deployed:
            version_id = seen[1]
        else:
            found = latest_definition(session, "decision", decision_id)
            version_id = found.model_version_id
            eng.newest_decisions[decision_id] = (found.models_deployed, version_id)
        if newest is not None:
            newest[decision_id] = version_id
    key = (version_id, decision_id)
    found = eng.decision_cache.get(key)
    if found is None:               # a deployed version never changes: compiled once per process
        mv = session.get(ModelVersion, version_id)
        table = compile_dmn(f"{mv.name}.dmn", read_xml(mv.source.encode("utf-8"), mv.name))[decision_id]
        found = eng.decision_cache[key] = (table, f"{mv.name} v{mv.version}")
    return found[0], version_id, found[1]


def evaluate(eng, session, decision_id: str, inputs: dict) -> tuple[dict, int]:
    """(outputs of the first matching rule, model version id). Raises DecisionFailed."""
    table, version_id, _label = _table(eng, session, decision_id)
    return evaluate_table(eng, table, decision_id, inputs), version_id


def decide(eng, session, decision_id: str, inputs: dict, newest: dict | None = None,
           models_deployed: int | None = None) -> tuple[dict, str]:
    """(outputs, "<file> v<version>" of the table that decided): what a handler keeps to explain a result."""
    table, _version_id, label = _table(eng, session, decision_id, newest, models_deployed)
    return evaluate_table(eng, table, decision_id, inputs), label
