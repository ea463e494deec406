"""Sample cases that a decision table must pass before it deploys (the engine's check_decisions hook).

Beside bpmn/<name>.dmn, bpmn/<name>.cases.json names the decision and lists cases, each with the
outputs it expects. Before a new version of the table deploys (from the folder, the CLI or the
browser modeler, through Engine.deploy_source or lint_source), every case runs against it, and every
expression in it may only name inputs that the caller gives the table. A failing case blocks the
deploy and is shown with what the table answered; the previous version keeps deciding.
"""
from __future__ import annotations

import ast
import builtins
import json
import re
from pathlib import Path

from engine import DecisionFailed, Problem
from handlers import risk

KNOWN_INPUTS = {risk.DECISION: risk.INPUTS}          # what each caller gives its table
_QUESTION = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')   # as SpiffWorkflow's DMN engine finds "?"
_ALWAYS = set(dir(builtins)) | {"dmninputexpr"}


def check(name: str, tables: dict, *, folder: Path, factors: dict | None = None, multiplier: float = 2) -> list:
    """Problems of the table file `name` (tables: {decision id: engine.TableView}); empty when it may deploy."""
    path = Path(folder) / f"{name}.cases.json"
    if not path.is_file():
        return []
    file = f"{name}.dmn"
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        return [Problem(path.name, None, None, f"the sample cases are not valid JSON: {err}")]
    decision = spec.get("decision")
    table = tables.get(decision)
    if table is None:
        return [Problem(file, None, None, f"the file must define the decision {decision!r} (the sample cases in "
                                          f"{path.name} are for it); it defines {', '.join(tables) or 'none'}")]
    known = set(spec.get("inputs") or KNOWN_INPUTS.get(decision, ()))
    problems = unknown_names(file, table, known) if known else []
    if problems:
        return problems
    for number, case in enumerate(spec.get("cases") or [], start=1):
        problem = run_case(file, table, number, case, factors, multiplier)
        if problem:
            problems.append(problem)
    return problems


def unknown_names(file: str, table, known: set) -> list:
    """Input columns and cells that name something the caller does not give the table."""
    problems = []
    given = ", ".join(sorted(known))
    for column, expression in enumerate(table.inputs, start=1):
        for name in sorted(_names(expression) - known - _ALWAYS):
            problems.append(Problem(file, None, table.decision_id,
                                    f"input column {column} ({expression!r}) reads {name!r}, which the table is "
                                    f"not given; it is given {given}"))
    for row, text in table.cells:
        for name in sorted(_names(text) - known - _ALWAYS):
            problems.append(Problem(file, None, table.decision_id,
                                    f"rule {row}: the cell {text!r} reads {name!r}, which the table is not given; "
                                    f"it is given {given}"))
    return problems


def _names(text: str) -> set:
    text = _QUESTION.sub("dmninputexpr", text.strip())
    for candidate, extra in ((text, set()), (f"dmninputexpr {text}", {"dmninputexpr"})):
        try:
            tree = ast.parse(candidate, mode="eval")
        except SyntaxError:
            continue
        return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - extra
    return set()           # the lint reports cells that are not Python


def run_case(file: str, table, number: int, case: dict, factors=None, multiplier: float = 2):
    """A Problem when the case fails (or cannot be read), else None."""
    label = case.get("name") or f"case {number}"
    where = f"sample case {number} «{label}»"
    try:
        inputs = case["inputs"] if "inputs" in case else risk.case_inputs(case, factors, multiplier)
    except (KeyError, ValueError, TypeError) as err:
        return Problem(file, None, table.decision_id, f"{where} cannot be read: {err}")
    expect = case.get("expect") or {}
    try:
        got = table.evaluate(inputs)
    except DecisionFailed as err:
        return Problem(file, None, table.decision_id, f"{where} fails: {err} (inputs {_show(inputs)})")
    answered = {k: got.get(k) for k in expect}
    if answered != expect:
        return Problem(file, None, table.decision_id,
                       f"{where}: with inputs {_show(inputs)} the table answers {_show(answered)}, "
                       f"the case expects {_show(expect)}")
    return None


def _show(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
