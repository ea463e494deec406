"""The indicator queries (records/kpi.py, records/indicators.py) on 200,000 hazards.

The data: one company and 10 county branches, 40 teams, 5,000 customers (a quarter first class,
half second, the rest without class; 12 industries), 200,000 hazards opened evenly over the three
years before "now" (2026-11-15), 70% general, 22% significant, 8% major, notified 2 to 60 hours after
discovery (4% refused). 20% went overdue once and 5% twice (the overdue event, the 督导单 rendered and,
1–5 days later, delivered with a new deadline). Of the hazards whose deadline has passed, 85% are
closed (reported, accepted, closed); the other 15% stay open past their deadline with no overdue
timer fired — a pessimistic load, as each is a monitoring gap that is checked event by event. 3%
have no photo. Each gets its timeline and documents as the lifecycle writes them: about 1.2 million
events and 420,000 documents; 30,000 periodic inspections (every customer every ~6 months) and
15,000 grade rows. Rows are bulk-inserted with SQLAlchemy Core executemany; PostgreSQL gets VACUUM
ANALYZE after the load, SQLite nothing (the app never runs ANALYZE).

What is timed (median of --repeat runs, after one warm-up), each answering one question of the
dashboard:

  indicators month      all 9 indicators of the current month (the hazard sets in up to three passes:
                        those discovered, those closed in the period, the rest; one over the inspections)
  indicators last month the same for the month before (state read from the timelines, not the columns)
  indicators year       the same for the year to date
  by team / by class    the 9 indicators grouped (one row per team / class)
  trend 12 months       discovered, closed, filing, elimination, monitoring per month
  trend, one pass /     its counts in one scan of the hazards, or with a query per month (the
  trend, 12 queries     default is the first on PostgreSQL and the second on SQLite: measured here)
  category × severity   hazards discovered this year by category and severity
  A/B/C over 12 months  the grade distribution at each month end
  days to close         average days to close-out by severity, this year
  hazard list (gap)     the first page of "open and not under monitoring" (the list behind a number)
  dashboard page        everything GET /dashboard computes for this month: its tables as the page builds
                        them (services/indicator_tables.py), but the month-by-month one, which the page
                        loads afterwards (GET /dashboard/trend)

Each is timed twice: computed from the records, then with every ended month counted into its snapshot
(records/snapshots.py, as the scheduler does when a month closes), which past months then read, and a
longer period for its closed months, the rest computed (records/kpi_compose.py); the year to date reads
the run of its closed months, which the scheduler keeps counted as one.
Goals (issue 19): 12-month trend under 150 ms, dashboard page under 250 ms, single-period under 100 ms.

Run: .venv/bin/python bench/kpi_scale.py               (SQLite file database in a temp folder)
     .venv/bin/python bench/kpi_scale.py --postgres    (a fresh schema on 127.0.0.1:5432/test, dropped after)
     --hazards N to change the size.
"""
from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text  # noqa: E402

from benchlib import pg_schema  # noqa: E402

from engine.database import make_engine, make_session_factory  # noqa: E402
from records import (Branch, Customer, CustomerGrade, Document, Hazard, HazardEvent, Inspection, Team,  # noqa: E402
                     indicators, kpi, snapshot_counts, snapshots)
from services import indicator_tables, migrate  # noqa: E402
from services.indicators import KpiQuery  # noqa: E402

NOW = datetime(2026, 11, 15, 2, 0, tzinfo=timezone.utc)
INDUSTRIES = ["医疗卫生", "党政机关", "交通枢纽", "大型商场", "通信/数据中心", "学校", "危险化学品", "供水", "煤矿",
              "冶金", "电子及精密制造", "金融"]
CATEGORIES = ["供电电源", "自备应急电源", "非电保安措施", "运行管理", "设备状况", "继电保护"]
BATCH = 20_000
PAGE_RUNTIME = SimpleNamespace(now=lambda: NOW)      # what the dashboard's tables ask of the runtime
SEVERAL = {"trend 12 months": "12 periods: one pass on PostgreSQL, a query each on SQLite",
           "trend, one pass": "its counts in one scan", "trend, 12 queries": "its counts, a query per month",
           "dashboard page": "all its tables but the trend"}


def _flush(conn, table, rows):
    if rows:
        conn.execute(insert(table), rows)
        rows.clear()


def load(sa, hazards: int, seed: int = 7, customers_count: int = 5000) -> None:
    rnd = random.Random(seed)
    with sa.begin() as conn:
        conn.execute(insert(Branch.__table__), [{"id": 1, "code": "JA", "name": "公司", "kind": "company",
                                                  "parent_id": None, "lock_version": 1}]
                     + [{"id": i + 2, "code": f"B{i}", "name": f"县公司{i}", "kind": "county", "parent_id": 1,
                         "lock_version": 1} for i in range(10)])
        conn.execute(insert(Team.__table__), [{"id": i + 1, "code": f"T{i:02d}", "name": f"检查{i}组",
                                                "branch_id": 2 + i % 10, "active": True, "lock_version": 1}
                                               for i in range(40)])
        customers = []
        for i in range(customers_count):
            klass = rnd.choices(["first", "second", None], [25, 50, 25])[0]
            customers.append({"id": i + 1, "number": f"36{i:08d}", "name": f"客户{i}", "branch_id": 2 + i % 10,
                              "importance": klass, "high_risk": rnd.random() < 0.2, "industry": rnd.choice(INDUSTRIES),
                              "contacts": [], "default_team_id": 1 + i % 40, "created_at": NOW, "updated_at": NOW,
                              "lock_version": 1})
        conn.execute(insert(Customer.__table__), customers)
        _hazards(conn, rnd, hazards, customers)
        _inspections_and_grades(conn, rnd, customers_count)


def _hazards(conn, rnd, count, customers) -> None:
    span = timedelta(days=3 * 365).total_seconds()
    rows, events, docs = [], [], []
    event_id = doc_id = 0
    for i in range(count):
        c = customers[rnd.randrange(len(customers))]
        opened = NOW - timedelta(seconds=span * (1 - (i + 1) / count))
        severity = rnd.choices(["general", "significant", "major"], [70, 22, 8])[0]
        deadline = opened + timedelta(days={"general": 30, "significant": 60, "major": 90}[severity])
        notified = opened + timedelta(hours=rnd.choice([2, 5, 30, 60]))
        refused = rnd.random() < 0.04
        overdue_times = rnd.choices([0, 1, 2], [75, 20, 5])[0]
        timeline = [("registered", opened, "found", deadline), ("notice_refused" if refused else "notice_signed",
                                                              notified, "notified", None),
                    ("rectification_started", notified, "rectifying", deadline)]
        doc_list = [("hazard_notice", opened)]
        moment, status = deadline, "rectifying"
        for n in range(overdue_times):
            if moment >= NOW:
                break
            timeline.append(("overdue", moment + timedelta(seconds=1), "overdue", moment))
            doc_list.append(("supervision_order", moment + timedelta(seconds=1)))
            delivered = moment + timedelta(days=rnd.choice([1, 2, 5]))
            status = "overdue"
            if delivered < NOW:
                moment = delivered + timedelta(days=7)
                timeline.append(("supervised", delivered, "supervising", moment))
                status = "supervising"
        closed = None
        if moment < NOW and rnd.random() < 0.85 or (moment > NOW and rnd.random() < 0.3 and opened < NOW - timedelta(days=5)):
            done = min(moment - timedelta(days=rnd.randint(0, 20)), NOW - timedelta(days=1))
            done = max(done, notified + timedelta(days=1))
            timeline += [("rectification_reported", done, "pending_acceptance", None),
                         ("accepted", done + timedelta(days=2), "accepted", None),
                         ("closed", done + timedelta(days=3), "closed", None)]
            doc_list.append(("acceptance_record", done + timedelta(days=2)))
            closed, status = done + timedelta(days=3), "closed"
            if closed >= NOW:
                timeline, closed, status = timeline[:-1], None, "accepted"
        elif moment < NOW and status == "rectifying":
            status = "rectifying"      # overdue without the timer having fired (a few)
        hazard_id = i + 1
        timeline = [t for t in timeline if t[1] < NOW]
        rows.append({"id": hazard_id, "file_number": f"YH-{i:07d}", "customer_id": c["id"], "branch_id": c["branch_id"],
                     "team_id": c["default_team_id"], "item_code": "EP02",
                     "item": {"code": "EP02", "name_zh": "x", "category": rnd.choice(CATEGORIES)},
                     "severity": severity, "location": "配电室", "description": "—",
                     "photos": [] if rnd.random() < 0.03 else ["a" * 64], "after_photos": [], "status": status,
                     "deadline": moment, "original_deadline": deadline, "supervision_count": overdue_times,
                     "refused_to_sign": refused, "reported_to_government": severity == "major",
                     "opened_by": "x", "opened_at": opened, "notified_at": notified if notified < NOW else None,
                     "closed_at": closed, "lock_version": 1})
        if severity == "major":
            timeline.append(("reported", opened + timedelta(days=rnd.choice([1, 3, 9])), "notified", None))
        for kind, at, after, new_deadline in timeline:
            if at >= NOW:
                continue
            event_id += 1
            events.append({"id": event_id, "hazard_id": hazard_id, "at": at, "actor": "x", "kind": kind,
                           "status_before": None, "status_after": after,
                           "detail": {"deadline": new_deadline.isoformat()} if new_deadline else {},
                           "document_id": None})
        for kind, at in doc_list:
            if at >= NOW:
                continue
            doc_id += 1
            docs.append({"id": doc_id, "kind": kind, "number": f"D{doc_id}", "subject": f"YH-{i:07d}", "version": 1,
                         "hazard_id": hazard_id, "customer_id": c["id"], "sha256": "0" * 64, "size": 1,
                         "filename": "x.docx", "content_type": "x", "created_at": at, "created_by": "x"})
        if len(events) >= BATCH:
            _flush(conn, Hazard.__table__, rows)
            _flush(conn, HazardEvent.__table__, events)
            _flush(conn, Document.__table__, docs)
    _flush(conn, Hazard.__table__, rows)
    _flush(conn, HazardEvent.__table__, events)
    _flush(conn, Document.__table__, docs)


def _inspections_and_grades(conn, rnd, customers_count: int = 5000) -> None:
    rows, grades, number = [], [], 0
    for customer in range(1, customers_count + 1):
        due = date(2023, 12, 1) + timedelta(days=rnd.randint(0, 180))
        while due < NOW.date() + timedelta(days=30):
            number += 1
            done = due - timedelta(days=rnd.randint(-10, 20))
            finished = done < NOW.date()
            rows.append({"id": number, "number": f"JC{number}", "customer_id": customer, "kind": "periodic",
                         "full_inspection": True, "team_id": 1 + customer % 40, "planned_from": due - timedelta(days=15),
                         "due_date": due, "status": "completed" if finished else "assigned",
                         "checklist_template": "*:*", "result": {}, "hazard_numbers": [], "created_by": "x",
                         "created_at": NOW, "completed_on": done if finished else None, "lock_version": 1})
            due += timedelta(days=182)
        for n in range(3):
            grades.append({"customer_id": customer, "grade": rnd.choice(["A", "B", "C", None]), "score": 1.0,
                           "drivers": [], "model_version": "b", "reason": "b", "open_hazards": 1,
                           "computed_at": NOW - timedelta(days=rnd.randint(1, 700)), "current": n == 2})
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(Inspection.__table__), rows[start:start + BATCH])
    conn.execute(insert(CustomerGrade.__table__), grades)


def timings(sessions, repeat: int, only=None) -> list[tuple[str, float]]:
    month = lambda: kpi.make_scope(date(2026, 11, 1), date(2026, 11, 30), NOW)   # noqa: E731
    year = lambda: kpi.make_scope(date(2026, 1, 1), date(2026, 12, 31), NOW)     # noqa: E731

    def page(s):
        condition = kpi.hazard_condition(s, month(), "unmonitored")
        s.execute(select(func.count()).select_from(Hazard).where(condition)).scalar()
        return s.scalars(select(Hazard).where(condition).order_by(Hazard.opened_at.desc()).limit(50)).all()

    def page_numbers(s):          # what GET /dashboard computes: its tables but the trend, as the page builds them
        q = KpiQuery(period="2026-11", first_day=date(2026, 11, 1), last_day=date(2026, 11, 30))
        tally = indicator_tables.Tally(s, month(), q.by)
        for key in indicator_tables.ON_THE_PAGE:
            indicator_tables.BUILDERS[key](PAGE_RUNTIME, s, month(), q, tally)

    def trend_counts(one_pass):   # the counts of monthly_trend, forced one way or the other
        sets = ["discovered", "filed", "closed", "to_eliminate", "monitored", "open_at_end"]
        scopes = [kpi.make_scope(first, last, NOW) for first, last in indicators.months_up_to(month().last_day, 12)]
        return lambda s: kpi.hazard_counts_over(s, scopes, sets, one_pass=one_pass)

    cases = [
        ("indicators month", lambda s: indicators.compute(s, month())),
        ("indicators last month", lambda s: indicators.compute(s, kpi.make_scope(date(2026, 10, 1),
                                                                                date(2026, 10, 31), NOW))),
        ("indicators year", lambda s: indicators.compute(s, year())),
        ("by team (month)", lambda s: indicators.compute(s, month(), group="team")),
        ("by class (year)", lambda s: indicators.compute(s, year(), group="class")),
        ("trend 12 months", lambda s: indicators.monthly_trend(s, month(), NOW)),
        ("trend, one pass", trend_counts(True)),
        ("trend, 12 queries", trend_counts(False)),
        ("category x severity", lambda s: indicators.category_severity(s, year())),
        ("A/B/C over 12 months", lambda s: indicators.grade_distribution(s, month(), NOW)),
        ("days to close", lambda s: indicators.close_days(s, year())),
        ("hazard list (gap)", page),
        ("dashboard page", page_numbers),
    ]
    out = []
    for name, fn in cases:
        if only and not any(word in name for word in only):
            continue
        spent = []
        for _ in range(repeat + 1):
            with sessions() as s:
                started = time.perf_counter()
                fn(s)
                spent.append(time.perf_counter() - started)
        out.append((name, statistics.median(spent[1:])))
    return out


@contextlib.contextmanager
def database(postgres: bool):
    if not postgres:
        with tempfile.TemporaryDirectory() as folder:
            sa = make_engine(f"sqlite:///{folder}/kpi.db")
            migrate.upgrade(sa)
            yield sa, "SQLite"
            sa.dispose()
        return
    with pg_schema("postgresql+psycopg://postgres@127.0.0.1:5432/test", "gs_bench") as url:
        sa = make_engine(url)
        try:
            migrate.upgrade(sa)
            yield sa, "PostgreSQL"
        finally:
            sa.dispose()


def sessions_of(sa):
    return make_session_factory(sa)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--hazards", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with database(args.postgres) as (sa, name):
        started = time.perf_counter()
        load(sa, args.hazards)
        if args.postgres:
            with sa.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        with sa.connect() as conn:
            sizes = {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                     for t in (Hazard.__table__, HazardEvent.__table__, Document.__table__, Inspection.__table__)}
        print(f"{name}: loaded {sizes} in {time.perf_counter() - started:.0f} s")
        with sessions_of(sa)() as s:
            now_scope = kpi.make_scope(date(2026, 11, 1), date(2026, 11, 30), NOW)
            shape = kpi.hazard_counts(s, now_scope, ["open_at_end", "overdue_at_end", "monitored"])[None]
        print(f"  open now {shape['open_at_end']}, of which overdue {shape['overdue_at_end']}, "
              f"under monitoring {shape['monitored']}")
        sessions = sessions_of(sa)
        live = timings(sessions, args.repeat)
        started = time.perf_counter()
        closed = close_months(sessions)
        spent = time.perf_counter() - started
        print(f"  closing 12 months and their years' runs ({closed} snapshots): {spent:.1f} s "
              f"({spent / closed * 1000:.0f} ms each)")
        snapped = dict(timings(sessions, args.repeat))
        print(f"  {'':<24} {'computed':>11} {'snapshots':>11}   (past months from their snapshots)")
        worst = 0.0
        for case, seconds in live:
            after = snapped[case]
            note = f"   ({SEVERAL[case]})" if case in SEVERAL else ""
            if case not in SEVERAL:
                worst = max(worst, after)
            print(f"  {case:<24} {seconds * 1000:8.0f} ms {after * 1000:8.0f} ms{note}")
        print(f"slowest single-period query: {worst * 1000:.0f} ms — goal under 100 ms: "
              f"{'met' if worst < 0.1 else 'NOT met'}; 12-month trend {snapped['trend 12 months'] * 1000:.0f} ms "
              f"(goal 150 ms), dashboard page {snapped['dashboard page'] * 1000:.0f} ms (goal 250 ms)")


def close_months(sessions) -> int:
    """Count the 12 ended months the queries read into their snapshots, and the run of each of their years up
    to its last closed month, as the scheduler does when each month closes (records level)."""
    months = indicators.months_up_to(date(2026, 10, 31), 12)
    months += snapshots.year_runs([first for first, _last in months])
    for first, last in months:
        scope = kpi.make_scope(first, last, NOW)
        with sessions() as s:
            rows = snapshot_counts.count(s, scope)
        with sessions() as s:
            snapshots.replace(s, scope, rows, NOW)
            s.commit()
            snapshots.analyze(s)
    return len(months)

if __name__ == "__main__":
    main()
