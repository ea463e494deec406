"""Deadlines through hazard_lifecycle.bpmn with a moved clock (issue 13, domain.md §5.2, §10).

The rectification deadline runs from the notice's delivery; an undelivered notice goes overdue and is
chased; a 督导单 does not make an unrectified hazard "on time" again, so a grade never drops while
nothing was rectified; one grade-A report per set of hazards.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hazard_support import HazardWorld
from records import Notification, ReportLog, User

SHANGHAI = ZoneInfo("Asia/Shanghai")        # the clock starts on Monday 2026-03-02, 09:00 there


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), SHANGHAI)


def local_day(world) -> date:
    return world.clock.now().astimezone(SHANGHAI).date()


@pytest.fixture
def world(sessions, clock, tmp_path):
    return HazardWorld(sessions, clock, tmp_path)


def notes(world, username: str) -> list[str]:
    with world.sessions() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return [n.title for n in s.scalars(select(Notification).where(Notification.user_id == user.id)
                                           .order_by(Notification.id))]


def reports(world, reason: str) -> list[ReportLog]:
    """One log row per report document (a document is logged once per recipient)."""
    with world.sessions() as s:
        rows = s.scalars(select(ReportLog).where(ReportLog.reason == reason).order_by(ReportLog.id)).all()
    return list({r.document_id: r for r in reversed(rows)}.values())[::-1]


def test_until_delivery_the_deadline_is_one_working_day_to_deliver_the_notice(world):
    iid = world.open(item_code="EN03")                     # 3 days to rectify, found on a Monday
    hazard = world.hazard(iid)
    assert hazard.deadline == end_of(date(2026, 3, 3)) and hazard.rectification_deadline is None
    assert world.task(iid, "deliver_notice").due_at == hazard.deadline
    world.clock.set(datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI))     # a Friday afternoon
    friday = world.open(item_code="EN03")
    assert world.hazard(friday).deadline == end_of(date(2026, 3, 9))  # the next working day is Monday


def test_a_notice_delivered_late_has_its_deadline_counted_from_delivery(world):
    iid = world.open(item_code="EN03")
    assert world.pass_deadline(iid).fired == 1              # Tuesday night: not delivered
    late = world.hazard(iid)
    assert late.status == "overdue" and world.ready(iid) == ["deliver_notice"]
    assert world.events(iid) == ["registered", "notice_overdue"]
    assert f"告知书逾期未送达：{late.file_number}" in notes(world, "sup1")      # the chase: the supervisor is told
    assert not late.reported_to_government                    # 一般: not a government matter
    assert world.grade() == ("C", 1.2)                        # no 整改期限 yet: chased, not graded as overdue
    world.clock.set(datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI))       # delivered on Thursday
    world.sign(iid)
    hazard = world.hazard(iid)
    assert hazard.status == "rectifying" and hazard.notified_at is not None
    assert hazard.deadline == hazard.rectification_deadline == hazard.original_deadline == end_of(date(2026, 3, 8))
    assert world.events(iid) == ["registered", "notice_overdue", "notice_signed", "rectification_started"]
    with world.sessions() as s:
        from records import hazards
        signed = [e for e in hazards.timeline(s, hazard.id) if e.kind == "notice_signed"][0]
    assert signed.detail["late"] is True and signed.detail["delivery_deadline"].startswith("2026-03-03T15:59:59")
    assert world.grade() == ("C", 1.2)                        # its deadline runs from delivery: not overdue
    world.clock.set(end_of(date(2026, 3, 8)) - timedelta(minutes=1))
    assert world.tick(seconds=30).fired == 0 and world.hazard(iid).status == "rectifying"
    assert world.tick(minutes=1).fired == 1 and world.hazard(iid).status == "overdue"


def test_a_major_hazard_whose_notice_is_not_delivered_is_reported_once(world):
    iid = world.open(item_code="IL01")                       # 重大
    world.pass_deadline(iid)
    hazard = world.hazard(iid)
    assert hazard.status == "overdue" and not hazard.reported_to_government    # prepared; counts once submitted
    assert [r.reason for r in reports(world, "major")] == ["major"]
    world.sign(iid)
    assert world.hazard(iid).status == "rectifying"
    assert len(reports(world, "major")) == 1                 # not a second time at delivery
    assert world.events(iid).count("report_prepared") == 1


def test_a_notice_delivered_in_time_never_fires_the_delivery_timer(world):
    iid = world.open(item_code="EN03")
    world.sign(iid)
    world.clock.set(end_of(date(2026, 3, 3)))
    assert world.tick(seconds=1).fired == 0
    assert world.hazard(iid).status == "rectifying" and "notice_overdue" not in world.events(iid)
    assert world.hazard(iid).deadline == end_of(date(2026, 3, 5))       # Monday + 3 days


def test_the_hospital_example_stays_a_after_the_supervision_order_and_is_reported_once(world):
    """§5.2: 一级 hospital, EP02 (较大) and MG02 (一般): B; both overdue: A (S = 12); 督导单 delivered and
    nothing rectified: still A; past the 督导单's deadline: EP02 重大, still A; one grade-A report."""
    ep02, mg02 = world.open(item_code="EP02"), world.open(item_code="MG02")
    world.sign(ep02)
    world.sign(mg02)
    assert world.grade() == ("B", 6.0)
    world.pass_deadline(mg02)                                # 30 days
    assert world.grade() == ("B", 7.2)                       # 1.2 × (4 + 2)
    world.pass_deadline(ep02)                                # 90 days
    assert world.grade() == ("A", 12.0)
    assert len(reports(world, "grade_a")) == 2               # superior unit and government, one document
    world.supervise(ep02)
    assert world.hazard(ep02).status == "supervising"
    assert world.grade() == ("A", 12.0)                      # the order does not make it on time
    world.supervise(mg02)
    assert world.grade() == ("A", 12.0)
    assert world.hazard(ep02).deadline == world.hazard(mg02).deadline        # both orders: 7 days from today
    world.pass_deadline(ep02)                                # the 督导单s' deadline passes, still unrectified
    assert world.hazard(ep02).status == world.hazard(mg02).status == "overdue"
    assert world.grade() == ("A", pytest.approx(1.2 * (10 * 2 + 4 * 2)))   # one level up each: 重大 and 较大
    assert len(reports(world, "grade_a")) == 2               # the same hazards: not reported again


def test_the_mall_example_with_its_intermediate_states(world):
    """§5.2: 二级 mall, EN01, EN02, EN06 (all 一般): C (S = 3); all overdue: B (S = 6); 督导单s delivered,
    nothing rectified: still B; past the 督导单 deadlines: each 较大, S = 24: A."""
    ids = [world.open(item_code=code, customer="mall") for code in ("EN01", "EN02", "EN06")]
    for iid in ids:
        world.sign(iid)
    assert world.grade("mall") == ("C", 3.0)
    for iid in sorted(ids, key=lambda i: world.hazard(i).deadline):
        world.pass_deadline(iid)
    assert world.grade("mall") == ("B", 6.0)
    for iid in ids:
        world.supervise(iid)
        assert world.grade("mall") == ("B", 6.0)             # never lower while nothing was rectified
    for iid in sorted(ids, key=lambda i: world.hazard(i).deadline):
        world.pass_deadline(iid)
    assert world.grade("mall") == ("A", 24.0)
    world.supervise(ids[0])                                  # a second order: failed supervision is not forgotten
    assert world.grade("mall") == ("A", 24.0)


def test_an_approved_extension_ends_the_overdue_state(world):
    iid = world.open(item_code="EN03")
    world.sign(iid)
    world.pass_deadline(iid)
    world.supervise(iid)
    assert world.grade() == ("C", 2.4)
    proposed = (local_day(world) + timedelta(days=30)).isoformat()
    world.complete(iid, "follow_up", {"action": "extend", "proposed_deadline": proposed, "reason": "设备到货",
                                      "interim_controls": "专人值守"})
    world.complete(iid, "approve_extension", {"approved": "yes", "comment": "同意"}, actor="sup1")
    hazard = world.hazard(iid)
    assert hazard.rectification_deadline == hazard.deadline and hazard.status == "rectifying"
    assert world.grade() == ("C", 1.2)


def test_the_days_to_deliver_a_notice_are_a_checked_setting(sessions, clock, tmp_path):
    from services import config
    base = {"ENV": "testing", "SECRET_KEY": "x", "DATA_DIR": str(tmp_path)}
    assert config.load(base, environ={"GRIDSAFE_NOTICE_DELIVERY_DAYS": "2"})["NOTICE_DELIVERY_DAYS"] == 2
    with pytest.raises(ValueError, match="GRIDSAFE_NOTICE_DELIVERY_DAYS"):
        config.load(base, environ={"GRIDSAFE_NOTICE_DELIVERY_DAYS": "30"})
    world = HazardWorld(sessions, clock, tmp_path)
    from services.runtime import build_engine
    world.settings["NOTICE_DELIVERY_DAYS"] = 3                 # Monday + 3 working days
    world.engine = build_engine(world.settings, clock, world.files)
    iid = world.open(item_code="EN03")
    assert world.hazard(iid).deadline == end_of(date(2026, 3, 5))


def test_a_hazard_whose_notice_went_overdue_still_closes_and_its_process_completes(world):
    iid = world.open(item_code="EN03")
    world.pass_deadline(iid)
    world.sign(iid)
    world.rectified(iid)
    world.accept(iid)
    world.complete(iid, "close_approval", {"approved": "yes"}, actor="head1")
    assert world.hazard(iid).status == "closed" and world.instance(iid).status == "completed"
    assert world.ready(iid) == []


def _overdue_now(world, iid) -> tuple[bool, bool]:
    """(listed under 已逾期 on the hazard list, counted in 逾期 of this month's indicators), read now."""
    from records import kpi
    from services import hazards as hazard_service
    with world.sessions() as s:
        sup = s.scalars(select(User).where(User.username == "sup1")).one()
        rows, _total = hazard_service.hazard_page(world.rt, s, sup, hazard_service.HazardQuery(overdue=True))
        today = local_day(world)
        scope = kpi.make_scope(today.replace(day=1), today, world.clock.now())
        counted = s.scalar(select(kpi.HAZARD_SETS["overdue_at_end"](s, scope)).select_from(kpi.Hazard)
                           .where(kpi.Hazard.instance_id == iid))
    return any(h.instance_id == iid for h in rows), bool(counted)


def test_the_list_and_the_indicators_count_overdue_against_the_deadline_in_force(world):
    """Before delivery the delivery deadline; then the rectification deadline; a 督导单 leaves it overdue;
    an approved extension's new deadline ends it until that one passes too."""
    iid = world.open(item_code="EN03")
    assert _overdue_now(world, iid) == (False, False)
    world.clock.set(world.hazard(iid).deadline + timedelta(seconds=1))      # the notice is late, timer not yet run
    assert _overdue_now(world, iid) == (True, True)
    world.tick(seconds=1)
    assert world.hazard(iid).status == "overdue" and _overdue_now(world, iid) == (True, True)
    world.sign(iid)                                          # delivered late: 3 days from delivery
    assert world.hazard(iid).status == "rectifying" and _overdue_now(world, iid) == (False, False)
    world.pass_deadline(iid)
    world.supervise(iid)                                     # the order's own deadline is days away
    hazard = world.hazard(iid)
    assert hazard.status == "supervising" and hazard.deadline > world.clock.now()
    assert _overdue_now(world, iid) == (True, True)          # a 督导单 does not make it on time
    proposed = (local_day(world) + timedelta(days=10)).isoformat()
    world.complete(iid, "follow_up", {"action": "extend", "proposed_deadline": proposed, "reason": "设备到货",
                                      "interim_controls": "专人值守"})
    world.complete(iid, "approve_extension", {"approved": "yes", "comment": "同意"}, actor="sup1")
    assert _overdue_now(world, iid) == (False, False)        # the extension's new deadline is in force
    world.clock.set(world.hazard(iid).rectification_deadline + timedelta(seconds=1))
    assert _overdue_now(world, iid) == (True, True)
