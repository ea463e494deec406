"""The layout holds: imports point one way (cli and webui → services → records, engine, forms, handlers;
handlers → records; engine and records import nothing of ours; nothing imports webui but the command
that serves it), the services and the scheduler need no web framework, the web layer asks no database
questions of its own, and no module imports itself round a circle."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("engine", "records", "handlers", "forms", "services", "webui", "cli")
# which of our packages each package may import (itself always)
ALLOWED = {
    "engine": set(),
    "records": set(),
    "forms": set(),
    "handlers": {"records"},
    "services": {"records", "engine", "forms", "handlers"},
    "webui": {"services", "records", "engine", "forms"},
    "cli": {"services", "records", "engine", "webui"},      # webui: only `gridsafe serve` loads the web app
}
WEB_FRAMEWORK = ("flask", "flask_babel", "flask_login", "flask_wtf", "flask_smorest", "flask_limiter", "werkzeug",
                 "wtforms", "marshmallow", "webui")


def _modules():
    for package in OURS:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path, parts[-1] == "__init__"


def _imports(name: str, path: Path, is_package: bool):
    """(imported module, line, top level?) for every import statement of the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if is_package else name.rpartition(".")[0]
    top_level = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                yield f"{module}.{alias.name}", node.lineno, id(node) in top_level


def _known(modules: set, target: str) -> str | None:
    """The module of ours that an import names (a.b.c may be a module or a name in a.b)."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def test_imports_point_one_way():
    wrong = []
    for name, path, is_package in _modules():
        own = name.split(".")[0]
        for target, line, _top in _imports(name, path, is_package):
            first = target.split(".")[0]
            if first in OURS and first != own and first not in ALLOWED[own]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {own} must not import {first} ({target})")
    assert not wrong, "imports that run the wrong way:\n" + "\n".join(wrong)


def test_services_import_no_web_framework():
    wrong = [f"{path.relative_to(ROOT)}:{line}: {target}"
             for name, path, is_package in _modules() if name.split(".")[0] in ("services", "handlers", "records",
                                                                                   "engine", "forms")
             for target, line, _top in _imports(name, path, is_package)
             if target.split(".")[0] in WEB_FRAMEWORK and not target.startswith("werkzeug.security")]
    assert not wrong, "the use cases and below must run without the web framework:\n" + "\n".join(wrong)


def test_pages_and_api_ask_the_database_nothing_themselves():
    wrong = [f"{path.relative_to(ROOT)}:{line}: {target}"
             for name, path, is_package in _modules() if name.startswith(("webui.pages", "webui.api"))
             for target, line, _top in _imports(name, path, is_package)
             if target.split(".")[0] == "sqlalchemy"]
    assert not wrong, "pages and the API call services; queries belong there:\n" + "\n".join(wrong)


def test_no_import_circles():
    modules = {name for name, _p, _i in _modules()}
    packages = {name for name, _p, is_package in _modules() if is_package}
    graph: dict[str, set] = {}
    for name, path, is_package in _modules():
        if is_package:
            continue                       # a package's __init__ wires its modules; not a room of its own
        edges = graph.setdefault(name, set())
        for target, _line, _top in _imports(name, path, is_package):
            found = _known(modules, target)
            if found and found != name and found not in packages:
                edges.add(found)
    circles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                circles.append(" → ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not circles, "import circles:\n" + "\n".join(circles)


@pytest.mark.parametrize("module", ["services.jobs", "services.scheduler", "cli"])
def test_the_scheduler_runs_without_flask(module):
    path = ROOT / Path(*module.split("."))
    if not (path.with_suffix(".py").exists() or (path / "__init__.py").exists()):
        pytest.fail(f"{module} is missing: the scheduler's jobs live in services/")
    code = (f"import sys, {module}; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{WEB_FRAMEWORK!r} and not m.startswith('werkzeug')); print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"importing {module} loads the web framework: {done.stdout}{done.stderr}"


def test_the_import_test_catches_an_upward_import(tmp_path, monkeypatch):
    """The rule is not vacuous: a records module importing webui is reported."""
    fake = tmp_path / "records"
    fake.mkdir()
    (fake / "bad.py").write_text("from webui import create_app\n")
    (fake / "__init__.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="records must not import webui"):
        test_imports_point_one_way()
