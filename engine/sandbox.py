"""The restricted language of diagram code, and the process that runs it.

Every script, condition, expression and DMN cell is compiled by RestrictedPython (imports, dunder
access, open/eval refused at compile time or by the guards) — here, so that the check is the same for
lint and for running. Running happens in a separate small process (engine.budget starts it as
`python -I -c ... engine/sandbox.py`): the operating system bounds its memory (RLIMIT_AS) and the
caller bounds its time by killing it, so neither a `while True: pass`, a 300 MB string nor a
`pow(7, 10**7)` in one C call can stop the web worker or the scheduler, and a `raise
KeyboardInterrupt()` is just the script's error.

This file imports nothing of GridSafe and nothing but RestrictedPython outside the standard library:
it is also the worker's whole program.
"""
from __future__ import annotations

import ast
import builtins as builtins_module
import pickle
import struct
import sys
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

_INPLACE = {
    "+=": lambda a, b: a + b, "-=": lambda a, b: a - b, "*=": lambda a, b: a * b,
    "/=": lambda a, b: a / b, "//=": lambda a, b: a // b, "%=": lambda a, b: a % b,
    "|=": lambda a, b: a | b, "&=": lambda a, b: a & b,
}

_EXTRA_BUILTINS = {
    "min": min, "max": max, "sum": sum, "any": any, "all": all, "enumerate": enumerate,
    "sorted": sorted, "reversed": reversed, "dict": dict, "list": list, "map": map,
    "filter": filter, "abs": abs, "round": round, "set": set,
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

# what every snippet sees besides its data; `now` and `today` are bound to the caller's clock per call
NAMES = {"datetime": datetime, "timedelta": timedelta, "timezone": timezone, "date": date}
GLOBAL_NAMES = frozenset(GUARDS) | frozenset(NAMES) | {"now", "today"}


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


# What an expression may contain to be evaluated where it is asked, without the sandbox process: no
# calls, loops, comprehensions, attribute access, formatting or repetition — nothing whose time or memory
# can grow beyond a small multiple of its data (DMN cells such as `>= 10` or `"A"`, conditions such as
# `passed == True`, timer literals). Anything else runs in the sandbox under the budget.
_PLAIN_NODES = (ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Compare, ast.BoolOp, ast.UnaryOp,
                ast.IfExp, ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.Set, ast.Dict,
                ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Invert,
                ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
                ast.BinOp, ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.BitAnd, ast.BitOr, ast.BitXor)


@lru_cache(maxsize=4096)
def is_plain(text: str) -> bool:
    """Whether an expression is plain enough to run in the caller's process (see _PLAIN_NODES)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return False
    return all(isinstance(node, _PLAIN_NODES) for node in ast.walk(tree))


# What a script may assign to be run where it is asked: names given values that cannot be larger than what
# they are made of — constants, names, comparisons, and/or, not, a choice (x if c else y), an item — and
# nothing that builds (+, a list, a tuple...): a diagram can run a script in a loop, and `s = s + s` or
# `s = [s, s]` there would double its data at every turn in this process, where the sandbox's memory limit
# does not reach. Anything else runs in the sandbox under the budget.
_SCRIPT_VALUE_NODES = (ast.Constant, ast.Name, ast.Load, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp,
                       ast.Subscript, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd,
                       ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn)


@lru_cache(maxsize=4096)
def is_plain_script(text: str) -> bool:
    """Whether a script only gives names plain values (`count = 1`, `level = 'A' if score >= 10 else 'B'`):
    it cannot loop nor grow data (see _SCRIPT_VALUE_NODES), so it runs in the caller's process."""
    try:
        tree = ast.parse(text.strip(), mode="exec")
    except (SyntaxError, ValueError):
        return False
    if not tree.body or not all(isinstance(stmt, ast.Assign) for stmt in tree.body):
        return False
    return all(all(isinstance(target, ast.Name) for target in stmt.targets)
               and all(isinstance(node, _SCRIPT_VALUE_NODES) for node in ast.walk(stmt.value))
               for stmt in tree.body)


def snippet_globals(now: datetime) -> dict:
    return {**GUARDS, **NAMES, "now": lambda: now, "today": lambda: now.date().isoformat()}


def run_snippet(kind: str, text: str, context: dict, external: dict, now: datetime):
    """Evaluate an expression (its value) or execute a script (the context it leaves), as
    SpiffWorkflow's TaskDataEnvironment does, with the restricted globals."""
    if kind == "eval":
        scope = snippet_globals(now)
        scope.update(external)
        scope.update(context)
        return eval(compile_expression(text), scope)  # noqa: S307 - restricted bytecode with guarded globals
    scope = dict(context)
    scope.update(snippet_globals(now))
    scope.update(external)
    exec(compile_script(text), scope)  # noqa: S102 - restricted bytecode with guarded globals
    return {k: v for k, v in scope.items()
            if k != "__builtins__" and k not in GLOBAL_NAMES and k not in external and not callable(v)}


READY = b"ready"


# -- the worker's side of the pipe: frames are a 4-byte length and a pickle --------------------------

def read_frame(stream) -> bytes | None:
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    return stream.read(size)


def write_frame(stream, payload: bytes) -> None:
    stream.write(struct.pack(">I", len(payload)) + payload)
    stream.flush()


def _answer(request: tuple, max_result_bytes: int) -> tuple:
    try:
        value = run_snippet(*request)
    except MemoryError:
        return ("budget", "memory")
    except BaseException as err:  # noqa: BLE001 - KeyboardInterrupt, SystemExit ... are the script's error
        return ("error", type(err).__name__, str(err), _line_of(err))
    try:
        payload = pickle.dumps(("ok", value), protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return ("budget", "memory")
    except Exception as err:  # noqa: BLE001 - a value that cannot leave the script (a function, an iterator)
        return ("error", "TypeError", f"the result cannot be stored: {err}", None)
    if len(payload) > max_result_bytes:
        return ("budget", "memory")
    return payload


def _line_of(err: BaseException) -> int | None:
    line, tb = None, err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<script>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _limit_memory(megabytes: int) -> None:
    import resource
    with open("/proc/self/statm") as statm:                 # what the interpreter itself takes, in pages
        used = int(statm.read().split()[0]) * resource.getpagesize()
    limit = used + megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


def serve(megabytes: int) -> None:
    """The worker: answer one request frame after the other until the caller closes the pipe."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr                                  # nothing a script prints can break the frames
    _limit_memory(megabytes)
    max_result = max(1, megabytes // 4) * 1024 * 1024
    write_frame(stdout, READY)
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return
        answer = _answer(pickle.loads(frame), max_result)
        if isinstance(answer, tuple):
            answer = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        write_frame(stdout, answer)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
