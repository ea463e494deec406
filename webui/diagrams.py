"""Diagrams for administrators: an instance on its diagrams (what it did, where it waits, what failed),
one element's tasks and history, the source of any version for the viewer, and a version's heatmap.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_babel import format_timedelta

from engine import ModelVersion

from . import db, engine_of, modeling
from .work import local_day

bp = Blueprint("diagrams", __name__)
DEFAULT_PERIOD_DAYS = 90


@bp.app_template_filter("duration")
def duration(seconds: float) -> str:
    """A length of time in words of the user's language (e.g. 3 天)."""
    return format_timedelta(timedelta(seconds=seconds), threshold=1.5)


@bp.get("/admin/instances/<int:instance_id>/diagram")
def instance_diagram(instance_id):
    """JSON for the viewer: markers per diagram (completed, active, error) and call activities' targets."""
    view = engine_of(current_app).instance_diagram(db.session(), instance_id)
    return jsonify({"root": view["root"], "calls": view["calls"],
                    "diagrams": {str(k): v for k, v in view["diagrams"].items()}})


@bp.get("/admin/instances/<int:instance_id>/elements/<element_id>")
def element(instance_id, element_id):
    """HTML fragment: one element's tasks (state, time, data), user-task rows and audit events."""
    detail = engine_of(current_app).element_detail(db.session(), instance_id, element_id)
    return render_template("admin/_element.html", detail=detail)


@bp.get("/diagrams/versions/<int:version_id>/source")
def source(version_id):
    """A deployed version's XML, for the viewer."""
    mv = db.session().get(ModelVersion, version_id)
    if mv is None:
        abort(404)
    return Response(mv.source, mimetype="application/xml", headers={"X-Content-Type-Options": "nosniff"})


def _day(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default


@bp.get("/models/<name>/versions/<int:version>/heatmap")
def heatmap(name, version):
    """Per element: instances waiting there now, and the median time spent there in the period."""
    session = db.session()
    mv = modeling.version_or_404(session, name, version)
    if mv.kind != "bpmn":
        abort(404)
    eng = engine_of(current_app)
    zone = ZoneInfo(current_app.config["GRIDSAFE"]["TIMEZONE"])
    today = local_day(eng, current_app.config["GRIDSAFE"])
    first, last = _day("from", today - timedelta(days=DEFAULT_PERIOD_DAYS)), _day("to", today)
    since = datetime.combine(first, time.min, zone).astimezone(timezone.utc)
    until = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(timezone.utc)
    result = eng.heatmap(session, mv.id, since=since, until=until)
    cells = {e: {k: c[k] for k in ("waiting", "errors", "median_seconds")} for e, c in result["elements"].items()}
    return render_template("models/heatmap.html", mv=mv, result=result, cells=cells, first=first, last=last)
