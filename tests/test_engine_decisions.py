"""DMN tables: evaluated directly by handlers and by business rule tasks; a new table makes new versions."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import InvalidRequest, ModelVersion, UnknownProcess
from engine.inspect import current_data
from engine.runtime import load
from support import DIAGRAMS, World


@pytest.fixture
def world(sessions, clock):
    w = World(sessions, clock, {})
    assert w.deploy("grade.dmn").status == "deployed"
    assert w.deploy("graded.bpmn").status == "deployed"
    return w


@pytest.mark.parametrize("severity,grade", [(12, "A"), (10, "A"), (5, "B"), (1, "C")])
def test_a_handler_can_evaluate_the_newest_table(world, severity, grade):
    with world.sessions() as s:
        result, version_id = world.engine.evaluate_decision(s, "grade_decision", {"severity": severity})
    assert result == {"grade": grade} and version_id == 1


def test_a_missing_input_or_unknown_table_is_a_clear_error(world):
    with world.sessions() as s:
        with pytest.raises(InvalidRequest, match="grade_decision"):
            world.engine.evaluate_decision(s, "grade_decision", {})
        with pytest.raises(UnknownProcess, match="no decision with id 'nope'"):
            world.engine.evaluate_decision(s, "nope", {"severity": 1})


def test_a_changed_table_redeploys_its_processes_and_running_instances_keep_the_old_one(world):
    old = world.start("graded", key="G1", severity=5)
    stricter = (DIAGRAMS / "grade.dmn").read_text().replace("&gt;= 4", "&gt;= 3")
    assert world.deploy("grade.dmn", stricter.encode()).version == 2
    with world.sessions() as s:
        versions = {(mv.name, mv.version) for mv in s.scalars(select(ModelVersion))}
    assert versions == {("grade", 1), ("grade", 2), ("graded", 1), ("graded", 2)}
    new = world.start("graded", key="G2", severity=3)
    old_version, new_version = world.instance(old.id).model_version_id, world.instance(new.id).model_version_id
    with world.sessions() as s:
        assert s.get(ModelVersion, old_version).version == 1 and s.get(ModelVersion, new_version).version == 2
        assert current_data(load(world.engine, s, old.id)[1])["grade"] == "B"
        assert current_data(load(world.engine, s, new.id)[1])["grade"] == "B"
        result, _ = world.engine.evaluate_decision(s, "grade_decision", {"severity": 3})
    assert result == {"grade": "B"}
    again = world.start("graded", key="G3", severity=2)
    with world.sessions() as s:
        assert current_data(load(world.engine, s, again.id)[1])["grade"] == "C"


def test_a_table_with_a_feel_range_is_refused_before_it_can_fail_at_run_time(world):
    feel = (DIAGRAMS / "grade.dmn").read_text().replace("&gt;= 4", "[4..9]")
    result = world.deploy("grade.dmn", feel.encode())
    assert result.status == "invalid"
    assert "[4..9]" in str(result) and "not FEEL" in str(result)
