"""系统状态: the operator's page (administrators). HTTP only: services.status reads the figures."""
from __future__ import annotations

from flask import Blueprint, render_template

from services import status

from .. import current, db

bp = Blueprint("status", __name__, url_prefix="/admin/status")


@bp.get("")
def index():
    """The database, the schedulers, timers, the outbox, instances in error, sizes and the calendar."""
    state = status.snapshot(current.runtime(), db.session(), current.actor())
    return render_template("admin/status.html", s=state)
