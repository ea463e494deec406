"""Is the service well: does the database answer, and is a scheduler ticking?

The scheduler's beat is compared with the wall clock, never with the runtime's clock: a
`gridsafe tick --now <future>` records no beat and so cannot make a dead scheduler look alive.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select, text

from engine import SchedulerBeat


def check(rt, session) -> tuple[dict, bool]:
    """(the state as JSON-able data, whether the service is well: the database answered and a scheduler
    beat within SCHEDULER_MAX_LAG_SECONDS of now)."""
    try:
        session.execute(text("SELECT 1"))
        database = {"ok": True, "dialect": session.get_bind().dialect.name}
        last = session.scalar(select(func.max(SchedulerBeat.last_tick_at)))
    except Exception as err:  # noqa: BLE001 - health reports any failure
        session.rollback()
        return {"status": "down", "database": {"ok": False, "error": str(err).splitlines()[0]}}, False
    limit = rt.config["SCHEDULER_MAX_LAG_SECONDS"]
    if last is None:
        scheduler = {"state": "never", "last_tick": None, "lag_seconds": None, "max_lag_seconds": limit}
    else:
        lag = int((datetime.now(timezone.utc) - last).total_seconds())
        state = "ok" if -limit <= lag <= limit else "lagging"
        scheduler = {"state": state, "last_tick": last.isoformat(), "lag_seconds": lag, "max_lag_seconds": limit}
    well = scheduler["state"] == "ok"
    return {"status": "ok" if well else "degraded", "database": database, "scheduler": scheduler}, well
