"""The wired parts every use case needs: settings, the engine with GridSafe's handlers, the file store,
the database. Built once per process (by the web app, the CLI or the scheduler) from the settings.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.orm import sessionmaker

import forms
from engine import Clock, Engine, Limits
from engine.database import make_engine, make_session_factory
from handlers import HANDLERS, Context
from records import store_for

from . import config as settings
from . import status

SECRET_SETTINGS = settings.SECRET_SETTINGS


@dataclass
class Runtime:
    """Settings, engine, files and the database of one process."""

    config: dict
    engine: Engine
    files: Any                        # records.files: FolderStore (SQLite) or DatabaseStore (PostgreSQL)
    sa: SAEngine
    sessions: sessionmaker            # transactions that may write (SQLite: they take the write lock)
    read_sessions: sessionmaker       # read-only transactions (SQLite: never block writers)

    @property
    def clock(self) -> Clock:
        return self.engine.clock

    def now(self) -> datetime:
        return self.engine.clock.now()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.get("TIMEZONE") or "Asia/Shanghai")

    def today(self) -> date:
        """Today in the company's time zone (deadlines and periods are the customer's days)."""
        return self.now().astimezone(self.zone).date()

    def with_clock(self, clock: Clock) -> "Runtime":
        """The same parts reading another clock (`gridsafe tick --now`, the demo's past)."""
        return replace(self, engine=self.engine.with_clock(clock))


def build(overrides: dict | None = None, *, clock: Clock | None = None) -> Runtime:
    """Wire a runtime from the settings: defaults, GRIDSAFE_* variables, then `overrides` (tests)."""
    config = settings.load(overrides)
    Path(config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    sa = make_engine(config["DATABASE_URL"], sqlite_synchronous=config["SQLITE_SYNCHRONOUS"],
                     busy_timeout_ms=config["DB_BUSY_TIMEOUT_MS"])
    files = store_for(sa, Path(config["DATA_DIR"]) / "files")
    rt = Runtime(config=config, engine=build_engine(config, clock or config.get("CLOCK"), files), files=files, sa=sa,
                 sessions=make_session_factory(sa), read_sessions=make_session_factory(sa, read_only=True))
    status.log_calendar_gaps(config, rt.today())
    return rt


def build_engine(config: dict, clock: Clock | None = None, files: Any = None) -> Engine:
    """The process runtime with GridSafe's handlers, forms folder and settings."""
    from . import decision_cases, form_versions, rendering, scenarios
    handler_settings = {k: v for k, v in config.items() if k not in SECRET_SETTINGS}
    built: list = []                              # the engine, whose clock the render after a commit reads
    queued = rendering.hook(config, files, lambda: built[0].clock)
    built.append(Engine(
        handlers={**HANDLERS, **config.get("EXTRA_HANDLERS", {})},
        clock=clock,
        context_factory=functools.partial(Context, settings=handler_settings, files=files, documents_queued=queued),
        form_check=functools.partial(forms.problem, folder=Path(config["FORMS_DIR"])),
        form_store=form_versions.FormStore(Path(config["FORMS_DIR"])),
        check_decisions=functools.partial(decision_cases.check, folder=Path(config["BPMN_DIR"]),
                                          factors=config.get("RISK_CLASS_FACTORS"),
                                          multiplier=config.get("RISK_OVERDUE_MULTIPLIER", 2)),
        check_processes=functools.partial(scenarios.check, config=config, make_engine=build_engine)
        if config.get("RUN_SCENARIOS") else None,
        max_model_bytes=config["MAX_MODEL_BYTES"],
        script_limits=Limits(seconds=float(config["SCRIPT_TIME_LIMIT_SECONDS"]),
                             megabytes=int(config["SCRIPT_MEMORY_LIMIT_MB"])),
        zone=ZoneInfo(config.get("TIMEZONE") or "Asia/Shanghai"),
    ))
    return built[0]
