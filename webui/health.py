"""/healthz: is the database reachable, and is a scheduler ticking?"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text

from engine import SchedulerBeat

from . import db, engine_of

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """JSON with the database and scheduler state; 503 when the database does not answer."""
    config = current_app.config["GRIDSAFE"]
    now = engine_of(current_app).clock.now()
    session = db.session()
    try:
        session.execute(text("SELECT 1"))
        database = {"ok": True, "dialect": session.get_bind().dialect.name}
    except Exception as err:  # noqa: BLE001 - health reports any failure
        return jsonify(status="down", database={"ok": False, "error": str(err)}), 503
    last = session.scalar(select(func.max(SchedulerBeat.last_tick_at)))
    if last is None:
        scheduler = {"state": "never", "last_tick": None, "lag_seconds": None}
    else:
        lag = max(0, int((now - last).total_seconds()))
        state = "ok" if lag <= config["SCHEDULER_MAX_LAG_SECONDS"] else "lagging"
        scheduler = {"state": state, "last_tick": last.isoformat(), "lag_seconds": lag}
    status = "ok" if scheduler["state"] == "ok" else "degraded"
    return jsonify(status=status, database=database, scheduler=scheduler)
