"""hazard_lifecycle.bpmn through the engine: 发现、治理、验收、销号 with 通知、报告、服务、督导."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from hazard_support import HazardWorld

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(sessions, clock, tmp_path):
    return HazardWorld(sessions, clock, tmp_path)


def test_the_happy_path_from_discovery_to_close_out(world):
    iid = world.open()
    hazard = world.hazard(iid)
    assert hazard.file_number == "YH-JA-JZ-2026-00001" and hazard.status == "found"
    assert world.instance(iid).business_key == hazard.file_number
    task = world.task(iid, "deliver_notice")
    assert task.candidate_team == "JA-T1" and task.lane == "inspector" and "YH-JA-JZ-2026-00001-GZ" in task.instructions
    world.sign(iid)
    assert world.hazard(iid).status == "rectifying" and world.ready(iid) == ["follow_up"]
    world.rectified(iid)
    assert world.hazard(iid).status == "pending_acceptance" and world.ready(iid) == ["accept_on_site"]
    world.accept(iid)
    approval = world.task(iid, "close_approval")
    assert approval.assignee == "head1"
    world.complete(iid, "close_approval", {"approved": "yes", "comment": "同意销号"}, actor="head1")
    assert world.instance(iid).status == "completed"
    hazard = world.hazard(iid)
    assert hazard.status == "closed" and hazard.closed_at is not None
    assert world.events(iid) == ["registered", "notice_signed", "rectification_started", "rectification_reported",
                                 "accepted", "closed"]


def test_overdue_supervision_then_leader_escalation_then_government_report(world, sessions):
    from sqlalchemy import select
    from records import Document, Notification, ReportLog, User
    iid = world.open(item_code="EN03")                    # 3 days to rectify
    world.sign(iid)
    deadline = world.hazard(iid).deadline
    assert world.tick(days=3).fired == 0                  # not before the end of the third day
    world.clock.set(deadline)
    assert world.tick(seconds=1).fired == 1
    assert world.hazard(iid).status == "overdue"
    assert world.ready(iid) == ["follow_up", "issue_order"]     # supervision does not cancel rectification
    issue = world.task(iid, "issue_order")
    assert issue.lane == "supervisor" and issue.candidate_team == "JA-JZ"     # the supervisor's inbox, not the team's
    world.issue(iid, requirements="立即租用发电机作临时保安电源", days=5)
    deliver = world.task(iid, "deliver_order")
    assert deliver.lane == "inspector" and deliver.candidate_team == "JA-T1"   # the inspection team delivers it
    world.complete(iid, "deliver_order", {"progress": "未整改", "customer_reason": "资金未到位",
                                          "photos": [world.photo(21)], "signer_name": "王电工",
                                          "signature": world.signature()})
    first = world.hazard(iid)
    assert first.status == "supervising" and first.supervision_count == 1
    assert (first.deadline - world.clock.now()).days in (4, 5)                # the days the supervisor set
    assert world.ready(iid) == ["follow_up"]
    for count in (2, 3):
        world.clock.set(world.hazard(iid).deadline)
        assert world.tick(seconds=1).fired == 1
        world.supervise(iid)
        assert world.hazard(iid).supervision_count == count
    hazard = world.hazard(iid)
    assert not hazard.reported_to_government and hazard.status == "supervising"     # prepared, not yet submitted
    kinds = world.events(iid)
    assert kinds.count("supervised") == 3 and kinds.count("escalated_to_leader") == 1
    assert kinds.count("report_prepared") == 1 and kinds.count("reported") == 0
    with sessions() as s:
        leader = s.scalars(select(User).where(User.username == "lead1")).one()
        supervisor = s.scalars(select(User).where(User.username == "sup1")).one()
        notes = {(n.user_id, n.kind) for n in s.scalars(select(Notification))}
        orders = s.scalars(select(Document).where(Document.kind == "supervision_order")).all()
        reports = s.scalars(select(ReportLog)).all()
    assert (leader.id, "escalation") in notes and (leader.id, "government_report") in notes
    assert (supervisor.id, "supervision") in notes
    assert sorted({d.number for d in orders}) == [f"{hazard.file_number}-DD{n}" for n in (1, 2, 3)]
    assert {r.reason for r in reports} == {"third_overdue"} and {r.status for r in reports} == {"pending"}
    assert len(reports) == len(world.settings["AUTHORITIES"])              # one row per recipient


def test_a_failed_acceptance_goes_back_to_rectification_with_a_new_deadline(world):
    iid = world.open()
    world.sign(iid)
    world.rectified(iid)
    new_day = (world.clock.now() + timedelta(days=20)).date()
    world.accept(iid, passed=False, new_deadline=new_day.isoformat())
    hazard = world.hazard(iid)
    assert hazard.status == "rectifying" and hazard.deadline.date() == new_day
    assert world.ready(iid) == ["follow_up"]
    assert world.events(iid)[-2:] == ["acceptance_failed", "rectification_resumed"]
    world.rectified(iid)
    world.accept(iid)
    world.complete(iid, "close_approval", {"approved": "yes"}, actor="head1")
    assert world.hazard(iid).status == "closed"


def test_a_refusal_to_sign_is_recorded_with_a_witness_and_reported(world):
    from sqlalchemy import select
    from records import ReportLog
    iid = world.open()
    world.refuse(iid)
    hazard = world.hazard(iid)
    assert hazard.refused_to_sign and hazard.status == "rectifying"
    assert not hazard.reported_to_government and "report_prepared" in world.events(iid)    # until submitted
    with world.sessions() as s:
        # the refusal raises EP02 (较大 at 一级) to 重大: the customer enters A, reported to superior unit and government
        assert sorted(r.reason for r in s.scalars(select(ReportLog))) == \
            ["grade_a"] * (len(world.settings["AUTHORITIES"]) + 1) + ["refused"] * len(world.settings["AUTHORITIES"])
        # (one row per recipient: the grade-A letter to each authority and the report to the superior unit)
    assert "notice_refused" in world.events(iid)


def test_an_approved_extension_moves_the_deadline_and_its_timer(world):
    iid = world.open(item_code="EN03")
    world.sign(iid)
    old = world.hazard(iid).deadline
    proposed = "2026-05-01"
    world.complete(iid, "follow_up", {"action": "extend", "proposed_deadline": proposed, "reason": "设备到货需 60 天",
                                      "interim_controls": "安排专人值守"})
    approval = world.task(iid, "approve_extension")
    assert approval.lane == "supervisor" and approval.candidate_team == "JA-JZ"
    world.complete(iid, "approve_extension", {"approved": "yes", "comment": "同意"}, actor="sup1")
    hazard = world.hazard(iid)
    assert hazard.deadline.astimezone(SHANGHAI).isoformat() == "2026-05-01T23:59:59+08:00"
    assert world.instance(iid).next_wake_at == hazard.deadline
    world.clock.set(old)
    assert world.tick(days=1).fired == 0 and world.hazard(iid).status == "rectifying"
    assert world.events(iid)[-1] == "extension_approved"


def test_a_refused_extension_keeps_the_deadline(world):
    iid = world.open(item_code="EN03")
    world.sign(iid)
    old = world.hazard(iid).deadline
    world.complete(iid, "follow_up", {"action": "extend", "proposed_deadline": "2026-06-01", "reason": "资金未到位",
                                      "interim_controls": "值守"})
    world.complete(iid, "approve_extension", {"approved": "no", "comment": "不符合延期条件"}, actor="sup1")
    assert world.hazard(iid).deadline == old and world.ready(iid) == ["follow_up"]


def test_rectification_reported_by_message(world):
    iid = world.open()
    world.sign(iid)
    number = world.hazard(iid).file_number
    with world.sessions() as s:
        world.engine.deliver_message(s, "rectification_reported", number,
                                     {"measures": "已更换为 300kW 发电机", "completed_on": "2026-03-10"}, "customer-portal")
    assert world.hazard(iid).status == "pending_acceptance"
    assert world.ready(iid) == ["accept_on_site"]


def test_a_message_for_a_closed_hazard_is_refused_and_changes_nothing(world):
    from engine import NoSubscriber
    iid = world.open()
    world.sign(iid)
    world.rectified(iid)
    world.accept(iid)
    world.complete(iid, "close_approval", {"approved": "yes"}, actor="head1")
    with world.sessions() as s, pytest.raises(NoSubscriber):
        world.engine.deliver_message(s, "rectification_reported", world.hazard(iid).file_number, {}, "portal")
    assert world.hazard(iid).status == "closed"


def queued(world, iid):
    from sqlalchemy import select
    from engine import AuditEvent
    with world.sessions() as s:
        return s.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                  AuditEvent.action == "document.queued")).all()


def test_every_state_change_is_in_the_audit_trail(world):
    from sqlalchemy import select
    from engine import AuditEvent, audit
    iid = world.open()
    world.sign(iid)
    world.rectified(iid)
    with world.sessions() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid)
                                               .order_by(AuditEvent.seq))]
        count, breaks = audit.verify(s)
    for kind in world.events(iid):
        assert f"hazard.{kind}" in actions
    assert "document.queued" in actions and "risk.graded" in actions and "task.completed" in actions
    with world.sessions() as s:                # each document's render is in its own chain (document:<id>)
        rendered = s.scalars(select(AuditEvent).where(AuditEvent.action == "document.rendered")).all()
    assert rendered and {e.after["number"] for e in rendered} == {e.after["number"] for e in queued(world, iid)}
    assert breaks == []
