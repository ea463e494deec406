"""Logs are one JSON object per line, and the id of a request is in its log line, in the X-Request-ID
answer header and on the audit events the engine wrote for it."""
from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import select

from engine import AuditEvent
from services import logs
from web_support import api_token
from webui import db, engine_of


@pytest.fixture
def log_lines():
    yield from _lines({"LOG_FORMAT": "json"})


def _lines(config: dict):
    stream, root, spiff = io.StringIO(), logging.getLogger(), logging.getLogger(logs.ENGINE_LOGGER)
    levels = root.level, spiff.level
    handler = logs.configure(config, stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(levels[0])
    spiff.setLevel(levels[1])


def test_the_engine_s_task_lines_with_their_data_are_left_out_unless_asked_for(site):
    """SpiffWorkflow logs each task state change at INFO with the task's data (a customer's contacts)."""
    quiet = _lines({"LOG_FORMAT": "json"})
    lines = next(quiet)
    site.start_visit()
    assert not [line for line in lines() if line["logger"].startswith("spiff")]
    next(quiet, None)
    loud = _lines({"LOG_FORMAT": "json", "ENGINE_LOG_LEVEL": "INFO"})
    lines = next(loud)
    site.start_visit()
    changes = [line for line in lines() if line["logger"] == "spiff.task"]
    assert changes and all("data" in line for line in changes)
    next(loud, None)
    assert logs.gunicorn_logconfig({})["loggers"][logs.ENGINE_LOGGER]["level"] == "WARNING"
    assert logs.gunicorn_logconfig({"ENGINE_LOG_LEVEL": "INFO"})["loggers"]["spiff"]["level"] == "INFO"


def test_a_request_id_joins_the_log_line_the_answer_and_the_audit_event(client, site, log_lines):
    instance_id = site.start_visit()
    token = {"Authorization": f"Bearer {api_token(site.app, 'admin')}", "X-Request-ID": "req-42.a"}
    response = client.post(f"/api/v1/instances/{instance_id}/actions", headers=token,
                           json={"action": "suspend", "reason": "客户停产"})
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "req-42.a"
    line = [entry for entry in log_lines() if entry.get("event") == "request" and entry["status"] == 200][-1]
    assert line["request_id"] == "req-42.a" and line["logger"] == "gridsafe.http" and line["user"] == "admin"
    assert line["route"] == "/api/v1/instances/<int:instance_id>/actions" and line["duration_ms"] >= 0
    assert "T" in line["time"] and line["level"] == "INFO"
    with site.app.app_context():
        event = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "instance.suspended")).one()
        assert event.request_id == "req-42.a"
        started = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "instance.started")).first()
        assert started.request_id is None                           # written outside any request
        checked, breaks = engine_of(site.app).verify_audit(db.session())
        assert checked >= 2 and not breaks                          # the id is part of the chain's hash


def test_an_unsafe_or_missing_request_id_is_replaced_by_a_new_one(client, log_lines):
    first = client.get("/healthz", headers={"X-Request-ID": "bad id {\"x\": 1}"}).headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second and " " not in first and len(first) == 16
    assert [e["request_id"] for e in log_lines() if e.get("event") == "request"][-2:] == [first, second]


def test_log_lines_outside_a_request_are_json_with_the_block_s_id(log_lines):
    with logs.request_id("tick-1"):
        logging.getLogger("gridsafe.scheduler").warning("timer %s failed: %s", "T1", "无此客户")
    logging.getLogger("gridsafe.scheduler").info("after")
    first, second = log_lines()[-2:]
    assert first == {**first, "message": "timer T1 failed: 无此客户", "request_id": "tick-1", "level": "WARNING"}
    assert second["request_id"] is None


def test_an_edited_request_id_breaks_the_audit_chain(site):
    from engine import audit
    with logs.request_id("r-1"):
        site.start_visit()
    with site.app.app_context():
        session = db.session()
        event = session.scalars(select(AuditEvent).where(AuditEvent.request_id == "r-1")).first()
        assert event is not None and event.hash == audit._digest(event)
        event.request_id = "r-2"                                   # as if edited in the file, not saved
        assert event.hash != audit._digest(event)
        session.rollback()


def test_a_scheduler_tick_runs_under_an_id_of_its_own(monkeypatch, tmp_path):
    """What a tick writes (audit events through engine.audit, log lines) carries one id starting with tick-."""
    import services
    from engine.audit import REQUEST_ID
    from services import jobs, scheduler
    seen = []
    monkeypatch.setattr(jobs, "run_tick", lambda rt, name: seen.append(REQUEST_ID.get()) or {})
    rt = services.build({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "DATA_DIR": str(tmp_path / "d")})
    scheduler.run(rt, name="t", once=True, echo=lambda line: None)
    assert len(seen) == 1 and seen[0].startswith("tick-") and REQUEST_ID.get() is None
