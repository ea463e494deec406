"""Risk grading (domain.md §5.2) by the real handler through bpmn/risk_grade.dmn: the worked examples, the
rules of effective severity, the class factor with its temporary window, and regrading on every event."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from risk_support import RiskWorld


@pytest.fixture
def world(sessions, clock, tmp_path):
    return RiskWorld(sessions, clock, tmp_path)


# -- the worked examples of domain.md §5.2, each through the deployed decision table ---------------------

def test_example_1_a_class_1_hospital_with_a_significant_and_a_general_hazard_is_b(world):
    world.add("hospital", "EP02")
    world.add("hospital", "MG02")
    result = world.grade("hospital")
    assert (result["grade"], result["score"]) == ("B", 6.0)
    assert result["drivers"][:2] == ["B: EP02 较大 at 一级", "S = 1.2 × (4 + 1) = 6"]
    assert result["model_version"] == "risk_grade v1"


def test_example_2_the_same_hospital_after_both_deadlines_pass_is_a(world):
    world.add("hospital", "EP02", days=-1)
    world.add("hospital", "MG02", days=-1)
    result = world.grade("hospital")
    assert (result["grade"], result["score"]) == ("A", 12.0)
    assert result["drivers"][0] == "A: S = 1.2 × (8 + 2) = 12"
    assert "EP02 逾期×2" in result["drivers"] and "MG02 逾期×2" in result["drivers"]


def test_example_3_a_class_2_mall_with_three_general_hazards_is_c(world):
    for code in ("EN01", "EN02", "EN06"):
        world.add("mall", code)
    result = world.grade("mall")
    assert (result["grade"], result["score"]) == ("C", 3.0)
    assert result["drivers"][0] == "C: EN01 一般 at 二级"


def test_example_4_the_same_mall_after_the_supervision_deadline_is_a(world):
    for code in ("EN01", "EN02", "EN06"):
        world.add("mall", code, days=-1, status="supervising", supervision=1)
    result = world.grade("mall")
    assert (result["grade"], result["score"]) == ("A", 24.0)
    assert result["drivers"][0] == "A: S = 1 × (8 + 8 + 8) = 24"
    assert "EN01 一般→较大（督导期限已过仍未整改），逾期×2" in result["drivers"]


def test_example_5_a_special_class_government_office_with_a_significant_hazard_is_a(world):
    world.customer("office", name="吉安市人民政府", importance="special")
    world.add("office", "PR01")
    result = world.grade("office")
    assert (result["grade"], result["score"]) == ("A", 6.0)
    assert result["drivers"][0] == "A: PR01 较大 at 特级"


# -- the rules ----------------------------------------------------------------------------------------

def test_no_open_hazard_means_no_grade_and_closed_ones_do_not_count(world):
    world.add("hospital", "IL01", status="closed")
    result = world.grade("hospital")
    assert result["grade"] is None and result["score"] == 0 and result["drivers"] == []


def test_a_refusal_to_sign_raises_the_severity_one_level(world):
    world.add("mall", "MG04", refused=True)
    result = world.grade("mall")
    assert result["grade"] == "B" and "MG04 一般→较大（拒签）" in result["drivers"]


def test_supervision_counts_as_failed_only_once_the_orders_deadline_has_passed(world):
    hazard = world.add("mall", "EN01", days=-8, status="supervising", supervision=1)   # 整改期限 8 days ago
    world.set(hazard, deadline=world.clock.now() + timedelta(days=3))                  # the order's deadline
    assert world.grade("mall")["grade"] == "C"                 # overdue all the same: 1 × 2 = 2
    world.set(hazard, deadline=world.clock.now() - timedelta(hours=1))
    assert world.grade("mall")["grade"] == "B"                 # 较大 × 2 = 8, matrix B


def test_an_approved_extension_ends_the_overdue_doubling_and_a_reported_rectification_too(world):
    hazard = world.add("hospital", "EP02", days=-1)
    world.add("hospital", "MG02", days=-1)
    assert world.grade("hospital")["score"] == 12.0
    extended = world.clock.now() + timedelta(days=30)
    world.set(hazard, deadline=extended, rectification_deadline=extended)  # what decide_extension does
    assert world.grade("hospital")["score"] == 7.2                         # 1.2 × (4 + 2)
    world.set(hazard, status="pending_acceptance", deadline=world.clock.now() - timedelta(days=1))
    assert world.grade("hospital")["score"] == 7.2               # reported: open, past its deadline, not overdue


def test_a_severity_raised_by_the_inspector_is_kept(world):
    world.add("mall", "EN03", severity="major", reason="配电室堆放汽油桶")
    assert world.grade("mall")["drivers"][0] == "A: EN03 重大 at 二级"


def test_the_dictionary_snapshot_decides_the_severity_for_the_customers_class_today(world):
    world.add("mall", "EP05")                        # 一般, but 较大 at 特级/一级
    assert world.grade("mall")["grade"] == "C"
    with world.sessions() as s:
        from records import Customer
        s.get(Customer, world.ids["mall"]).importance = "first"
        s.commit()
    assert world.grade("mall")["drivers"][0] == "B: EP05 较大 at 一级"


def test_a_temporary_class_counts_only_inside_its_window(world):
    today = world.clock.now().date()
    world.customer("exam", name="高考考点", importance="temporary", temporary_from=today + timedelta(days=1),
                   temporary_to=today + timedelta(days=3))
    for code in ("EP02", "EP04", "EP06", "MG02", "MG04", "MG05"):      # 4 + 5 × 1 = 9
        world.add("exam", code, days=60)
    outside = world.grade("exam")
    assert (outside["grade"], outside["score"]) == ("B", 9.0) and "at 未定级" in outside["drivers"][0]
    world.clock.advance(days=1)
    world.daily()
    inside = world.current("exam")
    assert (inside.grade, inside.score, inside.reason) == ("A", 10.8, "temporary_window_opened")
    world.clock.advance(days=3)
    world.daily()
    after = world.current("exam")
    assert (after.grade, after.score, after.reason) == ("B", 9.0, "temporary_window_closed")


def test_a_high_risk_customer_without_a_class_is_graded_with_factor_1(world):
    world.customer("plant", name="化工厂", importance=None, high_risk=True)
    world.add("plant", "EQ03")
    result = world.grade("plant")
    assert (result["grade"], result["score"]) == ("B", 4.0) and result["drivers"][0] == "B: EQ03 较大 at 高危未定级"


# -- history, idempotence, the daily job -----------------------------------------------------------------

def test_the_history_is_kept_and_an_unchanged_grade_writes_nothing(world):
    world.add("hospital", "EP02")
    world.grade("hospital", "opened")
    world.grade("hospital", "again")
    world.add("hospital", "IL01")
    world.grade("hospital", "opened")
    history = world.history("hospital")
    assert [(h.grade, h.reason, h.current) for h in history] == [("A", "opened", True), ("B", "opened", False)]
    assert all(h.model_version == "risk_grade v1" and h.computed_at for h in history)


def test_the_daily_job_regrades_once_a_day_and_is_safe_when_run_twice(world):
    world.add("hospital", "EP02", days=1)
    world.grade("hospital")
    assert world.daily(force=False)["graded"] == 1
    assert world.daily(force=False) is None                       # the day is claimed: a second tick skips it
    world.clock.advance(days=2)                                    # the deadline passed overnight
    first = world.daily(force=False)
    second = world.daily(force=True)                               # forced a second time: nothing new
    assert first["updated"] == 1 and second["updated"] == 0 and first["changed"] == 0     # still B, new score
    assert [h.score for h in world.history("hospital")] == [9.6, 4.8]


def test_the_daily_job_reports_a_customer_it_cannot_grade_and_goes_on(world, sessions):
    from sqlalchemy import text
    world.add("hospital", "EP02")
    world.add("mall", "EN01")
    with sessions() as s:                 # the table disappears (as if never deployed)
        s.execute(text("DELETE FROM definition WHERE kind = 'decision'"))
        s.commit()
    report = world.daily()
    assert report["graded"] == 0 and len(report["errors"]) == 2 and "risk_grade" in report["errors"][0]


# -- through the process: every hazard event regrades ----------------------------------------------------

def test_the_lifecycle_regrades_on_opening_overdue_extension_rectification_and_close(world):
    iid = world.open(item_code="EP02")                 # 较大 at 一级, 30 days
    assert world.current("hospital").grade == "B"
    world.sign(iid)
    world.clock.set(world.hazard(iid).deadline)
    world.tick(seconds=1)                               # overdue → grade_overdue
    assert (world.current("hospital").score, world.current("hospital").reason) == (9.6, "overdue")
    world.complete(iid, "follow_up", {"action": "extend", "proposed_deadline": "2026-06-30", "reason": "等设备",
                                      "interim_controls": "值守"})
    world.complete(iid, "approve_extension", {"approved": "yes", "comment": "同意"}, actor="sup1")
    assert (world.current("hospital").score, world.current("hospital").reason) == (4.8, "extended")
    rows = len(world.history("hospital"))
    world.rectified(iid)                               # regraded: nothing changed, so nothing written
    assert len(world.history("hospital")) == rows and world.current("hospital").reason == "extended"
    world.accept(iid)
    world.complete(iid, "close_approval", {"approved": "yes"}, actor="head1")
    grade = world.current("hospital")
    assert grade.grade is None and grade.reason == "closed"
    reasons = [h.reason for h in reversed(world.history("hospital"))]
    assert reasons[0] == "opened" and "overdue" in reasons and "extended" in reasons and reasons[-1] == "closed"


def test_a_refusal_in_the_process_regrades_at_once(world):
    iid = world.open(item_code="EN03")                 # 一般 at 一级 → C
    assert world.current("hospital").grade == "C"
    world.refuse(iid)
    assert (world.current("hospital").grade, world.current("hospital").reason) == ("B", "notice_refused")


def test_a_missing_decision_table_puts_the_step_in_error_and_loses_nothing(world, sessions):
    from sqlalchemy import text
    with sessions() as s:
        s.execute(text("DELETE FROM definition WHERE kind = 'decision'"))
        s.commit()
    iid = world.open(item_code="EP02")
    instance = world.instance(iid)
    assert instance.status == "error" and "risk_grade" in instance.error_message
    assert world.current("hospital") is None


def test_today_is_the_local_day(world):
    from handlers.risk import local_today
    from types import SimpleNamespace
    ctx = SimpleNamespace(now=lambda: world.clock.now().replace(hour=17), settings={"TIMEZONE": "Asia/Shanghai"})
    assert local_today(ctx) == date(2026, 3, 3)
