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
    from sqlalchemy import select, update
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
    # back to the first hazard's month, 4 at most; and the year's run up to its last closed month
    assert closed == ["2026-07", "2026-08", "2026-09", "2026-01~2026-09"]
    assert jobs.close_months(rt) is None                       # once a day
    assert closing.close_due(rt).months == []                  # and nothing left to close
    with pytest.raises(Exception, match="not closed yet"):
        closing.rewrite(rt, access.SYSTEM, "2026-10")
    clock.advance(days=14)
    assert closing.close_due(rt).months == ["2026-10", "2026-01~2026-10"]
    from services.indicators import make_scope
    with rt.read_sessions() as s:
        assert s.scalars(select(snapshots.IndicatorMonth.month).order_by(snapshots.IndicatorMonth.month)).all() == [
            "2026-01~2026-10", "2026-07", "2026-08", "2026-09", "2026-10"]        # the run up to September replaced
        scope = make_scope(rt, date(2026, 10, 1), date(2026, 10, 31))
        assert snapshots.closed(s, scope) == "2026-10"
        assert indicators.compute(s, scope) == indicators.compute(s, scope, snapshot=False)
        ten_months = make_scope(rt, date(2026, 1, 1), date(2026, 10, 31))       # the run itself
        assert snapshots.closed(s, ten_months) == "2026-01~2026-10"
        assert indicators.compute(s, ten_months) == indicators.compute(s, ten_months, snapshot=False)
    with rt.sessions() as s:          # a run written before a correction: rewriting a month rewrites its run
        s.execute(update(snapshots.IndicatorCount).where(snapshots.IndicatorCount.month == "2026-01~2026-10")
                  .values(discovered=0))
        s.commit()
    run = CliRunner().invoke(cli.main, ["indicators", "snapshot", "--month", "2026-08"], obj={"rt": rt})
    assert run.exit_code == 0 and "2026-08:" in run.output, run.output
    with rt.read_sessions() as s:
        assert indicators.compute(s, ten_months) == indicators.compute(s, ten_months, snapshot=False)
        assert indicators.compute(s, ten_months)[None]["filing"].den > 0
    run = CliRunner().invoke(cli.main, ["indicators", "snapshot", "--month", "2026-13"], obj={"rt": rt})
    assert run.exit_code != 0 and "YYYY-MM" in run.output
    assert datetime(2026, 11, 16, tzinfo=timezone.utc) <= rt.now()


def test_the_snapshot_keeps_every_set_the_indicators_count():
    assert set(snapshots.HAZARD_COLUMNS) == set(kpi.HAZARD_SETS)
    assert set(snapshots.INSPECTION_COLUMNS) == set(kpi.INSPECTION_SETS)


def test_counting_the_hazards_a_period_concerns_equals_counting_each_set_on_its_own(year):
    """The counts read the hazards a period concerns (opened by its end, not closed before its start) on the
    index that suits its length; each set counted alone over those hazards, written plainly, gives the
    same numbers. (The generated timelines may hold an event after the close-out, which the lists behind
    the numbers would count where the counts do not, hence the same restriction here.)"""
    from sqlalchemy import func, select
    from records import Hazard
    sessions, now = year
    periods = [(date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 10, 1), date(2026, 10, 31)),
               (date(2026, 8, 1), date(2026, 10, 31)), (date(2026, 1, 1), date(2026, 12, 31))]
    with sessions() as s:
        for first, last in periods:
            for filters in FILTERS[:3]:
                scope = kpi.make_scope(first, last, now, **filters)
                counted = kpi.hazard_counts(s, scope, list(kpi.HAZARD_SETS), snapshot=False)[None]
                concerned = (Hazard.opened_at < scope.as_of) & (Hazard.closed_at.is_(None)
                                                                 | (Hazard.closed_at >= scope.start))
                alone = {name: s.scalar(select(func.count()).select_from(Hazard)
                                        .where(concerned, kpi.hazard_condition(s, scope, name)))
                         for name in kpi.HAZARD_SETS}
                assert counted == alone, (first, last, filters)
                assert counted["open_at_end"] > 0


def test_the_dashboards_one_pass_equals_a_query_per_table(year):
    """The dashboard counts the hazards once, grouped by team and by the breakdown's group, and sums them
    per table: the same numbers as a query per table, for the running month and a closed month."""
    from services.indicator_tables import Tally
    sessions, now = year
    october = kpi.make_scope(date(2026, 10, 1), date(2026, 10, 31), now)
    _close(sessions, october, now)
    names = list(kpi.HAZARD_SETS)
    with sessions() as s:
        for first, last in ((date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 10, 1), date(2026, 10, 31))):
            for filters in FILTERS[:2]:
                scope = kpi.make_scope(first, last, now, **filters)
                for by in indicators.GROUPS:
                    tally = Tally(s, scope, by)
                    tally.hazard_sets = names
                    for group in {None, "team", by}:
                        assert tally.hazards(names, group) == kpi.hazard_counts(s, scope, names, group), (first, by, group)
                    for group in (None, by):
                        assert (tally.inspections(tally.inspection_sets, group)
                                == kpi.inspection_counts(s, scope, tally.inspection_sets, group)), (first, by, group)
                    assert tally.rates() == indicators.compute(s, scope)[None]
        assert snapshots.closed(s, october) == "2026-10"


def test_a_snapshot_is_stored_in_short_transactions_and_read_once_complete(year, tmp_path, monkeypatch):
    """A key being stored is not read (queries compute it meanwhile); a second closer finds it taken; a writer
    that died leaves it to be taken over after an hour; storing again leaves no row twice."""
    from sqlalchemy import func, select
    from services import access
    from services import runtime as wiring
    from services import snapshots as closing
    from services.indicators import make_scope
    sessions, _now = year
    db_url = str(sessions.kw["bind"].url.render_as_string(hide_password=False))
    clock = FixedClock("2026-11-20T01:00:00+00:00")
    rt = wiring.build({"ENV": "testing", "SECRET_KEY": "k", "DATA_DIR": str(tmp_path / "data"), "CLOCK": clock,
                       "DATABASE_URL": db_url, "SNAPSHOT_BACKFILL_MONTHS": 3})
    monkeypatch.setattr(snapshots, "batches",
                        lambda rows, size=5000: (rows[i:i + 100] for i in range(0, len(rows), 100)))
    stored = closing.rewrite(rt, access.SYSTEM, "2026-09")
    september = make_scope(rt, date(2026, 9, 1), date(2026, 9, 30))

    def rows_of(key):
        with rt.read_sessions() as s:
            return (s.scalar(select(func.count()).select_from(snapshots.IndicatorCount)
                             .where(snapshots.IndicatorCount.month == key)),
                    s.scalar(select(func.count()).select_from(snapshots.IndicatorPending)
                             .where(snapshots.IndicatorPending.month == key)))
    first = rows_of("2026-09")
    assert stored > 100 and first[0] > 0 and first[1] > 0          # stored in several parts
    with rt.sessions() as s:                                         # another writer takes it
        assert snapshots.begin(s, "2026-09", rt.now())
        s.commit()
    with rt.read_sessions() as s:
        assert snapshots.closed(s, september) is None                # not read while written: computed
        assert indicators.compute(s, september)[None]["filing"].den > 0
    with pytest.raises(closing.Busy, match="being counted"):
        closing.rewrite(rt, access.SYSTEM, "2026-09")
    assert closing.close_due(rt).months == ["2026-08", "2026-10", "2026-01~2026-10"]   # the daily round passes it by
    clock.advance(hours=2)                                           # that writer died: taken over
    closing.rewrite(rt, access.SYSTEM, "2026-09")
    assert rows_of("2026-09") == first                               # the same rows, none twice
    with rt.read_sessions() as s:
        assert snapshots.closed(s, september) == "2026-09"
        assert indicators.compute(s, september) == indicators.compute(s, september, snapshot=False)


def _differences(composed: dict, computed: dict) -> dict:
    """{key: {set: (composed, computed)}} of the counts that differ, for the assertion's message."""
    return {key: {name: (n, computed.get(key, {}).get(name)) for name, n in values.items()
                  if n != computed.get(key, {}).get(name)} for key, values in composed.items()}


@pytest.mark.parametrize("runs", [False, True], ids=["months", "year-runs"])
def test_a_period_of_several_months_is_read_from_its_closed_months_and_equals_the_records(year, runs):
    """The year to date, a past quarter, months across a year's end and a run up to the running month: the
    closed months from their snapshots, the rest computed, with every filter and grouping; the same counts
    as the computation from the records. The data holds what a month's counts cannot know at its end: a
    dossier completed, a refused notice signed, hazards cancelled after their month closed (and the
    generated notices and 重大 reports that come after the end of the month of discovery). With the years'
    runs kept too (as the scheduler keeps them), the year to date reads its run instead of its months."""
    from sqlalchemy import delete, func, select, update
    from records import Hazard, HazardEvent, Inspection, kpi_compose
    sessions, now = year
    names = list(kpi.HAZARD_SETS)
    with sessions() as s:                                  # what a closed month will not have seen at its end
        in_march = (Hazard.opened_at >= datetime(2026, 3, 1, tzinfo=timezone.utc),
                    Hazard.opened_at < datetime(2026, 3, 20, tzinfo=timezone.utc))
        went_overdue = s.scalars(select(HazardEvent.hazard_id).join(Hazard, Hazard.id == HazardEvent.hazard_id).where(
            *in_march, HazardEvent.kind == "overdue", HazardEvent.at < datetime(2026, 8, 1, tzinfo=timezone.utc))
            .order_by(HazardEvent.hazard_id).limit(1)).one()          # and its month's overdue counts with it
        overdue_then_cancelled = s.scalars(                # overdue in September, cancelled before its end:
            select(HazardEvent.hazard_id).join(Hazard, Hazard.id == HazardEvent.hazard_id).where(  # in no count
                Hazard.opened_at >= datetime(2026, 4, 1, tzinfo=timezone.utc),                    # of September
                Hazard.opened_at < datetime(2026, 9, 1, tzinfo=timezone.utc), HazardEvent.kind == "overdue",
                HazardEvent.at >= datetime(2026, 9, 1, tzinfo=timezone.utc),
                HazardEvent.at < datetime(2026, 9, 10, tzinfo=timezone.utc),
                Hazard.closed_at.is_(None) | (Hazard.closed_at >= datetime(2026, 9, 10, tzinfo=timezone.utc)))
            .order_by(HazardEvent.hazard_id).limit(1)).one()
        cancelled = [*s.scalars(select(Hazard.id).where(*in_march, Hazard.id != went_overdue)
                                .order_by(Hazard.id).limit(2)), went_overdue, overdue_then_cancelled]
        s.execute(update(Hazard).where(Hazard.id.in_(cancelled))
                  .values(cancelled_at=datetime(2026, 9, 10, tzinfo=timezone.utc), status="cancelled"))
        never_done = s.scalars(select(Inspection.id).where(                # a June visit still not made at its close
            Inspection.kind == "periodic", Inspection.due_date >= date(2026, 6, 1),
            Inspection.due_date <= date(2026, 6, 30)).order_by(Inspection.id).limit(1)).one()
        s.execute(update(Inspection).where(Inspection.id == never_done)
                  .values(status="assigned", completed_on=None, completed_at=None))
        unfiled = s.scalars(select(Hazard.id).where(Hazard.opened_at >= datetime(2026, 1, 1, tzinfo=timezone.utc),
                                                    Hazard.opened_at < datetime(2026, 10, 1, tzinfo=timezone.utc))
                            .order_by(Hazard.id)).all()
        s.commit()
    months = indicators.months_up_to(date(2026, 10, 31), 12)
    for first, last in months + (snapshots.year_runs([first for first, _last in months]) if runs else []):
        _close(sessions, kpi.make_scope(first, last, now), now)
    with sessions() as s:                                  # after the months closed
        no_photo = [i for i in unfiled if not s.get(Hazard, i).photos and i not in cancelled][:2]
        assert no_photo, "the generated data has hazards without a photo"
        s.execute(update(Hazard).where(Hazard.id.in_(no_photo)).values(photos=["b" * 64]))
        s.execute(update(Inspection).where(Inspection.id == never_done).values(status="cancelled"))  # taken off the plan
        refused = s.scalars(select(Hazard.id).where(
            Hazard.refused_to_sign.is_(True), Hazard.notified_at >= datetime(2026, 2, 1, tzinfo=timezone.utc),
            Hazard.notified_at < datetime(2026, 10, 1, tzinfo=timezone.utc), Hazard.id.not_in(cancelled)
        ).limit(1)).one()
        s.add(HazardEvent(id=s.scalar(select(func.max(HazardEvent.id))) + 1, hazard_id=refused, actor="x",
                          at=datetime(2026, 10, 20, tzinfo=timezone.utc),
                          kind="notice_signed", status_after="notified", detail={}))
        s.commit()
    periods = [(date(2026, 1, 1), date(2026, 12, 31)), (date(2026, 7, 1), date(2026, 9, 30)),
               (date(2025, 11, 1), date(2026, 10, 31)), (date(2026, 8, 1), date(2026, 11, 30))]
    with sessions() as s:
        for first, last in periods[:1] if runs else periods:         # the runs serve the year to date
            for filters in FILTERS:
                scope = kpi.make_scope(first, last, now, **filters)
                chosen = kpi_compose.plan(s, scope)
                assert chosen is not None and chosen.months[0].startswith(f"{first:%Y-%m}"), (first, filters)
                for group in (None, *indicators.GROUPS, "severity", ("team", "class")) if not filters \
                        else (None, "team"):
                    composed = kpi.hazard_counts(s, scope, names, group)
                    computed = kpi.hazard_counts(s, scope, names, group, snapshot=False)
                    assert composed == computed, (first, filters, group, _differences(composed, computed))
                assert indicators.compute(s, scope) == indicators.compute(s, scope, snapshot=False)
                # each set alone (the year to date) or a few together, as a caller asks them: the same counts,
                # and the same groups
                whole = not filters and first == periods[0][0]
                for only in [[n] for n in names] if whole else [["open_at_end", "monitored"], ["accepted_in_time"]]:
                    for group in (None, "team", "class", ("team", "class")) if whole else ("team",):
                        assert kpi.hazard_counts(s, scope, only, group) == \
                            kpi.hazard_counts(s, scope, only, group, snapshot=False), (first, filters, only, group)
                for group in (None, *snapshots.INSPECTION_GROUPS) if not filters else (None, "team"):
                    assert (kpi.inspection_counts(s, scope, snapshots.INSPECTION_COLUMNS, group)
                            == kpi.inspection_counts(s, scope, snapshots.INSPECTION_COLUMNS, group, snapshot=False)
                            ), (first, filters, group)
        if runs:
            assert kpi_compose.plan(s, kpi.make_scope(date(2026, 1, 1), date(2026, 12, 31), now)).months == [
                "2026-01~2026-10"]
            past = kpi.make_scope(date(2025, 1, 1), date(2025, 12, 31), now)       # a past year: its run
            assert snapshots.closed(s, past) == "2025-01~2025-12"
            for group in (None, "team", "class"):
                assert indicators.compute(s, past, group=group) == indicators.compute(s, past, group=group,
                                                                                     snapshot=False), group
            # the run's month without its snapshot changes nothing; the run without its, the months are read
            s.execute(delete(snapshots.IndicatorMonth).where(snapshots.IndicatorMonth.month == "2026-05"))
            year_scope = kpi.make_scope(date(2026, 1, 1), date(2026, 12, 31), now)
            assert kpi_compose.plan(s, year_scope).months == ["2026-01~2026-10"]
            s.execute(delete(snapshots.IndicatorMonth).where(snapshots.IndicatorMonth.month == "2026-01~2026-10"))
            year_scope = kpi.make_scope(date(2026, 1, 1), date(2026, 12, 31), now)   # a scope asks once
            assert kpi_compose.plan(s, year_scope).months == ["2026-01", "2026-02", "2026-03", "2026-04"]
            s.rollback()
            return
        assert kpi_compose.plan(s, kpi.make_scope(date(2026, 1, 1), date(2026, 12, 31), now)).months == [
            f"2026-{m:02d}" for m in range(1, 11)]
        assert kpi_compose.plan(s, kpi.make_scope(date(2026, 10, 1), date(2026, 10, 31), now)) is None  # a month
        assert kpi_compose.plan(s, kpi.make_scope(date(2026, 1, 2), date(2026, 3, 31), now)) is None   # not whole

        # a month without its snapshot (counted with other settings, say): the months before it are read,
        # the rest computed from its start
        s.execute(delete(snapshots.IndicatorMonth).where(snapshots.IndicatorMonth.month == "2026-05"))
        year_scope = kpi.make_scope(date(2026, 1, 1), date(2026, 12, 31), now)
        assert kpi_compose.plan(s, year_scope).months == ["2026-01", "2026-02", "2026-03", "2026-04"]
        for group in (None, "team"):
            assert (kpi.hazard_counts(s, year_scope, names, group)
                    == kpi.hazard_counts(s, year_scope, names, group, snapshot=False)), group
        s.rollback()

        # the months' counts summed alone differ from the records: by the cancelled hazards, the refused
        # notice signed later, and the hazards filed since (the two dossiers completed, notices delivered
        # after their month's end), which their months kept as pending
        closed_run = kpi.make_scope(date(2026, 1, 1), date(2026, 10, 31), now)
        closed_months = [kpi.make_scope(first, last, now)
                         for first, last in indicators.months_up_to(date(2026, 10, 31), 10)]
        sets = ["discovered", "filed", "signed"]
        summed = snapshots.counts(s, closed_run, kpi_compose.plan(s, closed_run).months, snapshots.HAZARD, sets)[None]
        computed = kpi.hazard_counts(s, closed_run, sets, snapshot=False)[None]

        def how_many(ids, scope, name):
            return s.scalar(select(func.count()).select_from(Hazard).where(Hazard.id.in_(ids),
                                                                           kpi.hazard_condition(s, scope, name)))
        assert summed["discovered"] == computed["discovered"] + len(cancelled)
        def in_their_months(ids, name):            # as each month counted them, before their cancellation
            return sum(how_many(ids, month, name) for month in closed_months)
        assert summed["signed"] == computed["signed"] - 1 + in_their_months(cancelled, "signed")
        assert how_many(no_photo, closed_run, "filed") == len(no_photo)
        assert summed["filed"] < computed["filed"] - len(no_photo) + in_their_months(cancelled, "filed")
        inspected = snapshots.counts(s, closed_run, kpi_compose.plan(s, closed_run).months, snapshots.INSPECTION,
                                     ["periodic_due", "periodic_late"])[None]
        assert inspected == {n: v + 1 for n, v in kpi.inspection_counts(
            s, closed_run, ["periodic_due", "periodic_late"], snapshot=False)[None].items()}   # the June visit
        kept = set(s.execute(select(snapshots.IndicatorPending.name, snapshots.IndicatorPending.hazard_id)).all())
        assert {("filed", i) for i in no_photo} | {("signed", refused)} <= kept


def test_sqlite_counts_the_open_hazards_by_class_customer_by_customer(sqlite_url, generator):
    """Grouped by class, the year to date's pass over the hazards still open reads them customer by customer in
    the class index's order, on the open hazards' index alone: no sort of every open hazard by class. The plan
    is the point: written in the order SQLite keeps (CROSS JOIN), a customer's hazards read on any other index
    would be a scan of the open ones per customer (at 200,000 hazards, 25 s instead of 20 ms)."""
    from sqlalchemy import event
    sa = make_engine(sqlite_url)
    generator.load(sa, 300, seed=5, customers_count=60)
    sessions, now = make_session_factory(sa), generator.NOW
    months = indicators.months_up_to(date(2026, 10, 31), 10)
    for first, last in months + snapshots.year_runs([first for first, _last in months]):
        _close(sessions, kpi.make_scope(first, last, now), now)
    statements = []
    event.listen(sa, "before_cursor_execute", lambda _c, _cur, st, params, *_: statements.append((st, params)))
    with sessions() as s:
        scope = kpi.make_scope(date(2026, 1, 1), date(2026, 12, 31), now)
        assert kpi.hazard_counts(s, scope, ["open_at_end", "monitored"], "class") == \
            kpi.hazard_counts(s, scope, ["open_at_end", "monitored"], "class", snapshot=False)
    ordered = [(st, params) for st, params in statements if "CROSS JOIN" in st]
    assert len(ordered) == 1, [st[:120] for st, _ in statements]
    with sa.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + ordered[0][0], ordered[0][1])]
    sa.dispose()
    # (the words of SQLite 3.36 and later; older ones say "SCAN TABLE customer ...")
    assert plan[0].startswith("SCAN") and "customer USING COVERING INDEX ix_customer_importance" in plan[0], plan
    assert plan[1].startswith("SEARCH") and \
        "hazard USING COVERING INDEX ix_hazard_open_by_customer (customer_id=?" in plan[1], plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
