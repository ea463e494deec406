"""The dictionary's rules through the real filing and grading (hazard_lifecycle.bpmn, risk_grade.dmn): NE01 is
major at mines and chemical plants whatever the customer's class, and a rule changed in a new version of an
item applies to hazards filed after the change only."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from records import Customer, dictionary
from risk_support import RiskWorld


@pytest.fixture
def world(sessions, clock, tmp_path):
    return RiskWorld(sessions, clock, tmp_path)


def _revise(world, code: str, **changes) -> None:
    with world.sessions() as s:
        dictionary.revise(s, code, changes, "zhuanze", world.clock.now())
        s.commit()


@pytest.mark.parametrize("importance, industry, high_risk", [
    ("special", "煤矿", True), ("first", "非煤矿山", True), ("second", "煤矿", True),
    ("temporary", "危险化学品", True), (None, "化工", True), ("second", "石油化工", False),
])
def test_ne01_at_a_mine_or_chemical_plant_is_major_whatever_the_customers_class(world, importance, industry,
                                                                                 high_risk):
    today = world.clock.now().date()
    window = {"temporary_from": today - timedelta(days=1), "temporary_to": today + timedelta(days=5)} \
        if importance == "temporary" else {}
    world.customer("plant", name="永丰煤矿吉安县井", importance=importance, industry=industry,
                   high_risk=high_risk, **window)
    hazard = world.hazard(world.open(item_code="NE01", customer="plant"))
    assert hazard.severity == "major"                       # at filing
    grade = world.current("plant")                          # graded by the process when it was filed
    assert grade.grade == "A" and grade.drivers[0].startswith("A: NE01 重大")


def test_ne01_elsewhere_keeps_the_severity_of_the_customers_class(world):
    hazard = world.hazard(world.open(item_code="NE01", customer="mall"))   # 二级 mall
    assert hazard.severity == "significant"
    assert world.current("mall").grade == "B"


def test_a_rule_removed_in_a_new_version_still_holds_for_the_hazards_filed_before(world):
    world.customer("mine", name="永丰煤矿吉安县井", importance="second", industry="煤矿", high_risk=True)
    before = world.hazard(world.open(item_code="NE01", customer="mine"))
    _revise(world, "NE01", rules=None)                    # the rule dropped in version 2
    after = world.hazard(world.open(item_code="NE01", customer="mine"))
    assert (before.item["version"], before.severity) == (1, "major")
    assert (after.item["version"], after.severity) == (2, "significant")
    result = world.grade("mine")
    assert result["grade"] == "A" and result["drivers"][0] == "A: NE01 重大 at 二级"
    world.set(before.id, status="cancelled")               # without the old hazard, the new one alone
    assert world.grade("mine")["grade"] == "B"


def test_a_rule_added_in_a_new_version_applies_to_new_hazards_only(world):
    old = world.hazard(world.open(item_code="EN01", customer="mall"))
    assert (old.severity, world.current("mall").grade) == ("general", "C")
    _revise(world, "EN01", rules={"severity": [{"industries": ["商场"], "severity": "significant",
                                                "reason": "人员密集场所"}]})
    assert world.grade("mall")["grade"] == "C"           # the filed hazard keeps the version it was filed with
    new = world.hazard(world.open(item_code="EN01", customer="mall"))
    assert new.severity == "significant" and new.item["rules"]["severity"][0]["reason"] == "人员密集场所"
    assert "rules" not in old.item or not old.item["rules"]
    assert world.current("mall").grade == "B"


def test_a_hazard_whose_snapshot_predates_the_rules_is_graded_by_its_class(world):
    world.customer("mine", name="永丰煤矿吉安县井", importance="second", industry="煤矿", high_risk=True)
    hazard = world.add("mine", "NE01", severity="significant")
    with world.sessions() as s:
        snapshot = {k: v for k, v in dictionary.current(s, "NE01").snapshot().items()
                    if k not in ("rules", "consequences", "requirements", "measures", "interim_measures")}
    world.set(hazard, item=snapshot)
    assert world.grade("mine")["grade"] == "B"


def test_ps06_must_be_fixed_before_a_temporary_customers_assurance_window():
    ps06 = dictionary.seed_items()["PS06"]
    exam = Customer(importance="temporary", temporary_from=date(2026, 6, 7), temporary_to=date(2026, 6, 9))
    assert dictionary.deadline_cap(ps06, exam) == date(2026, 6, 6)
    assert dictionary.deadline_cap(ps06, Customer(importance="first")) is None
    assert dictionary.deadline_cap(dictionary.seed_items()["EN01"], exam) is None


def test_ps06_delivered_to_a_temporary_customer_is_due_the_day_before_its_window(world):
    from datetime import datetime, time
    from zoneinfo import ZoneInfo
    world.customer("expo", importance="temporary", temporary_from=date(2026, 3, 4), temporary_to=date(2026, 3, 9),
                   industry="会展")
    iid = world.open(item_code="PS06", customer="expo")          # 3 days would end on Thursday 5 March
    world.sign(iid)                                              # Monday 2 March; the window opens on Wednesday
    hazard = world.hazard(iid)
    assert hazard.rectification_deadline == hazard.deadline == datetime.combine(date(2026, 3, 3), time(23, 59, 59),
                                                                                ZoneInfo("Asia/Shanghai"))


def test_an_items_rule_sets_the_days_to_deliver_its_notice(world):
    _revise(world, "IL01", rules={"notice_days": 0})             # back-feed: the notice goes the same day
    iid = world.open(item_code="IL01")
    assert world.hazard(iid).deadline.isoformat().startswith("2026-03-02T15:59:59")      # 23:59:59 in Shanghai
    other = world.open(item_code="IL02")                         # no rule: the configured one working day
    assert world.hazard(other).deadline.isoformat().startswith("2026-03-03T15:59:59")
    with pytest.raises(ValueError, match="notice_days"):
        _revise(world, "IL01", rules={"notice_days": 30})
