"""The engine's decision pieces that handlers and deployers use, without any GridSafe domain: ctx.decide in a
service task, Engine.decide, and the check_decisions hook that sees each table before it deploys."""
from __future__ import annotations

import functools

import pytest

import forms
from engine import Engine, Problem, TableView
from handlers import Context
from support import DIAGRAMS, FORMS, World


class Recorder:
    def __init__(self):
        self.seen: list = []
        self.answer: list = []

    def __call__(self, name, tables):
        self.seen.append((name, tables))
        return self.answer


@pytest.fixture
def hook():
    return Recorder()


@pytest.fixture
def world(sessions, clock, hook):
    w = World(sessions, clock, {})
    w.engine = Engine(handlers={}, clock=clock, context_factory=functools.partial(Context, settings={}),
                      form_check=functools.partial(forms.problem, folder=FORMS), check_decisions=hook)
    return w


def test_the_hook_sees_every_table_as_a_view_it_can_evaluate(world, hook):
    assert world.deploy("grade.dmn").status == "deployed"
    [(name, tables)] = hook.seen
    view = tables["grade_decision"]
    assert name == "grade" and isinstance(view, TableView)
    assert view.inputs == ("severity",) and view.outputs == ("grade",)
    assert (1, ">= 10") in view.cells and (1, '"A"') in view.cells
    assert view.evaluate({"severity": 5}) == {"grade": "B"}


def test_problems_from_the_hook_block_the_deploy_and_show_in_lint(world, hook):
    hook.answer = [Problem("grade.dmn", None, "grade_decision", "sample case 1 fails")]
    result = world.deploy("grade.dmn")
    assert result.status == "invalid" and "sample case 1 fails" in str(result)
    with world.sessions() as s:
        assert [p.message for p in world.engine.lint_source(s, "grade.dmn", (DIAGRAMS / "grade.dmn").read_bytes())] \
            == ["sample case 1 fails"]


def test_a_hook_that_crashes_is_a_problem_of_the_file_not_a_crash(world, hook):
    def broken(name, tables):
        raise RuntimeError("cases file unreadable")
    world.engine.check_decisions = broken
    result = world.deploy("grade.dmn")
    assert result.status == "invalid" and "the decision check could not run: RuntimeError" in str(result)


def test_engine_decide_names_the_version_that_decided(world):
    world.deploy("grade.dmn")
    with world.sessions() as s:
        assert world.engine.decide(s, "grade_decision", {"severity": 12}) == ({"grade": "A"}, "grade v1")


def test_a_handler_reaches_the_table_through_its_context(world):
    seen = {}

    def register(ctx, label, days):
        seen["result"] = ctx.decide("grade_decision", {"severity": days})
        return {"deadline": None}

    world.engine.handlers.update({"test.register": register, "test.remind": lambda ctx: {}})
    world.deploy("grade.dmn")
    assert world.deploy("review.bpmn").status == "deployed"
    world.start("review", key="R1", label="x", days=5)
    assert seen["result"] == ({"grade": "B"}, "grade v1")


def test_a_table_deployed_by_another_process_decides_the_next_call(world, sessions, clock):
    seen = []

    def register(ctx, label, days):
        seen.append(ctx.decide("grade_decision", {"severity": days}))
        return {"deadline": None}

    world.engine.handlers.update({"test.register": register, "test.remind": lambda ctx: {}})
    world.deploy("grade.dmn")
    assert world.deploy("review.bpmn").status == "deployed"
    world.start("review", key="R1", label="x", days=3)
    world.start("review", key="R2", label="x", days=3)          # the newest table is known: not looked up again
    other = World(sessions, clock, {})                           # another process: its own engine and caches
    stricter = (DIAGRAMS / "grade.dmn").read_text().replace("&gt;= 4", "&gt;= 3")
    assert other.deploy("grade.dmn", stricter.encode()).version == 2
    world.start("review", key="R3", label="x", days=3)
    assert seen == [({"grade": "C"}, "grade v1")] * 2 + [({"grade": "B"}, "grade v2")]
