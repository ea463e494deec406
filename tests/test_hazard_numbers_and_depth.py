"""File numbers stay unique and gap-free under concurrent creation; a hazard chased 50 times stays shallow."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine.runtime import load
from hazard_support import HazardWorld
from records import Hazard


@pytest.fixture
def world(sessions, clock, tmp_path):
    return HazardWorld(sessions, clock, tmp_path)


def test_file_numbers_are_unique_and_gap_free_under_concurrent_creation(world):
    photos = [world.photo(1)]
    errors, barrier = [], threading.Barrier(12, timeout=30)

    def open_one():
        try:
            barrier.wait()
            world.open(item_code="EN06", photos=photos)
        except Exception as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=open_one) for _ in range(12)]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    assert errors == []
    with world.sessions() as s:
        numbers = sorted(s.scalars(select(Hazard.file_number)))
    assert numbers == [f"YH-JA-JZ-2026-{n:05d}" for n in range(1, 13)]


def test_a_failed_registration_leaves_no_gap(world):
    failed = world.open(item_code="EN06", photos=["0" * 64])      # not a stored photo: the step fails
    assert world.instance(failed).status == "error" and "not a stored photo" in world.instance(failed).error_message
    world.open(item_code="EN06")
    with world.sessions() as s:
        assert list(s.scalars(select(Hazard.file_number))) == ["YH-JA-JZ-2026-00001"]


def _depth_and_size(world, iid):
    with world.sessions() as s:
        instance, workflow = load(world.engine, s, iid)
        return max(t.depth for t in workflow.get_tasks(state=TaskState.ANY_MASK)), len(instance.state)


def test_a_hazard_chased_fifty_times_does_not_deepen_the_task_tree(sqlite_url, clock, tmp_path):
    from engine.database import make_engine, make_session_factory
    world = HazardWorld(make_session_factory(make_engine(sqlite_url)), clock, tmp_path)   # the tree is the same on any DB
    iid = world.open(item_code="EN03")
    world.sign(iid)
    seen = []
    for chase in range(50):
        world.clock.set(world.hazard(iid).deadline)
        assert world.tick(seconds=1).fired == 1
        world.supervise(iid)
        if chase in (0, 9, 49):
            seen.append(_depth_and_size(world, iid))
    assert world.hazard(iid).supervision_count == 50
    (d1, size1), (d10, _), (d50, size50) = seen
    assert d1 == d10 == d50 < 20
    # finished rounds are forgotten and the terminate events of the finished rounds are not kept: the
    # state does not grow per chase (it did, by ~170 bytes a round, while SpiffWorkflow's event queue filled)
    assert size50 < size1 * 1.1
    world.rectified(iid)
    assert world.ready(iid) == ["accept_on_site"]
