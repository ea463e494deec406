"""The engine through a real diagram and a real database (SQLite and PostgreSQL), clock moved by hand."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import (AuditEvent, HumanTask, InstanceNotActive, InvalidRequest, MessageSubscription, NoSubscriber,
                    ProcessInstance, TaskNotReady, UnknownProcess, UnknownTask, parse_instant)
from engine.serializer import dump_state, load_state
from support import ReviewHandlers, World


@pytest.fixture
def review(sessions, clock):
    handlers = ReviewHandlers()
    world = World(sessions, clock, handlers.table())
    world.review = handlers
    assert world.deploy("review.bpmn").status == "deployed"
    return world


def actions(world, instance_id):
    with world.sessions() as s:
        return [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                            .order_by(AuditEvent.seq))]


def test_state_round_trips_through_the_database_at_every_step(review, clock):
    inst = review.start(label="配电室", days=3, team="T1")
    for step in range(3):
        review.fresh_engine()  # nothing survives in memory: each step loads state from the database
        with review.sessions() as s:
            row = s.get(ProcessInstance, inst.id)
            spec, sps = review.engine.specs.get(s, row.model_version_id, row.process_id)
            assert dump_state(load_state(row.state, spec, sps)) == row.state
        if step == 0:
            clock.advance(days=1, minutes=5)
            assert review.tick().fired == 1
        elif step == 1:
            review.call("complete_task", review.task(inst.id).id, {"passed": True}, "bob")
    assert review.instance(inst.id).status == "completed"
    assert review.effects(inst.id) == ["register:配电室", "remind"]


def test_deadline_comes_from_data_and_projects_onto_the_task(review, clock):
    inst = review.start(label="A", days=5, team="T7")
    task = review.task(inst.id)
    expected = clock.now() + timedelta(days=5)
    assert task.due_at == expected
    assert task.candidate_team == "T7" and task.lane == "inspector" and task.form == "review.schema.json"
    assert task.instructions == f"Review **A** before {expected.isoformat()}."
    assert review.instance(inst.id).next_wake_at == clock.now() + timedelta(days=1)  # the daily reminder


def test_non_interrupting_timer_fires_while_the_task_stays_open(review, clock):
    inst = review.start(label="A", days=5, team="T1")
    task_id = review.task(inst.id).id
    clock.advance(hours=23)
    assert review.tick().fired == 0
    for day in (1, 2):
        clock.set(parse_instant("2026-03-02T01:00:00+00:00") + timedelta(days=day, seconds=1))
        assert review.tick().fired == 1
    assert review.effects(inst.id).count("remind") == 2
    assert review.task(inst.id).id == task_id
    assert review.instance(inst.id).status == "running"


def test_interrupting_timer_cancels_the_task_and_the_reminders(review, clock):
    inst = review.start(label="A", days=1, team="T1")
    task_id = review.task(inst.id).id
    clock.advance(days=1, seconds=1)
    assert review.tick().fired == 1
    row = review.instance(inst.id)
    assert row.status == "waiting" and row.next_wake_at is None
    with review.sessions() as s:
        assert s.get(HumanTask, task_id).status == "cancelled"
        assert s.scalars(select(MessageSubscription.message_name)
                         .where(MessageSubscription.instance_id == inst.id)).all() == ["reported"]
    with pytest.raises(TaskNotReady):
        review.call("complete_task", task_id, {"passed": True}, "bob")
    clock.advance(days=30)
    assert review.tick().fired == 0 and "remind" not in review.effects(inst.id)


def test_completing_before_the_deadline_clears_every_timer(review, clock):
    inst = review.start(label="A", days=2, team="T1")
    review.call("complete_task", review.task(inst.id).id, {"passed": False}, "bob")
    row = review.instance(inst.id)
    assert row.status == "completed" and row.next_wake_at is None
    assert actions(review, inst.id) == ["test.registered", "instance.started", "task.completed"]


def test_a_message_reaches_the_one_right_instance_of_fifty(review, clock):
    ids = [review.start(key=f"YH-{n:03d}", label=str(n), days=1, team="T1").id for n in range(50)]
    clock.advance(days=1, seconds=1)
    assert review.tick().fired == 50
    target = ids[37]
    inst = review.call("deliver_message", "reported", "YH-037", {"measures": "换了闭锁"}, "api")
    assert inst.id == target and inst.status == "completed"
    with review.sessions() as s:
        statuses = dict(s.execute(select(ProcessInstance.id, ProcessInstance.status)).all())
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "message.delivered")).all()
    assert statuses.pop(target) == "completed"
    assert set(statuses.values()) == {"waiting"}
    assert [e.instance_id for e in events] == [target]
    assert events[0].after["payload"] == {"measures": "换了闭锁"}
    with pytest.raises(NoSubscriber):
        review.call("deliver_message", "reported", "YH-037", {}, "api")


def test_a_failing_handler_leaves_nothing_half_written_and_retry_completes(review, clock):
    review.review.fail_register = True
    inst = review.start(label="A", days=2, team="T1")
    row = review.instance(inst.id)
    assert row.status == "error" and row.error_element == "register"
    assert "the register service is down" in row.error_message
    assert "RuntimeError" in row.error_traceback
    assert review.effects(inst.id) == []          # the failed step's row was rolled back
    assert review.tasks(inst.id) == []
    with pytest.raises(InvalidRequest):
        review.call("retry", inst.id, "admin", "")
    review.review.fail_register = False
    review.call("retry", inst.id, "admin", "register service is back")
    assert review.instance(inst.id).status == "running" and review.instance(inst.id).error_message is None
    review.call("complete_task", review.task(inst.id).id, {"passed": True}, "bob")
    assert review.instance(inst.id).status == "completed"
    assert review.effects(inst.id) == ["register:A"]
    assert actions(review, inst.id) == ["instance.started", "test.registered", "instance.retried", "task.completed"]


def test_skip_with_data_stands_in_for_the_failed_step(review, clock):
    review.review.fail_register = True
    inst = review.start(label="A", days=2, team="T1")
    deadline = (clock.now() + timedelta(days=9)).isoformat()
    review.call("skip", inst.id, "admin", "registered by hand", {"registered": {"deadline": deadline}})
    assert review.task(inst.id).due_at == parse_instant(deadline)
    with review.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "instance.skipped")).one()
    assert event.reason == "registered by hand" and event.actor == "admin" and event.element_id == "register"


def test_suspend_holds_timers_and_tasks_until_resumed(review, clock):
    inst = review.start(label="A", days=1, team="T1")
    task_id = review.task(inst.id).id
    review.call("suspend", inst.id, "admin", "customer site closed")
    assert review.instance(inst.id).next_wake_at is None
    with pytest.raises(InstanceNotActive):
        review.call("complete_task", task_id, {"passed": True}, "bob")
    clock.advance(days=2)
    assert review.tick().fired == 0
    review.call("resume", inst.id, "admin", "site open again")
    assert review.instance(inst.id).status == "waiting"   # the overdue deadline fired on resume
    assert actions(review, inst.id)[-2:] == ["instance.suspended", "instance.resumed"]


def test_terminate_cancels_open_tasks_and_subscriptions(review, clock):
    inst = review.start(label="A", days=1, team="T1")
    review.call("terminate", inst.id, "admin", "opened in error")
    row = review.instance(inst.id)
    assert row.status == "terminated" and row.next_wake_at is None
    assert review.tasks(inst.id) == [] and len(review.tasks(inst.id, "cancelled")) == 1
    assert review.count(MessageSubscription) == 0
    with pytest.raises(InstanceNotActive):
        review.call("terminate", inst.id, "admin", "again")


def test_unknown_process_task_or_message_is_refused_and_changes_nothing(review, clock):
    review.start(label="A", days=1, team="T1")
    before = (review.count(ProcessInstance), review.count(AuditEvent), review.count(HumanTask))
    with pytest.raises(UnknownProcess, match="no process with id 'nope'"):
        review.start(process_id="nope")
    with pytest.raises(UnknownTask):
        review.call("complete_task", "00000000-0000-0000-0000-000000000000", {}, "bob")
    with pytest.raises(NoSubscriber, match="'reported'"):
        review.call("deliver_message", "reported", "K1", {}, "api")
    with pytest.raises(InvalidRequest):
        review.call("complete_task", review.task(1).id, ["not", "an", "object"], "bob")
    assert (review.count(ProcessInstance), review.count(AuditEvent), review.count(HumanTask)) == before


def test_events_nothing_caught_are_recorded_not_kept_in_the_state(review):
    """A message thrown out of the process is recorded in the audit event; neither it nor the terminate
    event of a finished subprocess stays queued in the stored state."""
    assert review.deploy("announce.bpmn").status == "deployed"
    instance = review.start("announce", key="A1", what="巡视完成")
    assert instance.status == "completed"
    assert json.loads(instance.state)["bpmn_events"] == []
    with review.sessions() as s:
        started = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance.id,
                                                     AuditEvent.action == "instance.started")).one()
    assert started.after["thrown"] == [{"message": "work_done", "payload": {"what": "巡视完成"}}]


def test_completing_a_task_keeps_the_instance_title(review):
    inst = review.start(label="配电室", days=3, team="T1")
    title = review.instance(inst.id).title
    task = review.task(inst.id)
    assert title and task.title != title
    review.call("complete_task", task.id, {"passed": True}, "bob")
    assert review.instance(inst.id).title == title
