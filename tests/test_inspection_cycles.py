"""Cycles (domain.md §3.2, §3.3): a special inspection does not move the periodic due date; a temporary
customer honours its own cycle during its assurance window and falls back to its underlying class's
after it; a customer is taken off the plan and back with a reason; an overdue periodic inspection is
escalated by SMS to the team head. Through inspection.bpmn with a moved clock."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine import AuditEvent, ProcessInstance
from inspection_support import InspectionWorld
from records import Customer, Inspection, User, inspections
from records.outbox import OutboxMessage
from services import Invalid, planning


@pytest.fixture
def world(sessions, clock, tmp_path):
    w = InspectionWorld(sessions, clock, tmp_path)          # today 2026-03-02; the hospital is 一级 (3 months)
    with sessions() as s:
        s.add(User(username="spec", display_name="专责", password_hash="x", created_at=clock.now(), active=True,
                   locale="zh_CN", branch=s.get(Customer, w.ids["hospital"]).branch, teams=[]))
        s.flush()
        s.scalars(select(User).where(User.username == "spec")).one().set_roles(["specialist"])
        s.commit()
    return w


def _customer(world, key="hospital") -> Customer:
    with world.sessions() as s:
        return s.get(Customer, world.ids[key])


def test_a_special_inspection_does_not_move_the_periodic_due_date(world):
    first_due = date(2026, 6, 2)                          # registered 03-02 + 3 months
    with world.sessions() as s:
        assert planning.next_due(s, world.settings, _customer(world), date(2026, 3, 2)) == first_due
    world.clock.advance(days=20)
    world.execute(world.plan(kind="special", due=date(2026, 3, 31)))
    hospital = _customer(world)
    assert hospital.last_inspected_on == date(2026, 3, 22) and hospital.next_inspection_due == first_due
    with world.sessions() as s:
        assert planning.next_due(s, world.settings, hospital, date(2026, 3, 22)) == first_due
    world.clock.advance(days=60)                          # the periodic one, done on 05-21, resets the cycle
    world.execute(world.plan(kind="periodic", due=first_due))
    assert _customer(world).next_inspection_due == date(2026, 8, 21)


def _temporary(**fields) -> Customer:
    base = dict(number="T1", name="高考保电考点", importance="temporary", supply_voltage_kv=10, high_risk=False,
                temporary_from=date(2026, 6, 5), temporary_to=date(2026, 6, 10),
                created_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    return Customer(**{**base, **fields})


def test_a_temporary_customer_honours_its_cycle_override_and_falls_back_after_its_window(world):
    table = dict(inspections.DEFAULT_CYCLES)
    with world.sessions() as s:
        # without an override: no periodic cycle during the window (its 保电 visits are planned apart)
        assert inspections.next_due(s, {}, _temporary(), date(2026, 3, 2), table) is None
        # its own cycle (monthly) during the window comes first
        assert inspections.next_due(s, {}, _temporary(cycle_months=1), date(2026, 3, 2), table) == date(2026, 4, 1)
        # after the window: the cycle of its underlying class (10 kV: 12 months), the override no longer applies
        after = _temporary(cycle_months=1, last_inspected_on=date(2026, 6, 8))
        assert inspections.cycle_key(after, date(2026, 6, 20)) == "hv"
        assert inspections.cycle_months(after, date(2026, 6, 20), table) == 12
        assert inspections.next_due(s, {}, after, date(2026, 6, 20), table) == date(2027, 6, 8)
        high = _temporary(supply_voltage_kv=110, high_risk=True, last_inspected_on=date(2026, 6, 8))
        assert inspections.next_due(s, {}, high, date(2026, 6, 20), table) == date(2026, 12, 8)


def test_a_customer_is_taken_off_the_plan_with_a_reason_and_comes_back(world):
    world.clock.set(datetime(2026, 5, 20, 2, 0, tzinfo=timezone.utc))          # within the lead time of 06-02
    created = planning.generate(world.rt, date(2026, 5, 20)).created
    with world.sessions() as s:
        open_ins = s.scalars(select(Inspection).where(Inspection.customer_id == world.ids["hospital"],
                                                      Inspection.kind == "periodic")).one()
        assert open_ins.number in created and open_ins.status == "assigned"
        spec = s.scalars(select(User).where(User.username == "spec")).one()
        with pytest.raises(Invalid):
            planning.delist(world.rt, s, spec, "3600100001", "  ")
        planning.delist(world.rt, s, spec, "3600100001", "客户已销户（营业执照注销）")
    hospital = _customer(world)
    assert hospital.delisted_reason == "客户已销户（营业执照注销）" and hospital.next_inspection_due is None
    with world.sessions() as s:
        ins = s.get(Inspection, open_ins.id)
        assert ins.status == "cancelled" and s.get(ProcessInstance, ins.instance_id).status == "terminated"
        assert world.ids["hospital"] not in [c for c, _d in planning.due_customers(s, world.settings,
                                                                                    date(2026, 6, 10))]
    assert planning.generate(world.rt, date(2026, 6, 10)).created == []          # the mall is due in September
    with world.sessions() as s:
        assert not s.scalars(select(Inspection).where(Inspection.customer_id == world.ids["hospital"],
                                                      Inspection.status.in_(inspections.OPEN))).all()
        spec = s.scalars(select(User).where(User.username == "spec")).one()
        planning.relist(world.rt, s, spec, "3600100001", "重新列入政府重要用户名单")
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("customer.%listed"))).all()
    assert sorted(actions) == ["customer.delisted", "customer.relisted"]
    hospital = _customer(world)
    assert hospital.delisted_at is None and hospital.next_inspection_due == date(2026, 6, 2)   # due again
    with world.sessions() as s:
        assert world.ids["hospital"] in [c for c, _d in planning.due_customers(s, world.settings, date(2026, 6, 10))]


def test_an_overdue_periodic_inspection_sends_an_sms_to_the_team_head(world):
    periodic = world.plan(kind="periodic", due=date(2026, 3, 5))
    special = world.plan(customer="mall", kind="special", due=date(2026, 3, 5))
    world.clock.set(datetime(2026, 3, 5, 16, 0, 1, tzinfo=timezone.utc))       # the due day has ended in Ji'an
    assert world.tick(seconds=1).fired == 2
    with world.sessions() as s:
        sms = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms",
                                                    OutboxMessage.kind == "inspection_overdue")).all()
        head = s.scalars(select(User).where(User.username == "head1")).one()
        assert [(m.user_id, m.address) for m in sms] == [(head.id, head.mobile)]
        assert periodic.number in sms[0].body and "吉安市中心人民医院" in sms[0].body
        assert special.number not in sms[0].body
        assert all(ch not in sms[0].body for ch in "abcdefghijklmnopqrstuvwxyz_")   # Chinese, no identifiers


def _temporary_customer(world) -> int:
    """A 高考 exam site, temporary 2026-06-05..06-10, on the hospital's team."""
    hospital = _customer(world)
    with world.sessions() as s:
        site = _temporary(branch_id=hospital.branch_id, default_team_id=hospital.default_team_id, contacts=[],
                          updated_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
        s.add(site)
        s.commit()
        return site.id


def _assurance(world, customer_id) -> list[Inspection]:
    with world.sessions() as s:
        return s.scalars(select(Inspection).where(Inspection.customer_id == customer_id)
                         .order_by(Inspection.due_date)).all()


def test_a_temporary_customer_gets_a_visit_before_its_assurance_period_and_one_on_the_eve(world):
    """domain.md §3.2: 7–15 days before the assurance period and again just before the event (1–2 days),
    both of the 保电 kind, each planned once by the daily generator however often it runs."""
    site = _temporary_customer(world)
    world.clock.set(datetime(2026, 5, 13, 1, 0, tzinfo=timezone.utc))
    planning.generate(world.rt, date(2026, 5, 13))
    assert _assurance(world, site) == []                   # the first visit is due 05-29: created 15 days before
    first = planning.generate(world.rt, date(2026, 5, 14)).created
    assert planning.generate(world.rt, date(2026, 5, 14)).created == []     # run again: nothing twice
    [visit] = _assurance(world, site)
    assert visit.number in first and visit.kind == "assurance" and not visit.full_inspection
    assert (visit.planned_from, visit.due_date) == (date(2026, 5, 21), date(2026, 5, 29))
    assert world.ready(visit.instance_id) == ["approve_worksheet"]            # a worksheet like any other
    world.clock.set(datetime(2026, 5, 22, 2, 0, tzinfo=timezone.utc))
    world.execute(visit)                                    # done in its window (the generator is not moved by it)
    planning.generate(world.rt, date(2026, 5, 22))
    visits = _assurance(world, site)
    assert [(v.kind, v.planned_from, v.due_date, v.status) for v in visits] == [
        ("assurance", date(2026, 5, 21), date(2026, 5, 29), "completed"),
        ("assurance", date(2026, 6, 3), date(2026, 6, 4), "assigned")]
    assert planning.generate(world.rt, date(2026, 6, 2)).created == []
    with world.sessions() as s:                             # the window over: its underlying class (10 kV) again
        after = s.get(Customer, site)
        assert inspections.assurance_visits(world.settings, after, date(2026, 6, 11)) == []
        assert planning.next_due(s, world.settings, after, date(2026, 6, 11)) == date(2027, 5, 22)


def test_the_assurance_visit_windows_are_configurable_and_a_passed_window_is_not_planned(world):
    site = _temporary(temporary_from=date(2026, 7, 1), temporary_to=date(2026, 7, 3))
    settings = {"ASSURANCE_VISIT_DAYS": [10, 8], "ASSURANCE_EVE_DAYS": [3, 2]}
    assert inspections.assurance_visits(settings, site, date(2026, 6, 1)) == [
        (date(2026, 6, 21), date(2026, 6, 23)), (date(2026, 6, 28), date(2026, 6, 29))]
    # registered five days before the event: only the eve visit is still to come
    assert inspections.assurance_visits(settings, site, date(2026, 6, 26)) == [(date(2026, 6, 28), date(2026, 6, 29))]
    assert inspections.assurance_visits(settings, _temporary(importance="first"), date(2026, 3, 2)) == []
    with pytest.raises(ValueError, match="ASSURANCE_EVE_DAYS"):
        from services import config
        config.load({"ENV": "testing", "SECRET_KEY": "x", "ASSURANCE_EVE_DAYS": [1, 2]}, environ={})


def test_taking_a_temporary_customer_off_the_plan_cancels_its_assurance_visits(world):
    site = _temporary_customer(world)
    world.clock.set(datetime(2026, 5, 20, 1, 0, tzinfo=timezone.utc))
    planning.generate(world.rt, date(2026, 5, 20))
    assert [v.status for v in _assurance(world, site)] == ["assigned", "assigned"]
    with world.sessions() as s:
        spec = s.scalars(select(User).where(User.username == "spec")).one()
        planning.delist(world.rt, s, spec, "T1", "高考考点调整，本校不再设考点")
    assert [v.status for v in _assurance(world, site)] == ["cancelled", "cancelled"]
    assert planning.generate(world.rt, date(2026, 5, 21)).created == []
