"""What one scheduler tick does: fire due timers (later issues add periodic jobs here)."""
from __future__ import annotations

import time

from engine import timers

from . import db


def run_tick(app, eng, name: str) -> dict:
    """Run every due job once, each in its own transactions; returns what happened."""
    started = time.monotonic()
    report = eng.fire_due_timers(db.session_factory())
    with db.session_factory()() as session:
        timers.record_beat(session, name, eng.clock.now(), started, report)
    return {"fired": report.fired, "errors": report.errors}
