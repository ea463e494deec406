"""Administrators at the running instances: the list, one instance's "why is it not moving?", actions."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import defer

import engine
from engine import Definition, ModelVersion, ProcessInstance

from . import db, engine_of

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50
ACTIONS = {"retry": _l("Retry the failed step"), "skip": _l("Skip the failed step with data"),
           "suspend": _l("Suspend"), "resume": _l("Resume"), "terminate": _l("Terminate")}


@dataclass
class InstanceQuery:
    process: str | None = None
    version: int | None = None
    status: str | None = None
    key: str | None = None
    started_from: date | None = None
    started_to: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "InstanceQuery":
        def day(name):
            try:
                return date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None

        def number(name, default=None):
            try:
                return int(args.get(name, ""))
            except ValueError:
                return default

        status = args.get("status") or None
        return cls(process=args.get("process") or None, version=number("version"),
                   status=status if status in engine.STATUSES else None,
                   key=(args.get("key") or "").strip() or None, started_from=day("from"), started_to=day("to"),
                   page=max(1, number("page", 1)))


def instance_page(session, q: InstanceQuery) -> tuple[list, int]:
    """(instances with their model version, total) matching the filters, newest first."""
    condition = ProcessInstance.id.is_not(None)
    if q.process:
        condition &= ProcessInstance.process_id == q.process
    if q.version:
        condition &= ModelVersion.version == q.version
    if q.status:
        condition &= ProcessInstance.status == q.status
    if q.key:
        condition &= ProcessInstance.business_key == q.key
    if q.started_from:
        condition &= ProcessInstance.created_at >= datetime.combine(q.started_from, time.min, timezone.utc)
    if q.started_to:
        condition &= ProcessInstance.created_at < datetime.combine(q.started_to, time.max, timezone.utc)
    counted = select(func.count()).select_from(ProcessInstance)
    if q.version:
        counted = counted.join(ModelVersion)
    total = session.scalar(counted.where(condition))
    # the list shows no state: leave the (large) serialized workflow and tracebacks in the database
    rows = session.execute(select(ProcessInstance, ModelVersion.version).join(ModelVersion).where(condition)
                           .options(defer(ProcessInstance.state), defer(ProcessInstance.error_traceback))
                           .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
                           .limit(PAGE_SIZE).offset((q.page - 1) * PAGE_SIZE)).all()
    return rows, total


@bp.get("/instances")
def instances():
    """Every instance, filtered by process, version, status, business key and start date."""
    session = db.session()
    q = InstanceQuery.from_args(request.args)
    rows, total = instance_page(session, q)
    processes = session.scalars(select(Definition.definition_id).where(Definition.kind == "process")
                                .order_by(Definition.definition_id))    # not a scan of every instance
    return render_template("admin/instances.html", rows=rows, total=total, q=q, statuses=engine.STATUSES,
                           processes=list(processes), page_size=PAGE_SIZE)


@bp.get("/instances/<int:instance_id>")
def instance(instance_id):
    """One instance: what it waits for, its elements, data, audit trail and error."""
    session = db.session()
    view = engine_of(current_app).describe(session, instance_id)
    version = session.get(ModelVersion, view["instance"].model_version_id)
    return render_template("admin/instance.html", view=view, version=version, actions=ACTIONS,
                           can_act=current_user.has_role("admin"))


@bp.post("/instances/<int:instance_id>/<action>")
def instance_action(instance_id, action):
    """retry, skip (with data), suspend, resume or terminate, each with a reason."""
    if action not in ACTIONS:
        return redirect(url_for("admin.instance", instance_id=instance_id))
    session = db.session()
    reason = (request.form.get("reason") or "").strip()
    kwargs = {}
    if action == "skip":
        try:
            kwargs["data"] = json.loads(request.form.get("data") or "{}")
        except ValueError as err:
            flash(_("The data is not valid JSON: %(error)s", error=str(err)), "error")
            return redirect(url_for("admin.instance", instance_id=instance_id))
    try:
        getattr(engine_of(current_app), action)(session, instance_id, current_user.username, reason, **kwargs)
        flash(_("Done: %(action)s.", action=ACTIONS[action]), "success")
    except engine.EngineError as err:
        flash(str(err), "error")
    return redirect(url_for("admin.instance", instance_id=instance_id))
