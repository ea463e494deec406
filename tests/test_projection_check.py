"""The projection check behind `gridsafe audit verify`: instances whose rows say what their state says pass;
a torn write (a task row, a status, a wake-up time or a subscription that the state does not back) is named."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from engine import HumanTask, MessageSubscription, ProcessInstance
from support import ReviewHandlers, World


@pytest.fixture
def review(sessions, clock):
    world = World(sessions, clock, ReviewHandlers().table())
    world.deploy("review.bpmn")
    return world


def check(world) -> list[str]:
    with world.sessions() as s:
        checked, found = world.engine.check_projections(s)
    assert checked == world.count(ProcessInstance)
    return [str(d) for d in found]


def test_instances_moved_by_the_engine_agree_with_their_projections(review, clock):
    first = review.start(key="K1", label="A", days=5, team="T")
    review.start(key="K2", label="B", days=5, team="T")
    review.call("complete_task", review.task(first.id).id, {"passed": True}, "bob")
    clock.advance(days=1, minutes=1)
    review.tick()
    assert check(review) == []


def test_a_task_row_the_state_does_not_back_is_named(review):
    instance = review.start(label="A", days=5, team="T")
    with review.sessions() as s:
        s.execute(update(HumanTask).where(HumanTask.instance_id == instance.id).values(status="completed"))
        s.commit()
    (problem,) = check(review)
    assert f"instance {instance.id}: open task rows []" in problem


def test_a_wrong_wake_up_time_or_status_is_named(review):
    instance = review.start(label="A", days=5, team="T")
    stored = review.instance(instance.id)
    with review.sessions() as s:
        s.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id)
                  .values(next_wake_at=stored.next_wake_at + timedelta(hours=1), status="waiting"))
        s.commit()
    problems = check(review)
    assert any("next_wake_at" in p for p in problems) and any("status waiting" in p for p in problems)


def test_a_missing_subscription_is_named(review, clock):
    instance = review.start(label="A", days=5, team="T")
    clock.advance(days=5, minutes=1)
    review.tick()                                           # past the deadline: it waits for the report
    assert check(review) == []
    with review.sessions() as s:
        assert s.execute(delete(MessageSubscription).where(MessageSubscription.instance_id == instance.id)).rowcount
        s.commit()
    (problem,) = check(review)
    assert "subscriptions [] but waiting for [('reported', 'wait_report')]" in problem


def test_audit_verify_reports_the_instances_checked(runner, app):
    result = runner.invoke(["audit", "verify"])
    assert result.exit_code == 0 and "instances checked, 0 projections disagree" in result.output
