"""Races: two people completing one task, two schedulers sweeping the same due timers."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, insert, select

from engine import AuditEvent, Conflict, ProcessInstance
from support import ReviewHandlers, World, effects


def _run_together(*jobs):
    """Start the jobs in threads at once; return each one's result or exception."""
    results = [None] * len(jobs)

    def run(i, job):
        try:
            results[i] = job()
        except Exception as err:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = err

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_concurrent_completions_of_one_task_exactly_one_wins(sessions, clock):
    barrier = threading.Barrier(2, timeout=2)

    def record(ctx, passed):
        ctx.session.execute(insert(effects).values(instance_id=ctx.instance_id, label=f"record:{ctx.actor}"))
        try:
            barrier.wait()   # both completions are in flight here (PostgreSQL); SQLite queues the second
        except threading.BrokenBarrierError:
            pass
        return {"ok": passed}

    world = World(sessions, clock, {"test.record": record})
    world.deploy("gate.bpmn")
    inst = world.start("gate", key="G1")
    task_id = world.task(inst.id).id
    results = _run_together(
        lambda: world.call("complete_task", task_id, {"passed": True}, "alice"),
        lambda: world.call("complete_task", task_id, {"passed": True}, "bob"))
    winners = [r for r in results if isinstance(r, ProcessInstance)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "nothing" in str(losers[0]) or "already" in str(losers[0]) or "not ready" in str(losers[0])
    assert world.instance(inst.id).status == "completed"
    assert len(world.effects(inst.id)) == 1
    with world.sessions() as s:
        completions = s.scalars(select(AuditEvent).where(AuditEvent.action == "task.completed")).all()
    assert len(completions) == 1


@pytest.mark.parametrize("scheduler_count", [2])
def test_two_schedulers_fire_each_timer_exactly_once(sessions, clock, scheduler_count):
    handlers = ReviewHandlers()
    slow_remind = handlers.remind

    def remind(ctx):
        time.sleep(0.005)   # widen the window in which both schedulers could take the same instance
        return slow_remind(ctx)

    table = {**handlers.table(), "test.remind": remind}
    world = World(sessions, clock, table)
    world.deploy("review.bpmn")
    ids = [world.start(key=f"K{n}", label=str(n), days=9, team="T").id for n in range(40)]
    clock.advance(days=1, seconds=1)
    engines = [world.engine] + [World(sessions, clock, table).engine for _ in range(scheduler_count - 1)]
    reports = _run_together(*[lambda e=e: e.fire_due_timers(sessions) for e in engines])
    assert sum(r.fired for r in reports) == len(ids)
    assert all(not r.errors for r in reports)
    with sessions() as s:
        per_instance = dict(s.execute(select(AuditEvent.instance_id, func.count())
                                      .where(AuditEvent.action == "timer.fired")
                                      .group_by(AuditEvent.instance_id)).all())
        reminders = s.scalar(select(func.count()).select_from(effects).where(effects.c.label == "remind"))
    assert per_instance == {i: 1 for i in ids}
    assert reminders == len(ids)


def test_a_long_read_only_session_does_not_block_a_writer_on_sqlite(sqlite_url, clock):
    from engine.database import make_engine, make_session_factory
    sa = make_engine(sqlite_url, busy_timeout_ms=1000)
    writer_sessions, reader_sessions = make_session_factory(sa), make_session_factory(sa, read_only=True)
    world = World(writer_sessions, clock, ReviewHandlers().table())
    world.deploy("review.bpmn")
    with reader_sessions() as reader:
        reader.scalars(select(ProcessInstance)).all()     # a read transaction stays open meanwhile
        inst = world.start(label="A", days=1, team="T")   # the writer is not blocked
        assert inst.status == "running"
    sa.dispose()
