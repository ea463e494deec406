"""Cancelling a hazard raised in error (已撤销): a request with a reason, approved by a leader (or by
another specialist when CANCEL_APPROVERS says so), audited; it counts from the day of approval, so the
indicators of a past period never change. Through hazard_lifecycle.bpmn with a moved clock."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from engine import AuditEvent, ProcessInstance
from hazard_support import HazardWorld
from records import Cancellation, Notification, User, indicators, kpi
from services import Conflict, Forbidden, Invalid, NotFound, cancellations

SETS = ["discovered", "filed", "open_at_end", "monitored", "to_eliminate", "notified", "signed"]


@pytest.fixture
def world(sessions, clock, tmp_path):
    w = HazardWorld(sessions, clock, tmp_path)
    with sessions() as s:
        county = s.scalars(select(User).where(User.username == "sup1")).one().branch
        for name in ("spec1", "spec2"):
            user = User(username=name, display_name=name, password_hash="x", created_at=clock.now(), branch=county,
                        active=True, locale="zh_CN")
            user.set_roles(["specialist"])
            s.add(user)
        s.commit()
    return w


def _user(s, name):
    return s.scalars(select(User).where(User.username == name)).one()


def _counts(world, first, last):
    with world.sessions() as s:
        scope = kpi.make_scope(first, last, world.clock.now())
        counts = kpi.hazard_counts(s, scope, SETS)[None]
        rates = indicators.compute(s, scope, ["filing", "elimination", "monitoring"])[None]
        return counts, {k: (r.num, r.den) for k, r in rates.items()}


MARCH, APRIL = (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 4, 30))


def test_a_hazard_cancelled_in_april_leaves_marchs_indicators_unchanged(world):
    iid = world.open()                                 # found and signed on 2026-03-02
    world.sign(iid)
    number = world.hazard(iid).file_number
    world.clock.set(datetime(2026, 4, 3, 2, 0, tzinfo=timezone.utc))
    march_before = _counts(world, *MARCH)
    assert march_before[0]["discovered"] == 1 and march_before[0]["open_at_end"] == 1
    assert _counts(world, *APRIL)[0]["open_at_end"] == 1
    with world.sessions() as s:
        asked = cancellations.request(world.rt, s, _user(s, "spec1"), number, "误报：该设备已于上月拆除")
        asked_id, version = asked.id, asked.lock_version
    assert world.hazard(iid).status == "rectifying" and world.instance(iid).status == "running"   # only asked
    world.clock.set(datetime(2026, 4, 6, 2, 0, tzinfo=timezone.utc))
    assert _counts(world, *APRIL)[0]["to_eliminate"] == 1         # a pending request changes nothing
    with world.sessions() as s:
        cancellations.decide(world.rt, s, _user(s, "lead1"), asked_id, approve=True, lock_version=version,
                             comment="同意")
    hazard = world.hazard(iid)
    assert hazard.status == "cancelled" and hazard.cancelled_at == world.clock.now()
    assert world.instance(iid).status == "terminated"
    world.clock.set(datetime(2026, 4, 20, 2, 0, tzinfo=timezone.utc))
    assert _counts(world, *MARCH) == march_before                 # March, read again: the same numbers
    assert _counts(world, *APRIL)[0]["to_eliminate"] == 0         # from the approval on it counts nowhere
    events = world.events(iid)
    assert events[-2:] == ["cancel_requested", "cancelled"]
    with world.sessions() as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action.like("hazard.cancel%"))
                          .order_by(AuditEvent.id)).all()
        assert [(a.action, a.actor) for a in audit] == [("hazard.cancel_requested", "spec1"),
                                                       ("hazard.cancel_approved", "lead1")]
        leader = _user(s, "lead1")
        assert s.scalars(select(Notification).where(Notification.user_id == leader.id,
                                                    Notification.kind == "cancellation")).first() is not None


def test_a_refused_request_leaves_the_hazard_open_and_only_an_approver_who_did_not_ask_decides(world):
    iid = world.open()
    world.sign(iid)
    number = world.hazard(iid).file_number
    with world.sessions() as s:
        with pytest.raises(Invalid):
            cancellations.request(world.rt, s, _user(s, "spec1"), number, "   ")
        with pytest.raises(Forbidden):                                    # inspectors do not ask
            cancellations.request(world.rt, s, _user(s, "insp1"), number, "误报")
        row = cancellations.request(world.rt, s, _user(s, "spec1"), number, "误报")
        with pytest.raises(Conflict):                                     # one request at a time
            cancellations.request(world.rt, s, _user(s, "spec2"), number, "误报")
        for who in ("spec1", "spec2", "sup1"):                           # leaders decide by default
            with pytest.raises(Forbidden):
                cancellations.decide(world.rt, s, _user(s, who), row.id, approve=True, lock_version=row.lock_version)
        with pytest.raises(NotFound):
            cancellations.decide(world.rt, s, _user(s, "lead1"), 999999, approve=True, lock_version=1)
        cancellations.decide(world.rt, s, _user(s, "lead1"), row.id, approve=False, lock_version=row.lock_version,
                             comment="现场核实隐患存在")
        with pytest.raises(Conflict):                                     # already decided
            cancellations.decide(world.rt, s, _user(s, "lead1"), row.id, approve=True, lock_version=row.lock_version)
    assert world.hazard(iid).status == "rectifying" and world.instance(iid).status == "running"
    assert world.events(iid)[-1] == "cancel_refused"
    with world.sessions() as s:
        assert s.get(Cancellation, row.id).status == "refused"


def test_by_configuration_another_specialist_approves(world):
    iid = world.open()
    number = world.hazard(iid).file_number
    world.settings["CANCEL_APPROVERS"] = ["leader", "specialist"]
    with world.sessions() as s:
        row = cancellations.request(world.rt, s, _user(s, "spec1"), number, "重复登记")
        with pytest.raises(Forbidden):                                    # never the one who asked
            cancellations.decide(world.rt, s, _user(s, "spec1"), row.id, approve=True, lock_version=row.lock_version)
        cancellations.decide(world.rt, s, _user(s, "spec2"), row.id, approve=True, lock_version=row.lock_version)
    assert world.hazard(iid).status == "cancelled"
    with world.sessions() as s:
        assert s.get(ProcessInstance, iid).status == "terminated"
