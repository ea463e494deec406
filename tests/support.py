"""Test helpers: an engine with test handlers over a real database, one session per call."""
from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

import forms
from engine import Engine, HumanTask, ProcessInstance
from handlers import Context

HERE = Path(__file__).resolve().parent
DIAGRAMS = HERE / "diagrams"
FORMS = HERE / "forms"

effects_metadata = MetaData()
effects = Table("test_effect", effects_metadata,
                Column("id", Integer, primary_key=True),
                Column("instance_id", Integer),
                Column("label", String(100)))


class ReviewHandlers:
    """Handlers for tests/diagrams/review.bpmn that leave visible rows, and can be told to fail."""

    def __init__(self):
        self.fail_register = False

    def register(self, ctx, label, days):
        ctx.session.execute(insert(effects).values(instance_id=ctx.instance_id, label=f"register:{label}"))
        ctx.session.flush()
        if self.fail_register:
            raise RuntimeError("the register service is down")
        ctx.audit("test.registered", after={"label": label})
        return {"deadline": (ctx.now() + timedelta(days=days)).isoformat()}

    def remind(self, ctx):
        ctx.session.execute(insert(effects).values(instance_id=ctx.instance_id, label="remind"))
        return {"at": ctx.now().isoformat()}

    def table(self) -> dict:
        return {"test.register": self.register, "test.remind": self.remind}


def build_engine(clock, handlers: dict) -> Engine:
    return Engine(handlers=handlers, clock=clock,
                  context_factory=functools.partial(Context, settings={}),
                  form_check=functools.partial(forms.problem, folder=FORMS))


class World:
    """A database, a clock and an engine; every engine call in its own session (as in production)."""

    def __init__(self, sessions, clock, handlers: dict):
        self.sessions, self.clock, self.handlers = sessions, clock, handlers
        self.engine = build_engine(clock, handlers)
        effects_metadata.create_all(sessions.kw["bind"])

    def fresh_engine(self) -> Engine:
        """A new engine with empty caches: proves nothing is carried in memory between calls."""
        self.engine = build_engine(self.clock, self.handlers)
        return self.engine

    def deploy(self, filename: str, data: bytes | None = None, actor: str = "owner"):
        with self.sessions() as s:
            return self.engine.deploy_source(s, filename, data if data is not None else (DIAGRAMS / filename).read_bytes(), actor)

    def call(self, method: str, *args, **kwargs):
        with self.sessions() as s:
            result = getattr(self.engine, method)(s, *args, **kwargs)
            return result

    def start(self, process_id="review", key="K1", **data):
        return self.call("start_instance", process_id, actor="alice", business_key=key, data=data)

    def instance(self, instance_id: int) -> ProcessInstance:
        with self.sessions() as s:
            return s.get(ProcessInstance, instance_id)

    def tasks(self, instance_id: int, status: str = "ready") -> list[HumanTask]:
        with self.sessions() as s:
            return list(s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                          HumanTask.status == status)))

    def task(self, instance_id: int) -> HumanTask:
        (task,) = self.tasks(instance_id)
        return task

    def effects(self, instance_id: int | None = None) -> list[str]:
        with self.sessions() as s:
            query = select(effects.c.label).order_by(effects.c.id)
            if instance_id is not None:
                query = query.where(effects.c.instance_id == instance_id)
            return list(s.scalars(query))

    def count(self, model) -> int:
        with self.sessions() as s:
            return s.scalar(select(func.count()).select_from(model))

    def tick(self):
        return self.engine.fire_due_timers(self.sessions)
