"""The service around the engine: settings, the gridsafe command, /healthz."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import text

from services import config
from support import DIAGRAMS


def _commands(group, path=()) -> list[list[str]]:
    """Every command and sub-command of the CLI, found by walking it (a new command is covered too)."""
    import click

    from cli import main
    group = group or main
    found = [list(path)]
    for name, command in getattr(group, "commands", {}).items():
        found += _commands(command, (*path, name)) if isinstance(command, click.Group) else [[*path, name]]
    return found


COMMANDS = _commands(None)


def test_settings_have_defaults_and_environment_overrides():
    loaded = config.load({}, environ={"GRIDSAFE_PORT": "9001", "GRIDSAFE_DATABASE_URL": "sqlite:///x.db",
                                      "GRIDSAFE_DATA_DIR": "/srv/gs"})
    assert loaded["PORT"] == 9001 and loaded["DATABASE_URL"] == "sqlite:///x.db" and loaded["DATA_DIR"] == "/srv/gs"
    assert config.load({}, environ={})["DATABASE_URL"].endswith("instance/gridsafe.db")


def test_outside_development_the_default_secret_key_is_refused():
    with pytest.raises(RuntimeError, match="GRIDSAFE_SECRET_KEY"):
        config.load({}, environ={"GRIDSAFE_ENV": "production"})
    assert config.load({}, environ={"GRIDSAFE_ENV": "production", "GRIDSAFE_SECRET_KEY": "Zq8vL2mN7xR4tW9kP3sB6yH1cF5gJ0dA"})


@pytest.mark.parametrize("key", ["k", "short-but-random-9x", "s" * 40])
def test_production_refuses_a_short_or_repetitive_secret_key(key):
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        config.load({}, environ={"GRIDSAFE_ENV": "production", "GRIDSAFE_SECRET_KEY": key})


def test_the_demo_data_is_refused_outside_development(sqlite_url, tmp_path):
    from click.testing import CliRunner

    from cli import main
    from records import User
    from webui import create_app
    from web_support import count_rows
    app = create_app({"ENV": "production", "SECRET_KEY": "Zq8vL2mN7xR4tW9kP3sB6yH1cF5gJ0dA", "DATABASE_URL": sqlite_url,
                      "DATA_DIR": str(tmp_path)})
    result = CliRunner().invoke(main, ["demo"], obj={"app": app})
    assert result.exit_code != 0 and "GRIDSAFE_ENV=development" in result.output
    assert count_rows(app, User) == 0


def test_a_malformed_setting_is_named_in_the_error():
    with pytest.raises(ValueError, match="GRIDSAFE_PORT must be a whole number"):
        config.load({}, environ={"GRIDSAFE_PORT": "eighty"})
    with pytest.raises(ValueError, match="GRIDSAFE_HOLIDAYS must be a JSON list"):
        config.load({}, environ={"GRIDSAFE_HOLIDAYS": "2026-10-01"})
    with pytest.raises(ValueError, match="'2026-10-32' is not a date"):
        config.load({}, environ={"GRIDSAFE_HOLIDAYS": '["2026-10-01", "2026-10-32"]'})
    loaded = config.load({}, environ={"GRIDSAFE_HOLIDAYS": '["2026-10-01..2026-10-07"]',
                                      "GRIDSAFE_MAKEUP_WORKDAYS": '["2026-09-27"]'})
    assert loaded["HOLIDAYS"] == ["2026-10-01..2026-10-07"] and loaded["MAKEUP_WORKDAYS"] == ["2026-09-27"]
    with pytest.raises(ValueError, match="GRIDSAFE_ENGINE_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or "
                                         "CRITICAL, not 'VERBOSE'"):
        config.load({}, environ={"GRIDSAFE_ENGINE_LOG_LEVEL": "verbose"})
    with pytest.raises(ValueError, match="GRIDSAFE_LOG_LEVEL must be"):
        config.load({}, environ={"GRIDSAFE_LOG_LEVEL": "loud"})
    loaded = config.load({}, environ={"GRIDSAFE_LOG_LEVEL": "warning", "GRIDSAFE_ENGINE_LOG_LEVEL": " info"})
    assert (loaded["LOG_LEVEL"], loaded["ENGINE_LOG_LEVEL"]) == ("WARNING", "INFO")


def test_a_command_refuses_a_malformed_setting_in_one_line_without_a_traceback(tmp_path):
    env = {**os.environ, "GRIDSAFE_INSTANCE_DIR": str(tmp_path), "GRIDSAFE_LOG_LEVEL": "verbose"}
    done = subprocess.run([sys.executable, "-m", "cli", "tick"], capture_output=True, text=True, timeout=60,
                          env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "Error: GRIDSAFE_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, " \
                                  "not 'VERBOSE'"
    assert not list(tmp_path.iterdir())                       # refused before anything was made


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "gridsafe")
def test_every_command_has_help(args):
    done = subprocess.run([sys.executable, "-m", "cli", *args, "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage: " in done.stdout and "--help" in done.stdout


def test_init_migrates_and_tick_runs_what_is_due(runner, app):
    assert "schema is up to date" in runner.invoke(["init"]).output
    result = runner.invoke(["tick", "--now", "2027-01-01T00:00:00+08:00"])
    assert result.exit_code == 0 and "'fired': 0" in result.output
    assert "'statistics': True" in result.output              # the SQLite planner's statistics, once a day
    assert "'statistics': None" in runner.invoke(["tick", "--now", "2027-01-01T09:00:00+08:00"]).output
    with app.app_context():
        from webui import db
        assert db.session().execute(text("SELECT count(*) FROM sqlite_stat1")).scalar() > 0


def test_bpmn_lint_exits_nonzero_and_names_the_problem(runner, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text((DIAGRAMS / "review.bpmn").read_text().replace('"R/P1D"', "R/P1D"))
    result = runner.invoke(["bpmn", "lint", str(bad)])
    assert result.exit_code == 1
    assert "[daily_reminder]" in result.output and 'write it in quotes' in result.output


def test_audit_verify_reports_a_clean_trail(runner, app):
    runner.invoke(["init"])
    result = runner.invoke(["audit", "verify"])
    assert result.exit_code == 0 and "0 problems" in result.output


def test_healthz_reports_database_and_scheduler(client, runner, app, clock):
    answer = client.get("/healthz")
    body = answer.get_json()
    assert body["database"]["ok"] is True and body["scheduler"]["state"] == "never" and answer.status_code == 503
    runner.invoke(["tick"])
    clock.advance(hours=1)                    # the runtime's clock says nothing of the scheduler's health ...
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json()["status"] == "ok"
    assert 0 <= answer.get_json()["scheduler"]["lag_seconds"] < 60      # ... the wall clock does


def test_healthz_is_503_when_the_last_real_beat_is_old_and_a_tick_at_a_future_instant_does_not_fake_it(
        client, runner, app):
    from datetime import datetime, timedelta, timezone

    from engine import SchedulerBeat
    from webui import db
    runner.invoke(["tick"])
    with app.app_context():
        session = db.session()
        beat = session.get(SchedulerBeat, "tick")
        beat.last_tick_at = datetime.now(timezone.utc) - timedelta(hours=1)     # the scheduler died an hour ago
        session.commit()
    assert client.get("/healthz").status_code == 503
    assert runner.invoke(["tick", "--now", "2099-01-01T00:00:00+08:00"]).exit_code == 0
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.get_json()["scheduler"]["state"] == "lagging"


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path, clock):
    from webui import create_app
    app = create_app({"ENV": "testing", "SECRET_KEY": "k", "DATA_DIR": str(tmp_path / "data"), "CLOCK": clock,
                      "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"})
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503 and answer.get_json()["database"]["ok"] is False


def test_the_demo_data_loads_once_and_a_second_run_changes_nothing(sqlite_url, tmp_path, clock):
    from click.testing import CliRunner
    from sqlalchemy import func, select

    from engine import AuditEvent, HumanTask, ProcessInstance
    from records import Customer, Document, Hazard, User
    from webui import create_app, db
    from cli import main
    app = create_app({"ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path),
                      "CLOCK": clock})

    def counts():
        with app.app_context():
            s = db.session()
            return {m.__name__: s.scalar(select(func.count()).select_from(m))
                    for m in (User, Customer, Hazard, ProcessInstance, HumanTask, Document, AuditEvent)}

    runner = CliRunner()
    assert runner.invoke(main, ["init"], obj={"app": app}).exit_code == 0
    first = runner.invoke(main, ["demo"], obj={"app": app})
    assert first.exit_code == 0, first.output
    loaded = counts()      # hazards at every stage, the one a finished demo inspection found, a year's history
    from services import demo_hazards, demo_history
    assert loaded["User"] == 8 and loaded["Customer"] == 12
    assert loaded["Hazard"] == len(demo_hazards.STORIES) + 1 + len(demo_history.HISTORY)
    assert loaded["HumanTask"] > 11
    second = runner.invoke(main, ["demo"], obj={"app": app})
    assert "nothing to do" in second.output and counts() == loaded
    with app.app_context():
        statuses = set(db.session().scalars(select(Hazard.status)))
    assert {"found", "rectifying", "overdue", "accepted", "closed"} <= statuses
    with app.app_context():
        from records import HazardEvent
        kinds = set(db.session().scalars(select(HazardEvent.kind)))
    assert {"notice_overdue", "rectification_refused", "order_issued"} <= kinds     # a late notice, a refusal


def test_serve_on_an_initialised_sqlite_database_takes_writes(tmp_path):
    """`gridsafe serve` after `init` (the diagrams are unchanged, so deploying only reads): the served app
    can write at once. It once kept a read transaction open across gunicorn's fork, which held SQLite's
    write lock, and every write request waited for the busy timeout and failed."""
    import socket
    import time
    import urllib.error
    import urllib.request

    from web_support import png
    env = {**os.environ, "GRIDSAFE_DATABASE_URL": f"sqlite:///{tmp_path / 'gs.db'}",
           "GRIDSAFE_DATA_DIR": str(tmp_path / "data"), "GRIDSAFE_DB_BUSY_TIMEOUT_MS": "3000"}

    def cli(*args, **kwargs):
        done = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                              timeout=120, **kwargs)
        assert done.returncode == 0, done.stderr
        return done.stdout

    cli("init")
    cli("user", "create", "insp", "--role", "inspector", "--password", "pass-word-1")
    token = cli("token", "create", "insp").strip().split()[-1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except urllib.error.HTTPError:      # up, and saying 503 (no scheduler runs here)
                break
            except OSError:
                time.sleep(0.2)
        boundary = "gridsafe-test"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nphoto\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
                "Content-Type: image/png\r\n\r\n").encode() + png() + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(base + "/api/v1/attachments", data=body, method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(request, timeout=20) as response:
            assert response.status == 201
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
