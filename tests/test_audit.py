"""The audit trail is append-only and hash-chained: an edited, deleted or truncated event is detected."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from engine import audit
from support import ReviewHandlers, World


@pytest.fixture
def trail(sessions, clock):
    world = World(sessions, clock, ReviewHandlers().table())
    world.deploy("review.bpmn")
    inst = world.start(label="A", days=1, team="T")
    world.call("complete_task", world.task(inst.id).id, {"passed": True}, "bob")
    return world


def _tamper(world, sql: str) -> None:
    """What someone with direct database access would do: drop the guard, then change rows."""
    with world.sessions() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        else:
            s.execute(text("DROP TRIGGER audit_event_no_update"))
            s.execute(text("DROP TRIGGER audit_event_no_delete"))
        s.execute(text(sql))
        s.commit()


def test_an_untouched_trail_verifies(trail):
    with trail.sessions() as s:
        count, breaks = audit.verify(s)
    assert count == 4 and breaks == []   # test.registered, started, completed, model deploy


def test_the_database_refuses_to_update_or_delete_audit_events(trail):
    for sql in ("UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"):
        with trail.sessions() as s, pytest.raises(DatabaseError, match="append-only"):
            s.execute(text(sql))


def test_an_edited_event_is_detected(trail):
    _tamper(trail, "UPDATE audit_event SET actor = 'mallory' WHERE action = 'task.completed'")
    with trail.sessions() as s:
        _, breaks = audit.verify(s)
    assert len(breaks) == 1 and "edited" in breaks[0].message and breaks[0].chain == "instance:1"


def test_a_deleted_event_is_detected(trail):
    _tamper(trail, "DELETE FROM audit_event WHERE action = 'instance.started'")
    with trail.sessions() as s:
        _, breaks = audit.verify(s)
    assert any("deleted" in b.message for b in breaks)


def test_a_truncated_chain_is_detected(trail):
    _tamper(trail, "DELETE FROM audit_event WHERE action = 'task.completed'")
    with trail.sessions() as s:
        _, breaks = audit.verify(s)
    assert any("removed" in b.message for b in breaks)
