"""`gridsafe tick` and `gridsafe scheduler` run the services without the web framework: the real command in
a subprocess, with Python's import log, imports no Flask (nor its extensions, WTForms or marshmallow)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEB = re.compile(r"\|\s+(flask|flask_\w+|wtforms|marshmallow)(\.|\s*$)", re.MULTILINE)


def _run(args, sqlite_url, tmp_path):
    env = {**os.environ, "GRIDSAFE_ENV": "testing", "GRIDSAFE_SECRET_KEY": "test-secret",
           "GRIDSAFE_DATABASE_URL": sqlite_url, "GRIDSAFE_DATA_DIR": str(tmp_path / "data"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args", [["tick", "--now", "2027-01-01T00:00:00+08:00"], ["scheduler", "--once"]],
                         ids=["tick", "scheduler"])
def test_the_scheduler_commands_run_without_importing_flask(sqlite_url, tmp_path, args):
    done = _run(args, sqlite_url, tmp_path)
    imported = sorted({m.group(1) for m in WEB.finditer(done.stderr)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert imported == [], f"{' '.join(args)} imported the web framework: {imported}"
    if args[0] == "tick":
        assert "'fired': 0" in done.stdout and "'statistics': True" in done.stdout


def test_the_import_log_would_show_flask(sqlite_url, tmp_path):
    """The check is not vacuous: loading the web app shows Flask in the same log."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import webui"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert "flask" in {m.group(1) for m in WEB.finditer(done.stderr)}
