"""/healthz: is the database reachable, and is a scheduler ticking?"""
from __future__ import annotations

from flask import Blueprint, jsonify

from services import health

from .. import db
from ..current import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """JSON with the database and scheduler state; 503 when the database does not answer or no scheduler
    beat recently (by the wall clock)."""
    state, well = health.check(runtime(), db.session())
    return jsonify(state), 200 if well else 503
