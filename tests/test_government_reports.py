"""报告到位: a hazard is reported to the government when a report is submitted (the report log: day,
method, one row per recipient), not when the document is generated; the reply goes on the timeline.
Through hazard_lifecycle.bpmn with the real handlers and a moved clock."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from hazard_support import HazardWorld
from records import Hazard, HazardEvent, ReportLog, User, hazards, indicators, kpi
from services import Conflict, Invalid, reports


@pytest.fixture
def world(sessions, clock, tmp_path):
    return HazardWorld(sessions, clock, tmp_path)


def _major(world) -> tuple[int, Hazard]:
    iid = world.open(item_code="IL01")             # 重大 everywhere: reported on delivery of the notice
    world.sign(iid)
    world.clock.advance(minutes=1)                # the indicators count what happened before now
    return iid, world.hazard(iid)


def _logs(s, hazard_id, reason="major"):
    return s.scalars(select(ReportLog).where(ReportLog.hazard_id == hazard_id, ReportLog.reason == reason)
                     .order_by(ReportLog.id)).all()


def _major_rate(world, s):
    scope = kpi.make_scope(date(2026, 3, 1), date(2026, 3, 31), world.clock.now())
    rate = indicators.compute(s, scope, ["major_reported"])[None]["major_reported"]
    return rate.num, rate.den


def _leader(s):
    return s.scalars(select(User).where(User.username == "lead1")).one()


def test_generating_the_report_is_not_reporting_and_there_is_one_log_row_per_recipient(world):
    iid, hazard = _major(world)
    assert not hazard.reported_to_government and hazard.reported_at is None
    assert "report_prepared" in world.events(iid) and "reported" not in world.events(iid)
    with world.sessions() as s:
        logs = _logs(s, hazard.id)
        assert sorted(log.recipient for log in logs) == sorted(world.settings["AUTHORITIES"].values())
        assert {log.reason for log in logs} == {"major"} and {log.status for log in logs} == {"pending"}
        assert len({log.document_id for log in logs}) == 1          # one document, sent to each
        assert _major_rate(world, s) == (0, 1)


def test_the_logged_submission_sets_the_flag_the_event_and_the_five_working_day_rate(world):
    iid, hazard = _major(world)                   # found Mon 2026-03-02; 5 working days end Mon 03-09
    world.clock.advance(days=8)                   # recorded on Tue 03-10, submitted by post on Fri 03-06
    with world.sessions() as s:
        first, second, *_ = _logs(s, hazard.id)
        reports.submit(world.rt, s, _leader(s), first.id, delivery="post", lock_version=first.lock_version,
                       submitted_on="2026-03-06")
    hazard = world.hazard(iid)
    assert hazard.reported_to_government
    assert hazard.reported_at == datetime(2026, 3, 6, 4, 0, tzinfo=timezone.utc)      # noon in Ji'an
    with world.sessions() as s:
        reported = s.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard.id,
                                                       HazardEvent.kind == "reported")).all()
        assert [(e.at, e.detail["recipient"], e.detail["delivery"]) for e in reported] == \
            [(hazard.reported_at, first.recipient, "post")]
        assert reported[0].status_after == "rectifying"
        assert _major_rate(world, s) == (1, 1)
        # the second recipient, today: a second row and event, still one hazard reported
        reports.submit(world.rt, s, _leader(s), second.id, delivery="email", lock_version=second.lock_version)
    assert world.hazard(iid).reported_at == hazard.reported_at            # the first submission stays
    with world.sessions() as s:
        assert [log.status for log in _logs(s, hazard.id)][:2] == ["submitted", "submitted"]
        assert _major_rate(world, s) == (1, 1)
    assert world.events(iid).count("reported") == 2


def test_a_submission_after_five_working_days_is_reported_but_not_in_time(world):
    iid, hazard = _major(world)
    world.clock.advance(days=9)                   # Wed 03-11: beyond Mon 03-09
    with world.sessions() as s:
        log = _logs(s, hazard.id)[0]
        reports.submit(world.rt, s, _leader(s), log.id, delivery="in_person", lock_version=log.lock_version)
    assert world.hazard(iid).reported_to_government
    world.clock.advance(minutes=1)
    with world.sessions() as s:
        assert _major_rate(world, s) == (0, 1)
        scope = kpi.make_scope(date(2026, 3, 1), date(2026, 3, 31), world.clock.now())
        assert kpi.hazard_counts(s, scope, ["reported"])[None]["reported"] == 1


def test_the_reply_goes_on_the_hazards_timeline(world):
    iid, hazard = _major(world)
    world.clock.advance(days=1)
    with world.sessions() as s:
        log = _logs(s, hazard.id)[0]
        with pytest.raises(Conflict):                                 # nothing to reply to yet
            reports.record_reply(world.rt, s, _leader(s), log.id, reply="已收悉", lock_version=log.lock_version)
        log = reports.submit(world.rt, s, _leader(s), log.id, delivery="system", lock_version=log.lock_version)
        world.clock.advance(days=3)
        with pytest.raises(Invalid):
            reports.record_reply(world.rt, s, _leader(s), log.id, reply="  ", lock_version=log.lock_version)
        reports.record_reply(world.rt, s, _leader(s), log.id, reply="已责成客户三日内整改，市发改委将现场督办",
                             lock_version=log.lock_version)
    with world.sessions() as s:
        reply = [e for e in hazards.timeline(s, hazard.id) if e.kind == "government_reply"]
        assert len(reply) == 1 and reply[0].detail["reply"].startswith("已责成客户")
        assert reply[0].at == world.clock.now() and s.get(ReportLog, log.id).reply.startswith("已责成客户")


@pytest.mark.parametrize("day", ["2026-03-01", "2026-03-05", "3/4/2026"])
def test_a_submission_day_outside_the_reports_life_is_refused_and_nothing_written(world, day):
    iid, hazard = _major(world)                   # made 03-02; today is 03-04
    world.clock.advance(days=2)
    with world.sessions() as s:
        log = _logs(s, hazard.id)[0]
        with pytest.raises(Invalid) as refused:
            reports.submit(world.rt, s, _leader(s), log.id, delivery="post", lock_version=log.lock_version,
                           submitted_on=day)
        assert "submitted_on" in refused.value.errors
        s.rollback()
    with world.sessions() as s:
        assert {x.status for x in _logs(s, hazard.id)} == {"pending"}
    assert not world.hazard(iid).reported_to_government and "reported" not in world.events(iid)
