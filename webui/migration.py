"""Moving running instances to a newer version: the dry run (can migrate / blocked because …) and the
migration of one, a selection or all that can, each instance its own transaction and audit event.

With JavaScript the page migrates the chosen instances one request at a time and shows progress
(static/migration.js); without it the form posts them all at once and the results page lists each.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

import engine

from . import db, engine_of, modeling

bp = Blueprint("migration", __name__, url_prefix="/models")


def _versions(name: str, version: int):
    session = db.session()
    source = modeling.version_or_404(session, name, version)
    if source.kind != "bpmn":
        abort(404)
    latest = modeling.latest_or_none(session, name)
    target_number = request.values.get("to", type=int) or latest.version
    target = modeling.version_or_404(session, name, target_number)
    others = [m for m in next(m for m in modeling.library(session) if m.name == name).versions if m.id != source.id]
    return source, target, others


@bp.get("/<name>/versions/<int:version>/migration")
def dry_run(name, version):
    """Every unfinished instance of this version: can it move to the target version, and if not, why."""
    source, target, others = _versions(name, version)
    checks = []
    if target.id != source.id:
        checks = engine_of(current_app).check_migration(db.session(), source.id, target.id)
    return render_template("models/migration.html", source=source, target=target, others=others, checks=checks,
                           can_act=current_user.has_role("admin"))


def _expected(form, only_ids=None) -> dict[int, int]:
    """{instance id: lock_version seen in the dry run} of the chosen instances."""
    chosen = only_ids if only_ids is not None else form.getlist("instance", type=int)
    expected = {}
    for instance_id in chosen:
        seen = form.get(f"lock-{instance_id}", type=int)
        if seen is not None:
            expected[instance_id] = seen
    return expected


@bp.post("/<name>/versions/<int:version>/migration")
def run(name, version):
    """Migrate the selected instances (or all that could in the dry run); one result per instance."""
    source, target, _others = _versions(name, version)
    everyone = request.form.get("all") == "1"
    chosen = request.form.getlist("movable", type=int) if everyone else None
    expected = _expected(request.form, chosen)
    if not expected:
        return render_template("models/migration_done.html", source=source, target=target, results=[],
                               message=_("No instance was chosen.")), 422
    results = engine_of(current_app).migrate_instances(db.session(), target.id, expected, current_user.username,
                                                       reason=request.form.get("reason") or None)
    return render_template("models/migration_done.html", source=source, target=target, results=results,
                           message=None)


@bp.post("/<name>/versions/<int:version>/migration/<int:instance_id>")
def run_one(name, version, instance_id):
    """Migrate one instance (JSON {to, lock_version, reason}); used by the page to show progress."""
    payload = request.get_json(silent=True) or {}
    session = db.session()
    source = modeling.version_or_404(session, name, version)
    target = modeling.version_or_404(session, name, payload.get("to") if isinstance(payload.get("to"), int) else 0)
    lock = payload.get("lock_version")
    if not isinstance(lock, int):
        return jsonify({"migrated": False, "message": _("Run the dry run first: the instance's version is missing.")}), 400
    found = session.get(engine.ProcessInstance, instance_id)
    if found is None or found.model_version_id != source.id:
        return jsonify({"migrated": False,
                        "message": _("Instance %(id)s is not on version %(version)s (any more).",
                                     id=instance_id, version=source.version)}), 409
    try:
        instance = engine_of(current_app).migrate_instance(session, instance_id, target.id, current_user.username,
                                                           expect_version=lock, reason=payload.get("reason") or None)
    except engine.EngineError as err:
        return jsonify({"migrated": False, "message": str(err)}), getattr(err, "status", 400)
    return jsonify({"migrated": True, "status": instance.status, "lock_version": instance.lock_version})
