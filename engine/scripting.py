"""The restricted script environment: every script, condition and expression in a diagram runs here.

SpiffWorkflow's default engine is plain eval/exec with full builtins (engine-notes.md §4.2).
Here every snippet is compiled by RestrictedPython (engine.sandbox: imports, dunder access,
open/eval refused at compile time or by the guards) and run in a sandbox process under the call's
time and memory budget (engine.budget). The script engine is not serialized by SpiffWorkflow, so
the runtime builds a fresh ScriptEngine — and so a fresh budget — for every call and attaches it
after every load.
"""
from __future__ import annotations

import json

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from .budget import Budget, BudgetExceeded, Limits, ScriptFailed
from .sandbox import (GUARDS, NAMES, ScriptRefused, compile_expression, compile_script, is_plain, is_plain_script,
                      refusal, run_snippet)

__all__ = ["Budget", "BudgetExceeded", "GUARDS", "Limits", "ScriptEngine", "ScriptFailed", "ScriptRefused",
           "compile_expression", "compile_script", "refusal"]


class RestrictedEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment that runs snippets in the sandbox under one budget and calls service handlers."""

    def __init__(self, clock, call_service, budget: Budget):
        super().__init__({**GUARDS, **NAMES, "now": clock.now, "today": clock.now})  # names only: see check_for_overwrite
        self.clock, self.budget = clock, budget
        self._call_service = call_service

    def evaluate(self, expression, context, external_context=None):
        compile_expression(expression)        # a refusal is raised here, before any process is asked
        if is_plain(expression):              # a comparison or a literal: no process needed
            return run_snippet("eval", expression, context, dict(external_context or {}), self.clock.now())
        return self.budget.run("eval", expression, context, dict(external_context or {}), self.clock.now())

    def execute(self, script, context, external_context=None):
        compile_script(script)
        self.check_for_overwrite(context, external_context or {})
        if is_plain_script(script):           # names given plain values: no process needed
            left = run_snippet("exec", script, context, dict(external_context or {}), self.clock.now())
        else:
            left = self.budget.run("exec", script, context, dict(external_context or {}), self.clock.now())
        context.clear()
        context.update(left)
        return True

    def call_service(self, task, operation_name, operation_params, **kwargs):
        params = {name: spec["value"] for name, spec in operation_params.items()}
        return json.dumps(self._call_service(task, operation_name, params))


class ScriptEngine(PythonScriptEngine):
    """PythonScriptEngine bound to one engine call: its clock, its service caller and its budget.

    Overrides call_service because 3.2.0's version turns every handler error into
    NameError('script') (engine-notes.md §4.1).
    """

    def __init__(self, clock, call_service, limits: Limits | None = None, *, budget: Budget | None = None,
                 zone=None):
        super().__init__(environment=RestrictedEnvironment(clock, call_service, budget or Budget(limits)))
        self.clock = clock
        self.zone = zone            # where a time without a zone is read (the company's)
        self.timer_fired = False

    def validate(self, expression):
        compile_expression(expression)

    def call_service(self, task, **kwargs):
        try:
            return self.environment.call_service(task, **kwargs)
        except WorkflowTaskException:
            raise
        except Exception as err:
            name = kwargs.get("operation_name")
            raise WorkflowTaskException(f"Service {name} failed: {err}", task=task, exception=err) from err
