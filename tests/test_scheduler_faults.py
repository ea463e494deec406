"""Faults the scheduler meets and outlives: an instance that cannot be loaded, transient database errors,
a database outage, concurrent ticks, a crash in the middle of a daily job; and `serve --with-scheduler`
restarting a scheduler that died."""
from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import OperationalError

from engine import AuditEvent, ProcessInstance, SchedulerBeat
from engine.timers import TickReport, record_beat
from support import ReviewHandlers, World


def deadlock() -> OperationalError:
    import psycopg.errors
    return OperationalError("UPDATE hazard ...", {}, psycopg.errors.DeadlockDetected("deadlock detected"))


@pytest.fixture
def review(sessions, clock):
    handlers = ReviewHandlers()
    world = World(sessions, clock, handlers.table())
    world.handlers_obj = handlers
    world.deploy("review.bpmn")
    return world


def test_an_instance_whose_state_cannot_be_loaded_is_put_in_error_and_the_others_fire(review, clock):
    broken = review.start(key="K1", label="A", days=5, team="T")
    sound = review.start(key="K2", label="B", days=5, team="T")
    with review.sessions() as s:
        s.execute(update(ProcessInstance).where(ProcessInstance.id == broken.id).values(state='{"data": '))
        s.commit()
    clock.advance(days=1, minutes=1)                        # the daily reminder of both is due
    report = review.tick()
    assert report.fired == 1 and len(report.errors) == 1 and f"instance {broken.id}" in report.errors[0]
    assert review.effects(sound.id)[-1] == "remind"
    stored = review.instance(broken.id)
    assert stored.status == "error" and "could not run this instance" in stored.error_message
    with review.sessions() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == broken.id)
                                 .order_by(AuditEvent.seq)))
    assert actions[-1] == "instance.failed"
    assert review.tick().errors == []                       # not picked again


def test_a_transient_database_error_in_a_timer_is_retried_not_stored_as_the_instances_error(review, clock):
    instance = review.start(label="A", days=5, team="T")
    calls = []
    remind = review.handlers["test.remind"]

    def flaky(ctx):
        calls.append(1)
        if len(calls) == 1:
            raise deadlock()
        return remind(ctx)
    review.engine.handlers["test.remind"] = flaky
    clock.advance(days=1, minutes=1)
    report = review.tick()
    assert report.fired == 1 and report.errors == [] and len(calls) == 2
    stored = review.instance(instance.id)
    assert stored.status == "running" and stored.error_message is None
    assert review.effects(instance.id).count("remind") == 1   # the failed attempt left nothing


def test_a_transient_database_error_in_a_request_rolls_back_and_is_raised_not_stored(review):
    review.handlers_obj.fail_register = False
    register = review.handlers["test.register"]

    def busy(ctx, **params):
        register(ctx, **params)
        raise deadlock()
    review.engine.handlers["test.register"] = busy
    with pytest.raises(OperationalError):
        review.start(label="A", days=5, team="T")
    assert review.count(ProcessInstance) == 0 and review.effects() == []


def test_a_timer_that_stays_busy_is_left_for_the_next_tick(review, clock, monkeypatch):
    monkeypatch.setattr("engine.transient.time.sleep", lambda _s: None)
    instance = review.start(label="A", days=5, team="T")

    def always_busy(ctx):
        raise deadlock()
    review.engine.handlers["test.remind"] = always_busy
    clock.advance(days=1, minutes=1)
    report = review.tick()
    assert report.fired == 0 and "database busy" in report.errors[0]
    assert review.instance(instance.id).status == "running"
    review.engine.handlers["test.remind"] = review.handlers["test.remind"]
    assert review.tick().fired == 1


def test_concurrent_ticks_do_not_fail_on_the_beat(sessions, clock):
    errors = []

    def beat():
        try:
            for _ in range(5):
                with sessions() as s:
                    record_beat(s, "same-name", clock.now(), time.monotonic(), TickReport())
        except Exception as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)
    threads = [threading.Thread(target=beat) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sessions() as s:
        assert s.scalar(select(SchedulerBeat.name)) == "same-name"


@pytest.mark.postgres
def test_every_engine_call_locks_the_instance_row_before_anything_else(pg_url, clock):
    """One lock order: a request takes the instance row first, as the scheduler does (FOR UPDATE), so a
    timer and a request on the same hazard can no longer deadlock."""
    from conftest import _truncate_pg
    from engine.database import make_engine, make_session_factory
    _truncate_pg(pg_url)
    sa = make_engine(pg_url)
    world = World(make_session_factory(sa), clock, ReviewHandlers().table())
    world.deploy("review.bpmn")
    instance = world.start(label="A", days=5, team="T")
    task = world.task(instance.id)
    seen = []

    def after_first_statement(conn, cursor, statement, *args):
        if "human_task" in statement and not seen:
            with sa.connect() as other:
                try:
                    other.execute(text("SELECT id FROM process_instance WHERE id = :i FOR UPDATE NOWAIT"),
                                  {"i": instance.id})
                    seen.append("free")
                except OperationalError:
                    seen.append("locked")
                other.rollback()
    event.listen(sa, "after_cursor_execute", after_first_statement)
    try:
        world.call("complete_task", task.id, {"passed": True}, "bob")
    finally:
        event.remove(sa, "after_cursor_execute", after_first_statement)
        sa.dispose()
    assert seen == ["locked"]


def test_the_scheduler_loop_outlives_a_database_outage_and_backs_off(tmp_path, sqlite_template, clock):
    from services import runtime as wiring
    from services import scheduler
    folder = tmp_path / "gone"
    rt = wiring.build({"ENV": "testing", "SECRET_KEY": "k", "DATA_DIR": str(tmp_path / "data"), "CLOCK": clock,
                       "DATABASE_URL": f"sqlite:///{folder / 'gridsafe.db'}", "SCHEDULER_INTERVAL_SECONDS": 10,
                       "SCHEDULER_MAX_BACKOFF_SECONDS": 40})
    lines, waits = [], []

    def sleep(seconds):
        waits.append(round(seconds))
        if sum(waits) >= 10 + 20 + 40 + 40 and not folder.exists():   # four failed ticks: the database is back
            folder.mkdir()
            shutil.copy(sqlite_template, folder / "gridsafe.db")
        if sum(waits) >= 10 + 20 + 40 + 40 + 10 + 10:
            raise KeyboardInterrupt
    scheduler.run(rt, name="outage", echo=lines.append, sleep=sleep)
    failed = [line for line in lines if "tick failed: the database is unreachable" in line]
    assert len(failed) == 4
    assert [int(line.split("next try in ")[1].split()[0]) for line in lines if "next try" in line] == [10, 20, 40, 40]
    with rt.sessions() as s:
        assert s.get(SchedulerBeat, "outage") is not None       # ticking again once the database answered


def test_a_daily_job_that_fails_is_run_again_at_the_next_tick(tmp_path, sqlite_url, clock, monkeypatch):
    from services import jobs, planning
    from services import runtime as wiring
    rt = wiring.build({"ENV": "testing", "SECRET_KEY": "k", "DATA_DIR": str(tmp_path / "data"), "CLOCK": clock,
                       "DATABASE_URL": sqlite_url})
    real = planning.generate

    def crash(*args, **kwargs):
        raise RuntimeError("killed in the middle")
    monkeypatch.setattr(planning, "generate", crash)
    first = jobs.run_tick(rt, "t")
    assert first["plan"] is None and any("plan: RuntimeError" in e for e in first["errors"])
    monkeypatch.setattr(planning, "generate", real)
    assert jobs.run_tick(rt, "t")["plan"] == 0               # run (nothing due), not "claimed already"
    assert jobs.run_tick(rt, "t")["plan"] is None            # done for today


def test_a_daily_run_whose_scheduler_died_is_taken_over_after_its_lease(tmp_path, sqlite_url, clock):
    from records import jobs as periods
    from services import jobs
    from services import runtime as wiring
    rt = wiring.build({"ENV": "testing", "SECRET_KEY": "k", "DATA_DIR": str(tmp_path / "data"), "CLOCK": clock,
                       "DATABASE_URL": sqlite_url})
    with rt.sessions() as s:                                 # claimed by a scheduler that was then killed
        assert periods.claim_period(s, "plan", rt.today().isoformat(), rt.now(), lease=jobs.DAILY_LEASE)
        s.commit()
    assert jobs.daily_plan(rt) is None                       # within the lease: it may still be running
    clock.advance(minutes=31)
    assert jobs.daily_plan(rt) == 0                          # past it: run again
    assert jobs.daily_plan(rt) is None


def test_a_daily_run_whose_scheduler_died_on_this_machine_runs_again_at_once(tmp_path, sqlite_url, clock):
    """kill -9 of the scheduler between its claim and the end of the job: rerunning the tick runs the job
    (the claimant is a process of this machine that no longer runs); a live claimant keeps its claim."""
    import subprocess
    from records import jobs as periods
    from services import jobs
    from services import runtime as wiring
    rt = wiring.build({"ENV": "testing", "SECRET_KEY": "k", "DATA_DIR": str(tmp_path / "data"), "CLOCK": clock,
                       "DATABASE_URL": sqlite_url})
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        with rt.sessions() as s:
            for job, pid in (("plan", alive.pid), ("statistics", dead.pid)):
                assert periods.claim_period(s, job, rt.today().isoformat(), rt.now(), lease=jobs.DAILY_LEASE,
                                            owner=f"{jobs.HOST}:{pid}", gone=jobs.gone)
            s.commit()
        assert jobs.daily_plan(rt) is None                   # its scheduler still runs: it may be working
        assert jobs.daily_statistics(rt) is True             # its scheduler died: run now, not in 30 minutes
        assert jobs.daily_statistics(rt) is None             # and marked done with the statistics
        with rt.sessions() as s:
            run = s.get(periods.PeriodicRun, ("statistics", rt.today().isoformat()))
            assert run.report["done"] is True and run.report["result"] is True
    finally:
        alive.kill()
        alive.wait()
    assert not jobs.gone(f"another-machine:{dead.pid}")      # elsewhere: only the lease ends a claim


def test_serve_keeps_its_scheduler_running(tmp_path):
    from cli.supervise import Keeper
    lines = []
    keeper = Keeper([sys.executable, "-c", "import time; time.sleep(60)"], echo=lines.append,
                    first_wait=0.1).start()
    try:
        first = keeper.child.pid
        keeper.child.kill()                                  # kill -9 of the scheduler
        deadline = time.monotonic() + 20
        while (keeper.child.pid == first or keeper.child.poll() is not None) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert keeper.child.pid != first and keeper.child.poll() is None and keeper.restarts == 1
        assert any("exited with status -9" in line for line in lines)
    finally:
        keeper.stop()
    assert keeper.child.poll() is not None                   # stopped with the server


def test_serve_with_scheduler_restarts_a_scheduler_killed_with_kill_9(tmp_path, sqlite_template):
    import os
    import re
    import signal
    import socket
    db = tmp_path / "gs.db"
    shutil.copy(sqlite_template, db)
    env = {**os.environ, "GRIDSAFE_DATABASE_URL": f"sqlite:///{db}", "GRIDSAFE_DATA_DIR": str(tmp_path / "data"),
           "PYTHONUNBUFFERED": "1", "GRIDSAFE_BPMN_DIR": str(tmp_path / "no-diagrams")}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", "1",
                               "--with-scheduler"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, start_new_session=True)
    pids: list[int] = []

    def read():
        for line in server.stdout:
            pids.extend(int(p) for p in re.findall(r"started \(pid (\d+)\)", line))
    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        while not pids and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pids, "the scheduler was not started"
        os.kill(pids[0], signal.SIGKILL)
        while len(pids) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(pids) == 2 and pids[1] != pids[0]
        os.kill(pids[1], 0)                                   # the new one runs
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
