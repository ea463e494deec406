"""A closed month's indicators come from its snapshot and equal the computation from the records: on a
generated year (the benchmark's data, smaller), per month, with every filter and grouping, and the
trend and grade distribution built from them; the scheduler closes a month only after its grace."""
from __future__ import annotations

import importlib.util
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from engine import FixedClock
from engine.database import make_engine, make_session_factory
from records import indicators, kpi, snapshot_counts, snapshots

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def generator():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("kpi_scale_data", BENCH / "kpi_scale.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


@pytest.fixture
def year(db_url, generator):
    """1,200 hazards of 200 customers over the three years before 2026-11-15, with timelines, documents,
    inspections and grades."""
    sa = make_engine(db_url)
    generator.load(sa, 1200, seed=11, customers_count=200)
    yield make_session_factory(sa), generator.NOW
    sa.dispose()


def _close(sessions, scope, now):
    with sessions() as s:
        rows = snapshot_counts.count(s, scope)
    with sessions() as s:
        snapshots.replace(s, scope, rows, now)
        s.commit()


FILTERS = [{}, {"branch_ids": (3, 4)}, {"team_ids": (5,)}, {"klass": "first"}, {"klass": "none"},
           {"industry": "学校"}]


def test_a_closed_month_reads_its_snapshot_and_equals_the_records(year):
    sessions, now = year
    months = indicators.months_up_to(date(2026, 10, 31), 12)
    for first, last in months:
        _close(sessions, kpi.make_scope(first, last, now), now)
    with sessions() as s:
        for index, (first, last) in enumerate(months):
            for filters in FILTERS if index % 6 == 0 else FILTERS[:1]:
                scope = kpi.make_scope(first, last, now, **filters)
                assert snapshots.closed(s, scope) == f"{first:%Y-%m}"
                assert indicators.compute(s, scope) == indicators.compute(s, scope, snapshot=False), (first, filters)
        scope = kpi.make_scope(date(2026, 6, 1), date(2026, 6, 30), now)
        for group in indicators.GROUPS:
            assert indicators.compute(s, scope, group=group) == indicators.compute(s, scope, group=group,
                                                                                  snapshot=False), group
        names = list(kpi.HAZARD_SETS)
        assert kpi.hazard_counts(s, scope, names, "severity") == kpi.hazard_counts(s, scope, names, "severity",
                                                                                   snapshot=False)
        assert indicators.compute(s, scope)[None]["monitoring"].den > 0          # a month with something in it

        november = kpi.make_scope(date(2026, 11, 1), date(2026, 11, 30), now)    # the running month: live
        assert snapshots.closed(s, november) is None
        for filters in FILTERS[:2]:
            running = kpi.make_scope(date(2026, 11, 1), date(2026, 11, 30), now, **filters)
            assert indicators.monthly_trend(s, running, now) == indicators.monthly_trend(s, running, now,
                                                                                         snapshot=False)
            assert indicators.grade_distribution(s, running, now) == indicators.grade_distribution(
                s, running, now, snapshot=False)

        other = kpi.make_scope(date(2026, 6, 1), date(2026, 6, 30), now, supervise_days=7)
        assert snapshots.closed(s, other) is None                                # other settings: computed
        quarter = kpi.make_scope(date(2026, 4, 1), date(2026, 6, 30), now)
        assert snapshots.closed(s, quarter) is None


def test_the_scheduler_closes_a_month_after_its_grace_once(year, tmp_path):
    from services import access, jobs
    from services import runtime as wiring
    from services import snapshots as closing
    sessions, _now = year
    db_url = str(sessions.kw["bind"].url.render_as_string(hide_password=False))
    clock = FixedClock("2026-11-02T01:00:00+00:00")
    rt = wiring.build({"ENV": "testing", "SECRET_KEY": "k", "DATA_DIR": str(tmp_path / "data"), "CLOCK": clock,
                       "DATABASE_URL": db_url, "SNAPSHOT_BACKFILL_MONTHS": 4})
    closed = jobs.close_months(rt)                            # the scheduler's daily job
    assert "2026-09" in closed and "2026-10" not in closed    # October's last notices may still come
    assert closed == ["2026-07", "2026-08", "2026-09"]         # back to the first hazard's month, 4 at most
    assert jobs.close_months(rt) is None                       # once a day
    assert closing.close_due(rt).months == []                  # and nothing left to close
    with pytest.raises(Exception, match="not closed yet"):
        closing.rewrite(rt, access.SYSTEM, "2026-10")
    clock.advance(days=14)
    assert closing.close_due(rt).months == ["2026-10"]
    with rt.read_sessions() as s:
        from services.indicators import make_scope
        scope = make_scope(rt, date(2026, 10, 1), date(2026, 10, 31))
        assert snapshots.closed(s, scope) == "2026-10"
        assert indicators.compute(s, scope) == indicators.compute(s, scope, snapshot=False)
    run = CliRunner().invoke(cli.main, ["indicators", "snapshot", "--month", "2026-10"], obj={"rt": rt})
    assert run.exit_code == 0 and "2026-10:" in run.output, run.output
    run = CliRunner().invoke(cli.main, ["indicators", "snapshot", "--month", "2026-13"], obj={"rt": rt})
    assert run.exit_code != 0 and "YYYY-MM" in run.output
    assert datetime(2026, 11, 16, tzinfo=timezone.utc) <= rt.now()


def test_the_snapshot_keeps_every_set_the_indicators_count():
    assert set(snapshots.HAZARD_COLUMNS) == set(kpi.HAZARD_SETS)
    assert set(snapshots.INSPECTION_COLUMNS) == set(kpi.INSPECTION_SETS)
