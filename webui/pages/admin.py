"""Administrators at the running instances: the list, one instance's "why is it not moving?", actions."""
from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services import Invalid
from services.errors import INSTANCE_STATUSES, EngineError
from services import instances as service

from .. import current, db
from ..rendering import page_number

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _query(args) -> service.InstanceQuery:
    def day(name):
        try:
            return date.fromisoformat(args.get(name, ""))
        except ValueError:
            return None

    def number(name, default=None):
        try:
            value = int(args.get(name, ""))
        except ValueError:
            return default
        return value if 0 <= value < 2 ** 63 else default

    status = args.get("status") or None
    return service.InstanceQuery(process=args.get("process") or None, version=number("version"),
                                   status=status if status in INSTANCE_STATUSES else None,
                                   key=(args.get("key") or "").strip() or None, started_from=day("from"),
                                   started_to=day("to"), page=page_number(args))


@bp.get("/instances")
def instances():
    """Every instance, filtered by process, version, status, business key and start date."""
    rt, actor, session = current.runtime(), current.actor(), db.session()
    q = _query(request.args)
    rows, total = service.instance_page(rt, session, actor, q)
    return render_template("admin/instances.html", rows=rows, total=total, q=q, statuses=INSTANCE_STATUSES,
                           processes=service.process_ids(rt, session, actor), page_size=service.PAGE_SIZE)


@bp.get("/instances/<int:instance_id>")
def instance(instance_id):
    """One instance: what it waits for, its elements, data, audit trail and error."""
    view = service.describe(current.runtime(), db.session(), current.actor(), instance_id)
    return render_template("admin/instance.html", view=view, version=view["version"], actions=service.ACTIONS,
                           destructive=service.DESTRUCTIVE, can_act=view["can_act"])


@bp.post("/instances/<int:instance_id>/<action>")
def instance_action(instance_id, action):
    """retry, skip (with data), suspend, resume, terminate or signal (by name), each with a reason;
    terminating also needs its confirmation box ticked."""
    if action not in service.ACTIONS:
        return redirect(url_for("admin.instance", instance_id=instance_id))
    if action in service.DESTRUCTIVE and request.form.get("confirm") != "yes":
        flash(_("Tick the confirmation: terminating cannot be undone."), "error")
        return instance(instance_id), 422
    reason = (request.form.get("reason") or "").strip()
    data = None
    if action == "skip":
        try:
            data = json.loads(request.form.get("data") or "{}")
        except ValueError as err:
            flash(_("The data is not valid JSON: %(error)s", error=str(err)), "error")
            return redirect(url_for("admin.instance", instance_id=instance_id))
    if action == "signal":
        data = {"signal": (request.form.get("signal") or "").strip()[:200]}
    try:
        service.act(current.runtime(), db.session(), current.actor(), instance_id, action, reason, data)
        flash(_("Done: %(action)s.", action=service.ACTIONS[action]), "success")
    except Invalid as err:
        flash(err.message, "error")
        return instance(instance_id), 422
    except EngineError as err:
        flash(str(err), "error")
    return redirect(url_for("admin.instance", instance_id=instance_id))
