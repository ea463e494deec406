"""services.status on SQLite and PostgreSQL: sizes, beats, timer lag, outbox per channel; administrators only."""
from __future__ import annotations

from datetime import timedelta

import pytest
import services
from engine import FixedClock, ModelVersion, ProcessInstance, SchedulerBeat
from records import User, outbox
from services import Forbidden, access, status
from support import FORMS


@pytest.fixture
def rt(db_url, tmp_path):
    return services.build({"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "data"), "FORMS_DIR": str(FORMS)},
                          clock=FixedClock("2026-06-01T02:00:00+00:00"))


def test_the_snapshot_reads_the_database_it_runs_on(rt):
    now = rt.now()
    with rt.sessions() as s:
        s.add(SchedulerBeat(name="a:1", last_tick_at=now - timedelta(seconds=30), last_duration_ms=4, fired=0, errors=0))
        s.add(SchedulerBeat(name="b:2", last_tick_at=now - timedelta(seconds=900), last_duration_ms=4, fired=0, errors=1))
        for channel, address in (("email", None), ("email", "a@example.cn"), ("sms", "13800000000")):
            outbox.enqueue(s, now=now, channel=channel, kind="test", recipient="张三", address=address,
                           subject="测试", body="测试")
        s.commit()
    with rt.read_sessions() as s:
        state = status.snapshot(rt, s, access.SYSTEM)
    assert state["database"]["ok"] and state["database"]["size"] > 0
    assert state["database"]["dialect"] == rt.sa.dialect.name and "password" not in state["database"]["url"]
    assert [(b["name"], b["age_seconds"], b["late"]) for b in state["schedulers"]] == [("a:1", 30, False),
                                                                                       ("b:2", 900, True)]
    assert state["outbox"]["email"] == {"pending": 1, "failed": 1, "retrying": 0}
    assert state["outbox"]["sms"]["pending"] == 1 and state["timer_lag_seconds"] == 0
    assert state["calendar"]["gaps"] == [] and state["disk"]["free"] > 0


def test_timer_lag_is_how_late_the_oldest_due_timer_is(rt):
    now = rt.now()
    with rt.sessions() as s:
        version = ModelVersion(name="p", kind="bpmn", version=1, content_hash="0" * 64, source="<x/>",
                               deployed_at=now, deployed_by="t")
        s.add(version)
        s.flush()
        s.add(ProcessInstance(process_id="p", model_version_id=version.id, status="waiting", state="{}", lock_version=1,
                              next_wake_at=now - timedelta(minutes=7), started_by="t", created_at=now,
                              updated_at=now))
        s.add(ProcessInstance(process_id="p", model_version_id=version.id, status="suspended", state="{}", lock_version=1,
                              next_wake_at=now - timedelta(hours=7), started_by="t", created_at=now, updated_at=now))
        s.commit()
    with rt.read_sessions() as s:
        assert status.timer_lag(s, now) == 420.0                       # a suspended one does not count


def test_a_person_without_the_right_gets_nothing(rt):
    inspector = User(username="i", display_name="i", password_hash="x", active=True, locale="zh_CN")
    inspector.set_roles(["inspector"])
    with rt.read_sessions() as s, pytest.raises(Forbidden):
        status.snapshot(rt, s, inspector)
