"""Compiled DMN decision tables as plain objects: their columns, their cells, and a way to evaluate them.

What a deploy hook (e.g. sample cases run before a table deploys) and a handler's decision see of a
table; SpiffWorkflow's classes stay inside the engine. Evaluation runs in the restricted script
environment, like every expression of a diagram.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

from .errors import InvalidRequest
from .budget import exceeded_in
from .scripting import Budget, ScriptEngine


class DecisionFailed(InvalidRequest):
    """The table could not decide for these inputs (a missing input, a cell that fails)."""


@dataclass(frozen=True)
class TableView:
    """One decision table: input expressions and output names in column order, every cell's text, and
    `evaluate(inputs) -> outputs of the first matching rule` (raises DecisionFailed)."""

    decision_id: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    cells: tuple[tuple[int, str], ...]         # (rule row number, cell text) of every non-empty cell
    _evaluate: Callable[[dict], dict]

    def evaluate(self, inputs: dict) -> dict:
        return self._evaluate(inputs)


def evaluate_table(eng, table, decision_id: str, inputs: dict, budget: Budget | None = None) -> dict:
    """Run a compiled DMNEngine against inputs in the restricted environment, within `budget` (default:
    a budget of its own)."""
    workflow = SimpleNamespace(spec=SimpleNamespace(file=decision_id), script_engine=None)
    workflow.top_workflow = workflow
    task = SimpleNamespace(data=dict(inputs), workflow=workflow,
                           task_spec=SimpleNamespace(bpmn_name=decision_id, bpmn_id=decision_id))
    budget = budget or Budget(getattr(eng, "script_limits", None))
    workflow.script_engine = ScriptEngine(eng.clock, _no_services, budget=budget)
    try:
        return dict(table.result(task))
    except Exception as err:  # noqa: BLE001 - report any failing cell as a decision failure
        raise DecisionFailed(f"decision {decision_id!r} failed: {exceeded_in(err) or err}") from err


def views(eng, compiled: dict) -> dict[str, TableView]:
    """{decision id: TableView} of what compile_dmn returned. Everything evaluated through these views
    (e.g. every sample case a deploy or the modeler's Validate runs) shares one budget."""
    budget = Budget(getattr(eng, "script_limits", None))
    return {decision_id: _view(eng, decision_id, table, budget) for decision_id, table in compiled.items()}


def _view(eng, decision_id: str, table, budget: Budget) -> TableView:
    model = table.decision_table
    cells = []
    for rule in model.rules:
        for entry in rule.inputEntries:
            cells.extend((rule.row_number, text) for text in entry.lhs if text)
        cells.extend((rule.row_number, entry.text) for entry in rule.outputEntries if entry.text)
    return TableView(decision_id=decision_id,
                     inputs=tuple(i.expression or i.label or "" for i in model.inputs),
                     outputs=tuple(o.name or o.label or "" for o in model.outputs),
                     cells=tuple(cells),
                     _evaluate=lambda inputs: evaluate_table(eng, table, decision_id, inputs, budget))


def _no_services(task, operation_name, params):
    raise LookupError("decision tables cannot call services")
