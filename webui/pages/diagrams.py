"""Diagrams for administrators: an instance on its diagrams (what it did, where it waits, what failed),
one element's tasks and history, the source of any version for the viewer, and a version's heatmap.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import format_timedelta

from services import instances as service

from .. import current, db

bp = Blueprint("diagrams", __name__)


@bp.app_template_filter("duration")
def duration(seconds: float) -> str:
    """A length of time in words of the user's language (e.g. 3 天)."""
    return format_timedelta(timedelta(seconds=seconds), threshold=1.5)


@bp.get("/admin/instances/<int:instance_id>/diagram")
def instance_diagram(instance_id):
    """JSON for the viewer: markers per diagram (completed, active, error) and call activities' targets."""
    view = service.diagram(current.runtime(), db.session(), current.actor(), instance_id)
    return jsonify({"root": view["root"], "calls": view["calls"],
                    "diagrams": {str(k): v for k, v in view["diagrams"].items()}})


@bp.get("/admin/instances/<int:instance_id>/elements/<element_id>")
def element(instance_id, element_id):
    """HTML fragment: one element's tasks (state, time, data), user-task rows and audit events."""
    detail = service.element_detail(current.runtime(), db.session(), current.actor(), instance_id, element_id)
    return render_template("admin/_element.html", detail=detail)


@bp.get("/diagrams/versions/<int:version_id>/source")
def source(version_id):
    """A deployed version's XML, for the viewer."""
    xml = service.version_source(current.runtime(), db.session(), current.actor(), version_id)
    return Response(xml, mimetype="application/xml", headers={"X-Content-Type-Options": "nosniff"})


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/models/<name>/versions/<int:version>/heatmap")
def heatmap(name, version):
    """Per element: instances waiting there now, and the median time spent there in the period."""
    view = service.heatmap(current.runtime(), db.session(), current.actor(), name, version,
                           first=_day("from"), last=_day("to"))
    return render_template("models/heatmap.html", **view)
