"""Each indicator of domain.md §8 on the hand-made March 2026 of tests/kpi_support.py.

The world (period 2026-03-01..31 in Ji'an, read on 2026-04-10, so as of the end of March):
  H1  C1/T1 general      opened 02-10, rectification reported 03-01, accepted 03-02, closed 03-03 on time
  H2  C1/T1 significant  opened 02-15; overdue 03-10, 督导单 delivered 03-12 (2 days), overdue again 03-19
                         with the order rendered but not delivered by 03-31 (12 days)
  H3  C2/T2 major        opened 03-05 (Thu), notice refused the same day, reported 03-06
  H4  C1/T1 general      opened 03-10 WITHOUT photos, signed; rectification reported 03-15, accepted 03-25
                         (10 days), closed 03-26
  H5  C3/T1 general      opened 03-20, notice rendered but not delivered
  H6  C3/T1 significant  opened 03-25 (Wed), signed 03-30 (Mon: 3 working days later)
  H7  C2/T2              opened 04-02: after the period
  H8  C1/T1              opened 03-12 and cancelled: raised in error, counts nowhere
  H9  C2/T2 major        opened 03-27 (Fri), signed the same day, reported 04-03: after the period's end
  H10 C1/T1              opened 01-05, closed 02-01: before the period
  H11 C1/T1 general      opened 02-20, deadline 03-01, no overdue timer fired, no 督导单
Inspections: I1 C1 periodic due 03-15 done 03-14; I2 C2 periodic due 03-20 done 04-05 (late, and
overdue on 03-31); I3 C3 periodic due 04-10; I4 C1 special due 03-25 done 03-26; I5 cancelled.
"""
from __future__ import annotations

from datetime import date

import pytest

from kpi_support import MARCH, NOW, at, seed_march
from records import indicators, kpi
from records.hazards import Hazard
from sqlalchemy import select


@pytest.fixture
def world(sessions):
    with sessions() as s:
        ids = seed_march(s)
        s.commit()
    return sessions, ids


def march(**filters):
    return kpi.make_scope(*MARCH, NOW, **filters)


def numbers(session, scope, name):
    return sorted(session.scalars(select(Hazard.file_number).where(kpi.hazard_condition(session, scope, name))),
                  key=lambda n: int(n[1:]))


def test_the_period_is_read_as_of_its_end_in_local_time():
    scope = march()
    assert scope.start == at("02-28T16:00:00") and scope.end == at("03-31T16:00:00")
    assert scope.as_of == scope.end and not scope.running and scope.as_of_day == date(2026, 3, 31)
    running = kpi.make_scope(date(2026, 4, 1), date(2026, 4, 30), NOW)
    assert running.as_of == NOW and running.running and running.as_of_day == date(2026, 4, 10)


def test_the_filing_rate_counts_record_photos_notice_and_delivery(world):
    sessions, _ = world
    with sessions() as s:
        assert numbers(s, march(), "discovered") == ["H3", "H4", "H5", "H6", "H9"]
        # H4 has no photo, H5's notice was never delivered; H3's refusal is recorded, so it is filed
        assert numbers(s, march(), "filed") == ["H3", "H6", "H9"]
        assert numbers(s, march(), "unfiled") == ["H4", "H5"]
        rate = indicators.compute(s, march(), ["filing"])[None]["filing"]
        assert (rate.num, rate.den, rate.percent()) == (3, 5, "60.0%")


def test_the_elimination_rate_divides_closures_by_open_at_start_plus_discovered(world):
    sessions, _ = world
    with sessions() as s:
        assert numbers(s, march(), "open_at_start") == ["H1", "H2", "H11"]
        assert numbers(s, march(), "to_eliminate") == ["H1", "H2", "H3", "H4", "H5", "H6", "H9", "H11"]
        assert numbers(s, march(), "closed") == ["H1", "H4"]
        rates = indicators.compute(s, march(), ["elimination", "elimination_cumulative"])[None]
        assert (rates["elimination"].num, rates["elimination"].den) == (2, 3 + 5)
        assert rates["elimination"].percent() == "25.0%"
        # cumulative view: of the 5 discovered in March, H4 is closed
        assert (rates["elimination_cumulative"].num, rates["elimination_cumulative"].den) == (1, 5)


def test_the_monitoring_rate_needs_delivery_supervision_and_inspections_in_time(world):
    sessions, _ = world
    with sessions() as s:
        assert numbers(s, march(), "open_at_end") == ["H2", "H3", "H5", "H6", "H9", "H11"]
        # H2 went overdue again on 03-19 and that 督导单 was rendered but not delivered; H3 and H9: C2's
        # periodic inspection is overdue; H5: not delivered; H11: overdue and no 督导单 (the timer never fired)
        assert numbers(s, march(), "monitored") == ["H6"]
        assert numbers(s, march(), "overdue_at_end") == ["H2", "H11"]
        rate = indicators.compute(s, march(), ["monitoring"])[None]["monitoring"]
        assert (rate.num, rate.den, rate.percent()) == (1, 6, "16.7%")


def test_a_past_period_is_read_from_the_timeline_as_it_stood(world):
    sessions, _ = world
    february = kpi.make_scope(date(2026, 2, 1), date(2026, 2, 28), NOW)
    with sessions() as s:
        # at the end of February H1, H2 and H11 were open, notified and within their deadlines
        assert numbers(s, february, "open_at_end") == ["H1", "H2", "H11"]
        assert numbers(s, february, "monitored") == ["H1", "H2", "H11"]
        assert numbers(s, february, "closed") == ["H10"]


def test_the_supporting_indicators(world):
    sessions, _ = world
    with sessions() as s:
        rates = indicators.compute(s, march())[None]
        got = {k: (r.num, r.den) for k, r in rates.items()}
        assert got["signature"] == (3, 4)                 # H4, H6, H9 signed; H3 refused
        assert got["rectification_on_time"] == (2, 2)     # H1 and H4 closed without going overdue
        assert got["supervision_in_time"] == (0, 1)       # H2's second overdue: 12 days without a delivered order
        assert got["major_reported"] == (1, 2)            # H3 within 5 working days; H9 not by 03-31
        assert got["inspection_on_time"] == (1, 2)        # I1 on time, I2 late; I4 is special, I5 cancelled
        counts = kpi.hazard_counts(s, march(), ["notified_in_time", "acceptance_due", "accepted_in_time"])[None]
        # H3, H4, H9 notified the day they were found; acceptance: H1 (reported 03-01, accepted 03-02) in time,
        # H4 (reported 03-15, accepted 03-25) 10 days later
        assert counts == {"notified_in_time": 3, "acceptance_due": 2, "accepted_in_time": 1}
        tasks = kpi.inspection_counts(s, march(), ["tasks_due", "tasks_on_time", "completed"])[None]
        assert tasks == {"tasks_due": 3, "tasks_on_time": 1, "completed": 2}


def test_average_days_to_close_by_severity(world):
    sessions, _ = world
    with sessions() as s:
        # H1: 02-10 → 03-03 is 21 days; H4: 03-10 → 03-26 is 16 days
        assert indicators.close_days(s, march()) == {"general": (18.5, 2)}


def test_the_indicators_by_team_class_and_industry(world):
    sessions, ids = world
    with sessions() as s:
        by_team = indicators.compute(s, march(), ["filing", "monitoring"], group="team")
        assert {k: (v["filing"].num, v["filing"].den, v["monitoring"].num, v["monitoring"].den)
                for k, v in by_team.items()} == {ids["T1"]: (1, 3, 1, 4), ids["T2"]: (2, 2, 0, 2)}
        by_class = indicators.compute(s, march(), ["elimination"], group="class")
        assert {k: (v["elimination"].num, v["elimination"].den) for k, v in by_class.items()} == \
            {"first": (2, 4), "second": (0, 2), None: (0, 2)}
        only_first = march(klass="first")
        assert numbers(s, only_first, "to_eliminate") == ["H1", "H2", "H4", "H11"]
        health = march(industry="医疗卫生", branch_ids=(ids["JA-JZ"],))
        assert indicators.compute(s, health, ["filing"])[None]["filing"].den == 3      # H4, H5, H6
        by_branch = indicators.compute(s, march(), ["inspection_on_time"], group="branch")
        assert {k: (v["inspection_on_time"].num, v["inspection_on_time"].den) for k, v in by_branch.items()} == \
            {ids["JA-JZ"]: (1, 1), ids["JA-QY"]: (0, 1)}


def test_an_empty_or_future_period_gives_no_number_rather_than_a_division_by_zero(world):
    sessions, _ = world
    future = kpi.make_scope(date(2027, 1, 1), date(2027, 1, 31), NOW)
    with sessions() as s:
        rates = indicators.compute(s, future)[None]
        assert all(r.den == 0 and r.value is None and r.percent() == "—" for r in rates.values())
        assert indicators.close_days(s, future) == {}


def test_the_chart_series(world):
    sessions, ids = world
    with sessions() as s:
        trend = indicators.monthly_trend(s, march(), NOW, months=3)
        assert [(m["month"], m["discovered"], m["closed"]) for m in trend] == \
            [("2026-01", 1, 0), ("2026-02", 3, 1), ("2026-03", 5, 2)]
        assert trend[-1]["monitoring"].percent() == "16.7%"
        assert indicators.category_severity(s, march()) == {"运行管理": {"general": 2}, "应急电源": {"major": 2,
                                                                                              "significant": 1}}
        grades = indicators.grade_distribution(s, march(), NOW, months=2)
        assert grades == [{"month": "2026-02", "A": 0, "B": 1, "C": 0}, {"month": "2026-03", "A": 2, "B": 0, "C": 0}]
        overdue = kpi.hazard_counts(s, march(), ["overdue_at_end", "to_eliminate"], group="team")
        assert overdue == {ids["T1"]: {"overdue_at_end": 2, "to_eliminate": 6},     # H2, H11 of H1 H2 H4 H5 H6 H11
                           ids["T2"]: {"overdue_at_end": 0, "to_eliminate": 2}}     # of H3, H9
        # a team none of whose hazards is in the sets asked has no row (read as zeros), computed or not
        assert kpi.hazard_counts(s, march(), ["overdue_at_end"], group="team") == {ids["T1"]: {"overdue_at_end": 2}}



def test_public_holidays_and_makeup_days_decide_what_one_working_day_is(world):
    """H6 was found on Wed 03-25 and signed on Mon 03-30: late in an ordinary week, in time when Thursday
    and Friday are public holidays, late again when Saturday is worked in exchange (调休)."""
    from records import workdays
    sessions, _ = world
    weekends = {"WORKDAY_CALENDAR": workdays.WEEKENDS}            # only the configured days, for exact spans
    holidays = workdays.from_settings({**weekends, "HOLIDAYS": ["2026-03-26..2026-03-27"]})
    exchanged = workdays.from_settings({**weekends, "HOLIDAYS": ["2026-03-26..2026-03-27"],
                                        "MAKEUP_WORKDAYS": ["2026-03-28"]})
    assert holidays.max_span(1) == 6 and workdays.WEEKENDS_ONLY.max_span(1) == 4
    with sessions() as s:
        assert numbers(s, march(), "notified_in_time") == ["H3", "H4", "H9"]
        assert numbers(s, march(calendar=holidays), "notified_in_time") == ["H3", "H4", "H6", "H9"]
        assert numbers(s, march(calendar=exchanged), "notified_in_time") == ["H3", "H4", "H9"]
        assert indicators.monthly_trend(s, march(calendar=holidays), NOW, months=1)[0]["month"] == "2026-03"


@pytest.mark.parametrize("settings,words", [
    ({"HOLIDAYS": "2026-10-01"}, "JSON list"),
    ({"HOLIDAYS": ["2026-13-01"]}, "is not a date"),
    ({"HOLIDAYS": ["2026-10-08..2026-10-01"]}, "run forwards"),
    ({"HOLIDAYS": ["2026-10-01"], "MAKEUP_WORKDAYS": ["2026-10-01"]}, "both in"),
    ({"WORKDAY_CALENDAR": "holidays"}, "WORKDAY_CALENDAR must be"),
])
def test_a_malformed_holiday_list_is_refused_with_the_entry_named(settings, words):
    from records import workdays
    with pytest.raises(ValueError, match=words):
        workdays.from_settings(settings)

def test_the_one_pass_count_over_several_periods_equals_a_count_per_period(world):
    sessions, ids = world
    names = sorted(kpi.HAZARD_SETS)
    months = indicators.months_up_to(date(2026, 4, 30), 4)            # January .. April (running on NOW)
    with sessions() as s:
        for filters in ({}, {"team_ids": (ids["T1"],)}, {"klass": "second"}, {"klass": "none"}):
            periods = [kpi.make_scope(first, last, NOW, **filters) for first, last in months]
            each = [kpi.hazard_counts(s, p, names)[None] for p in periods]
            assert kpi.hazard_counts_over(s, periods, names, one_pass=True) == each
            assert kpi.hazard_counts_over(s, periods, names, one_pass=False) == each
        assert [c["discovered"] for c in [kpi.hazard_counts(s, kpi.make_scope(f, l, NOW), ["discovered"])[None]
                                          for f, l in months]] == [1, 3, 5, 1]
        assert kpi.hazard_counts_over(s, [], names) == []


def test_a_running_period_reads_the_hazards_columns_and_they_agree_with_the_timeline(world):
    from dataclasses import replace
    sessions, _ = world
    april = kpi.make_scope(date(2026, 4, 1), date(2026, 4, 30), NOW)
    assert april.live and not march().live
    with sessions() as s:
        for name in ("open_at_end", "monitored", "unmonitored", "overdue_at_end"):
            assert numbers(s, april, name) == numbers(s, replace(april, live=False, cache={}), name), name
        # on 04-10 H2 and H11 are still overdue, H7 (found 04-02) is not yet notified
        assert numbers(s, april, "overdue_at_end") == ["H2", "H11"]
        assert "H7" in numbers(s, april, "unmonitored")


def test_an_overdue_hazard_is_monitored_once_a_supervision_order_is_delivered_not_rendered(world):
    from kpi_support import at as when
    from records import Document, HazardEvent
    sessions, _ = world
    with sessions() as s:
        h2, h11 = (s.scalars(select(Hazard).where(Hazard.file_number == n)).one() for n in ("H2", "H11"))
        # H11's overdue timer fires on 03-25 and its 督导单 is rendered: rendering is not delivering
        s.add(HazardEvent(hazard_id=h11.id, at=when("03-25"), actor="timer", kind="overdue", status_after="overdue",
                          detail={"deadline": h11.deadline.isoformat()}))
        s.add(Document(kind="supervision_order", number="H11-DD1", subject="H11", version=1, hazard_id=h11.id,
                       sha256="0" * 64, size=1, filename="x.docx", created_at=when("03-25"), created_by="timer"))
        h11.status = "overdue"
        s.commit()
        assert numbers(s, march(), "monitored") == ["H6"]
        # H2's order of 03-12 was delivered before it went overdue again on 03-19: it does not count
        # for that second overdue, nor for H11; H11's own delivered order (signed 03-27) does
        s.add(HazardEvent(hazard_id=h11.id, at=when("03-27"), actor="m1", kind="supervised", status_after="overdue",
                          detail={"deadline": h11.deadline.isoformat()}))
        s.commit()
        assert numbers(s, march(), "monitored") == ["H6", "H11"]
        # a delivery after the period's end leaves March as it was
        s.add(HazardEvent(hazard_id=h2.id, at=when("04-02"), actor="m1", kind="supervised", status_after="overdue",
                          detail={"deadline": h2.deadline.isoformat()}))
        s.commit()
        assert numbers(s, march(), "monitored") == ["H6", "H11"]


def test_filing_allows_the_one_working_day_of_the_notice_across_the_months_end(world):
    """H12 found on Tue 03-31 at 20:00 in Ji'an and notified on Wed 04-01 at 09:00: filed on time in March.
    H13 found at the same moment and notified on Thu 04-02: a day late, so not filed in March."""
    from kpi_support import at as when, hazard
    sessions, ids = world
    with sessions() as s:
        for number, notified in (("H12", "04-01T01:00:00"), ("H13", "04-02T06:00:00")):
            hazard(s, ids, number, "C1", "T1", "general", "03-31T12:00:00", [
                ("registered", "03-31T12:00:00", "found", "04-30"), ("notice_signed", notified, "notified", None),
                ("rectification_started", notified, "rectifying", "04-30")],
                status="rectifying", deadline="04-30", notified=notified, docs=[("hazard_notice", "03-31T12:00:00")])
        s.commit()
        # read on 04-10
        assert numbers(s, march(), "filed") == ["H3", "H6", "H9", "H12"]
        assert numbers(s, march(), "unfiled") == ["H4", "H5", "H13"]
        # read early on 04-01, before H12's notice was delivered: not filed (yet)
        early = kpi.make_scope(*MARCH, when("04-01T00:30:00"))
        assert "H12" in numbers(s, early, "unfiled")
        # the period's own end stays the rule for the other sets: H12 was not notified in March
        assert "H12" not in numbers(s, march(), "notified")
