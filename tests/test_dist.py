"""The wheel of `make dist` installs into a fresh virtualenv and serves the Chinese sign-in page and the
modeler with no source tree and no npm: diagrams, migrations, built assets and catalogs travel in it.

The new virtualenv has no packages of its own: a .pth file points at this interpreter's site-packages for
the dependencies (no download), whose editable GridSafe is not seen (a plain path runs none of that
folder's .pth files). The wheel itself is built by pip from a copy of the tree (setuptools and wheel come
from the package index in pip's build environment, as for any `pip wheel`)."""
from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILT = (ROOT / "webui/static/vendor/gridsafe-modeler.js", ROOT / "webui/translations/zh_Hans_CN/LC_MESSAGES/messages.mo")
SKIP = ("node_modules", ".venv", ".git", "instance", "build", "dist", ".pytest_cache", "__pycache__", "bench", "tests")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args, **kw) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    missing = [str(p.relative_to(ROOT)) for p in BUILT if not p.exists()]
    assert not missing, f"run `make setup` first (npm assets and compiled catalogs): missing {missing}"
    tmp = tmp_path_factory.mktemp("dist")
    tree = tmp / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*SKIP), symlinks=False)
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp / "dist"), str(tree)])
    return next((tmp / "dist").glob("gridsafe-*.whl"))


def test_the_wheel_carries_diagrams_migrations_assets_and_catalogs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("bpmn/hazard_lifecycle.bpmn", "bpmn/risk_grade.dmn", "migrations/env.py",
                   "migrations/versions/0001_engine_tables.py", "webui/static/vendor/gridsafe-modeler.js",
                   "webui/static/vendor/htmx.min.js", "webui/translations/zh_Hans_CN/LC_MESSAGES/messages.mo",
                   "webui/templates/auth/login.html", "records/data/hazard_dictionary.csv"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith(("webui/static/src/", "node_modules/"))]


def test_installed_from_the_wheel_it_inits_and_serves_sign_in_and_modeler(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRIDSAFE_", "PYTHON", "PROMETHEUS_"))}
    # --ignore-installed: the dependencies' folder lists this checkout's editable GridSafe; leave it alone
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed", "--no-index",
          str(wheel)], env=env)
    run = tmp_path / "run"
    run.mkdir()
    where = _run([str(python), "-c", "import webui, bpmn, migrations; print(webui.__file__)"], cwd=run, env=env)
    assert where.startswith(str(venv)), where
    gridsafe = str(venv / "bin" / "gridsafe")
    assert "hazard_lifecycle: deployed" in _run([gridsafe, "init"], cwd=run, env=env)
    assert (run / "instance" / "gridsafe.db").exists()                      # beside the commands, not in the venv
    _run([gridsafe, "user", "create", "owner", "--role", "process_owner", "--password", "long-enough-1"],
         cwd=run, env=env)
    port = _free_port()
    server = subprocess.Popen([gridsafe, "serve", "--port", str(port), "--workers", "1"], cwd=run, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        browser.addheaders = [("Accept-Language", "zh-CN,zh;q=0.9")]
        login = _wait_for(browser, f"{base}/login")
        assert "登录" in login and 'lang="zh' in login
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        form = urllib.parse.urlencode({"username": "owner", "password": "long-enough-1", "csrf_token": token})
        browser.open(f"{base}/login", data=form.encode(), timeout=10).read()
        editor = browser.open(f"{base}/models/hazard_lifecycle/edit", timeout=10).read().decode()
        assert "vendor/gridsafe-modeler.js" in editor
        bundle = browser.open(f"{base}/static/vendor/gridsafe-modeler.js", timeout=10).read()
        assert len(bundle) > 100_000                                       # the built bpmn-js bundle
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert '"logger": "gridsafe.http"' in output                           # JSON log lines, one per request


def _wait_for(browser, url: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return browser.open(url, timeout=5).read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
