"""The restricted script environment: every script, condition and expression in a diagram runs here.

SpiffWorkflow's default engine is plain eval/exec with full builtins (engine-notes.md §4.2).
Here every snippet is compiled by RestrictedPython (imports, dunder access, open/eval refused at
compile time or by the guards) and cached. The script engine is not serialized by SpiffWorkflow,
so the runtime builds a fresh ScriptEngine for every call and attaches it after every load.
"""
from __future__ import annotations

import ast
import builtins as builtins_module
import copy
import json
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.Limits import limited_builtins
from RestrictedPython.Utilities import utility_builtins
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

_INPLACE = {
    "+=": lambda a, b: a + b, "-=": lambda a, b: a - b, "*=": lambda a, b: a * b,
    "/=": lambda a, b: a / b, "//=": lambda a, b: a // b, "%=": lambda a, b: a % b,
    "|=": lambda a, b: a | b, "&=": lambda a, b: a & b,
}

_EXTRA_BUILTINS = {
    name: obj for name, obj in {
        "min": min, "max": max, "sum": sum, "any": any, "all": all, "enumerate": enumerate,
        "sorted": sorted, "reversed": reversed, "dict": dict, "list": list, "map": map,
        "filter": filter, "abs": abs, "round": round, "set": set,
    }.items()
}


def _inplacevar(op, x, y):
    try:
        return _INPLACE[op](x, y)
    except KeyError:
        raise SyntaxError(f"operator {op} is not allowed in scripts") from None


def _builtins() -> dict:
    builtins = dict(safe_builtins)
    builtins.update(limited_builtins)
    builtins.update(utility_builtins)
    builtins.update(_EXTRA_BUILTINS)
    for name in ("__import__", "open", "eval", "exec", "compile", "globals", "locals", "vars"):
        builtins.pop(name, None)
    return builtins


GUARDS = {
    "__builtins__": _builtins(),
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
}


ENVIRONMENT_NAMES = ("datetime", "timedelta", "timezone", "date", "now", "today")   # RestrictedEnvironment's
_MISSING = frozenset(n for n in dir(builtins_module) if not n.startswith("_")) - set(GUARDS["__builtins__"]) \
    - set(ENVIRONMENT_NAMES)
_HINTS = {"getattr": "; write obj['key'] or obj.attribute", "print": "; nobody sees its output, put the value in a "
          "variable (it is kept in the task data)", "zip": "; use enumerate or indexes"}


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, and no imports at all: a diagram that needs more calls a handler.

    What would only fail when an instance runs it (print, classes, str.format, builtins the sandbox
    does not offer) is refused here, at compile time: lint and the sandbox compile with this one policy,
    so they refuse the same snippets with the same words."""

    def visit(self, node):
        if not hasattr(self, "_defined"):
            self._defined = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            self._defined |= {n.name for n in ast.walk(node) if isinstance(n, ast.FunctionDef)}
            self._defined |= {a.arg for n in ast.walk(node) if isinstance(n, ast.arguments)
                              for a in [*n.posonlyargs, *n.args, *n.kwonlyargs]}
        return super().visit(node)

    def visit_Import(self, node):
        self.error(node, "imports are not allowed in diagram scripts; use a service task instead")

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node):
        self.error(node, "class definitions are not allowed in diagram scripts; use dicts and functions, "
                         "or a service task")
        return node

    def visit_Call(self, node):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name in _MISSING and name not in self._defined:
            self.error(node, f"{name}() is not available in diagram scripts{_HINTS.get(name, '')}")
        return super().visit_Call(node)

    def visit_Attribute(self, node):
        if node.attr in ("format", "format_map"):
            self.error(node, f"str.{node.attr}() is not allowed in diagram scripts (it can reach hidden "
                             "attributes); use an f-string such as f\"{a} of {b}\"")
        return super().visit_Attribute(node)


class ScriptRefused(SyntaxError):
    """A script or expression the restricted environment will not run."""


@lru_cache(maxsize=4096)
def compile_expression(text: str):
    """Compile one expression in restricted mode (cached). Raises ScriptRefused."""
    result = compile_restricted_eval(text.strip(), "<expression>", policy=_Policy)
    if result.errors:
        raise ScriptRefused("; ".join(result.errors), ("<expression>", 1, 1, text))
    return result.code


@lru_cache(maxsize=1024)
def compile_script(text: str):
    """Compile one script in restricted mode (cached). Raises ScriptRefused."""
    result = compile_restricted_exec(text, "<script>", policy=_Policy)
    if result.errors:
        raise ScriptRefused("; ".join(result.errors), ("<script>", 1, 1, text))
    return result.code


def refusal(text: str, *, expression: bool) -> str | None:
    """Why the restricted environment refuses this snippet, or None when it compiles."""
    try:
        (compile_expression if expression else compile_script)(text)
    except SyntaxError as err:
        return str(err.msg if isinstance(err, ScriptRefused) else err)
    return None


class RestrictedEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment that compiles with RestrictedPython and calls service handlers."""

    def __init__(self, clock, call_service):
        super().__init__({
            **GUARDS,
            "datetime": datetime, "timedelta": timedelta, "timezone": timezone, "date": date,
            "now": clock.now, "today": lambda: clock.now().date().isoformat(),
        })
        self._call_service = call_service

    def evaluate(self, expression, context, external_context=None):
        code = compile_expression(expression)
        my_globals = copy.copy(self.globals)
        my_globals.update(external_context or {})
        my_globals.update(context)
        return eval(code, my_globals)  # noqa: S307 - restricted bytecode with guarded globals

    def execute(self, script, context, external_context=None):
        code = compile_script(script)
        self.check_for_overwrite(context, external_context or {})
        context.update(copy.copy(self.globals))
        context.update(external_context or {})
        try:
            exec(code, context)  # noqa: S102 - restricted bytecode with guarded globals
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def call_service(self, task, operation_name, operation_params, **kwargs):
        params = {name: spec["value"] for name, spec in operation_params.items()}
        return json.dumps(self._call_service(task, operation_name, params))


class ScriptEngine(PythonScriptEngine):
    """PythonScriptEngine bound to one engine call: its clock and its service caller.

    Overrides call_service because 3.2.0's version turns every handler error into
    NameError('script') (engine-notes.md §4.1).
    """

    def __init__(self, clock, call_service, zone=None):
        super().__init__(environment=RestrictedEnvironment(clock, call_service))
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
