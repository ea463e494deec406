"""The demo data set loaded once per test session into a template database; each test gets its own copy."""
from __future__ import annotations

import fcntl
import os
import shutil

import pytest
from click.testing import CliRunner

DEMO_PASSWORD = "gridsafe-demo"


def _app(db_path, data_dir):
    from webui import create_app
    return create_app({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": f"sqlite:///{db_path}",
                       "DATA_DIR": str(data_dir)})


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """(database file, data folder) holding `gridsafe init` and `gridsafe demo` (20-30 s), built once per
    test run: under pytest-xdist the first worker that needs it builds it in the run's shared folder while
    the others wait on a lock, then every worker copies it."""
    from cli import main
    from webui import db
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "demo-template"
    with open(shared / "demo-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "complete").exists():
            shutil.rmtree(folder, ignore_errors=True)        # a build that failed half-way starts again
            folder.mkdir()
            app = _app(folder / "demo.db", folder / "data")
            for command in (["init"], ["demo"]):
                result = CliRunner().invoke(main, command, obj={"app": app})
                assert result.exit_code == 0, result.output
            with app.app_context():
                db.session().get_bind().dispose()        # everything in the main file, nothing left in the WAL
            (folder / "complete").touch()
    return folder / "demo.db", folder / "data"


@pytest.fixture
def demo_app(demo_template, tmp_path):
    """The app on a fresh copy of the demo (real clock: the demo's dates are relative to today)."""
    db_file, data = demo_template
    for suffix in ("", "-wal", "-shm"):
        source = db_file.with_name(db_file.name + suffix)
        if source.exists():
            shutil.copy(source, tmp_path / ("demo.db" + suffix))
    shutil.copytree(data, tmp_path / "data")
    return _app(tmp_path / "demo.db", tmp_path / "data")


def demo_client(app, username: str):
    from web_support import csrf_of
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                            "csrf_token": csrf_of(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client
