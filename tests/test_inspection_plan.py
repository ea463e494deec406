"""The periodic generator over a simulated year, with two generators at once, and campaigns."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from inspection_support import InspectionWorld
from records import Branch, Customer, Inspection, Team
from services import planning

GO_LIVE = date(2026, 1, 1)
REGISTER = [  # (class, high_risk, voltage kV, how many)
    ("special", False, 110, 2), ("first", False, 10, 3), ("second", False, 10, 3), (None, True, 35, 2),
    (None, False, 10, 2), (None, False, 0.4, 2), ("temporary", False, 10, 1)]


@pytest.fixture
def world(sessions, clock, tmp_path):
    clock.set("2026-01-01T00:30:00+00:00")
    w = InspectionWorld(sessions, clock, tmp_path)
    with sessions() as s:
        for c in s.scalars(select(Customer)):
            c.next_inspection_due = None
            s.delete(c)
        s.flush()
        branch = s.scalars(select(Branch).where(Branch.code == "JA-JZ")).one()
        team = s.scalars(select(Team)).first()
        n = 0
        for klass, high_risk, kv, count in REGISTER:
            for _ in range(count):
                n += 1
                window = (date(2026, 6, 5), date(2026, 6, 10)) if klass == "temporary" else (None, None)
                s.add(Customer(number=f"36009{n:05d}", name=f"客户{n}", branch_id=branch.id, importance=klass,
                               high_risk=high_risk, supply_voltage_kv=kv, default_team_id=team.id,
                               temporary_from=window[0], temporary_to=window[1], contacts=[],
                               created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                               updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc)))
        s.commit()
    return w


def _expected_per_key(months: int) -> int:
    """Inspections created within 2026 when each is done on its due date: due = go-live + k·cycle, created 15 days before."""
    k = 1
    while GO_LIVE + relativedelta(months=months * k) - timedelta(days=15) <= date(2026, 12, 31):
        k += 1
    return k - 1


def test_a_simulated_year_creates_exactly_the_due_inspections(world):
    settings = world.settings
    created: Counter = Counter()
    day = GO_LIVE
    while day <= date(2026, 12, 31):
        world.clock.set(datetime(day.year, day.month, day.day, 0, 30, tzinfo=timezone.utc))
        report = planning.generate(world.rt, day)
        assert report.skipped == 0
        with world.sessions() as s:
            due_today = s.scalars(select(Inspection).where(Inspection.status.in_(("assigned", "planned")),
                                                           Inspection.due_date == day)).all()
            for ins in due_today:
                key = planning.inspections.cycle_key(ins.customer, day)
                created[key] += 1
        for ins in due_today:
            world.execute(ins)                      # done on the due date, through the process
        day += timedelta(days=1)
    with world.sessions() as s:
        per_key = Counter(planning.inspections.cycle_key(i.customer, date(2026, 1, 1))
                          for i in s.scalars(select(Inspection)))
        open_left = s.scalar(select(func.count()).select_from(Inspection).where(
            Inspection.status.in_(("planned", "assigned", "in_progress"))))
    expected = {"special": 2 * _expected_per_key(3), "first": 3 * _expected_per_key(3),
                "second": 3 * _expected_per_key(6), "high_risk_hv": 2 * _expected_per_key(6),
                "hv": 2 * _expected_per_key(12), "temporary": 2}     # the 保电 visits: before the period, on the eve
    assert _expected_per_key(3) == 4 and _expected_per_key(6) == 2 and _expected_per_key(12) == 1
    assert dict(per_key) == expected                 # low voltage (24 months): none within the year
    assert open_left == sum(expected.values()) - sum(created.values())   # created in December, due next year


def test_two_generators_at_once_never_create_a_duplicate(world):
    day = date(2026, 3, 20)
    world.clock.set("2026-03-20T00:30:00+00:00")
    barrier, results, errors = threading.Barrier(2, timeout=30), [], []

    def run():
        try:
            barrier.wait()
            results.append(planning.generate(world.rt, day))
        except Exception as err:  # noqa: BLE001 - asserted below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    assert errors == []
    with world.sessions() as s:
        rows = s.scalars(select(Inspection)).all()
    assert len(rows) == 5                                   # special ×2 and first ×3 are due on 1 April
    assert len({r.customer_id for r in rows}) == len(rows)
    assert sum(len(r.created) for r in results) == 5      # the other generator skipped what it lost
    again = planning.generate(world.rt, day)
    assert again.created == []


def test_a_class_change_recomputes_and_never_postpones(world):
    with world.sessions() as s:
        customer = s.scalars(select(Customer).where(Customer.importance == "second")).first()
        assert planning.next_due(s, world.settings, customer, date(2026, 2, 1)) == date(2026, 7, 1)
        customer.importance = "first"
        planning.recompute_after_class_change(s, world.settings, customer, date(2026, 2, 1))
        assert customer.next_inspection_due == date(2026, 4, 1)
        customer.importance = "second"                      # back again: the earlier date stays
        planning.recompute_after_class_change(s, world.settings, customer, date(2026, 2, 1))
        assert customer.next_inspection_due == date(2026, 4, 1)
