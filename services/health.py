"""Is the service well: does the database answer, and is a scheduler ticking?"""
from __future__ import annotations

from sqlalchemy import func, select, text

from engine import SchedulerBeat


def check(rt, session) -> tuple[dict, bool]:
    """(the state as JSON-able data, whether the database answered)."""
    try:
        session.execute(text("SELECT 1"))
        database = {"ok": True, "dialect": session.get_bind().dialect.name}
    except Exception as err:  # noqa: BLE001 - health reports any failure
        return {"status": "down", "database": {"ok": False, "error": str(err)}}, False
    last = session.scalar(select(func.max(SchedulerBeat.last_tick_at)))
    if last is None:
        scheduler = {"state": "never", "last_tick": None, "lag_seconds": None}
    else:
        lag = max(0, int((rt.now() - last).total_seconds()))
        state = "ok" if lag <= rt.config["SCHEDULER_MAX_LAG_SECONDS"] else "lagging"
        scheduler = {"state": state, "last_tick": last.isoformat(), "lag_seconds": lag}
    status = "ok" if scheduler["state"] == "ok" else "degraded"
    return {"status": status, "database": database, "scheduler": scheduler}, True
