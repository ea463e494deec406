"""Working days come from the State Council's calendar (the chinese_calendar package) without any setting;
GRIDSAFE_HOLIDAYS / GRIDSAFE_MAKEUP_WORKDAYS add to it or override it; a year nobody covers is named."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from kpi_support import hazard, seed_org
from records import kpi, workdays
from records.hazards import Hazard
from services import config

DEFAULTS = config.load({}, environ={})          # the service as shipped: no holiday typed by anyone


def test_national_day_and_its_make_up_saturday_come_without_configuration():
    calendar = workdays.from_settings(DEFAULTS)
    assert not calendar.is_working(date(2026, 10, 1)) and not calendar.is_working(date(2026, 10, 7))
    assert calendar.is_working(date(2026, 10, 10))                      # Saturday worked in exchange (调休)
    assert calendar.add(date(2026, 9, 30), 1) == date(2026, 10, 8)      # the day after the holiday week
    assert calendar.add(date(2026, 10, 9), 1) == date(2026, 10, 10)     # Friday + 1 is the make-up Saturday
    assert workdays.WEEKENDS_ONLY.add(date(2026, 9, 30), 1) == date(2026, 10, 1)


def test_the_settings_override_the_kept_calendar_day_by_day():
    calendar = workdays.from_settings({**DEFAULTS, "HOLIDAYS": ["2026-10-10"], "MAKEUP_WORKDAYS": ["2026-10-07"]})
    assert not calendar.is_working(date(2026, 10, 10)) and calendar.is_working(date(2026, 10, 7))
    assert not calendar.is_working(date(2026, 10, 6))                   # the rest of the package stays
    local = workdays.from_settings({**DEFAULTS, "HOLIDAYS": ["2026-06-01"]})   # a local day off on a Monday
    assert not local.is_working(date(2026, 6, 1))
    weekends = workdays.from_settings({**DEFAULTS, "WORKDAY_CALENDAR": workdays.WEEKENDS})
    assert weekends is workdays.WEEKENDS_ONLY


def test_a_year_the_package_does_not_cover_is_named_unless_configured():
    last = workdays.covered_years()[-1]
    assert last >= 2026 and workdays.uncovered_years(DEFAULTS, [last]) == []
    assert workdays.uncovered_years(DEFAULTS, [last, last + 1]) == [last + 1]
    typed = {**DEFAULTS, "HOLIDAYS": [f"{last + 1}-01-01"]}
    assert workdays.uncovered_years(typed, [last + 1]) == []
    without = {**DEFAULTS, "WORKDAY_CALENDAR": workdays.WEEKENDS}
    assert workdays.uncovered_years(without, [last]) == [last]


def test_a_notice_deadline_across_national_day_is_decided_by_the_kept_calendar(sessions):
    """H1 found Wed 09-30, notice signed Thu 10-08: the first working day after the holiday week, in time.
    H2 found Fri 10-09, signed Mon 10-12: late, because Saturday 10-10 was a working day."""
    with sessions() as s:
        ids = seed_org(s, datetime(2026, 9, 1, tzinfo=timezone.utc))
        hazard(s, ids, "H1", "C1", "T1", "general", "09-30", [], status="notified", deadline="10-30",
               notified="10-08")
        hazard(s, ids, "H2", "C1", "T1", "general", "10-09", [], status="notified", deadline="11-09",
               notified="10-12")
        s.commit()
        now = datetime(2026, 11, 10, 2, tzinfo=timezone.utc)

        def in_time(calendar):
            scope = kpi.make_scope(date(2026, 9, 1), date(2026, 10, 31), now, calendar=calendar)
            return sorted(s.scalars(select(Hazard.file_number).where(
                kpi.hazard_condition(s, scope, "notified_in_time"))))
        assert in_time(workdays.from_settings(DEFAULTS)) == ["H1"]
        assert in_time(workdays.WEEKENDS_ONLY) == ["H2"]


@pytest.mark.parametrize("source", ["holidays", "CN"])
def test_an_unknown_calendar_source_is_refused_with_the_choices(source):
    with pytest.raises(ValueError, match="chinese_calendar or weekends"):
        config.load({"WORKDAY_CALENDAR": source}, environ={})


def test_the_runtime_logs_a_year_the_calendar_does_not_cover(caplog, tmp_path):
    """Started late in the last covered year, the deadlines reach into the next one: the log says so."""
    import services
    from engine import FixedClock
    last = workdays.covered_years()[-1]
    late = FixedClock(datetime(last, 12, 1, 2, tzinfo=timezone.utc))
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "DATA_DIR": str(tmp_path / "data")}
    with caplog.at_level("WARNING", logger="gridsafe.status"):
        services.build(settings, clock=late)
    assert [r.year for r in caplog.records if getattr(r, "event", "") == "calendar_not_covered"] == [last + 1]
    caplog.clear()
    with caplog.at_level("WARNING", logger="gridsafe.status"):
        services.build({**settings, "HOLIDAYS": [f"{last + 1}-01-01"]}, clock=late)
    assert not caplog.records
