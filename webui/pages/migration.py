"""Moving running instances to a newer version: the dry run page (can migrate / blocked because …) and
the migration of one, a selection or all that can (services.instance_migration decides and checks).

With JavaScript the page migrates the chosen instances one request at a time and shows progress
(static/migration.js); without it the form posts them all at once and the results page lists each.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _

from services import Forbidden, NotFound, ServiceError, access, instance_migration

from .. import db
from ..current import actor, runtime

bp = Blueprint("migration", __name__, url_prefix="/models")


@bp.get("/<name>/versions/<int:version>/migration")
def dry_run(name, version):
    """Every unfinished instance of this version: can it move to the target version, and if not, why."""
    who = actor()
    run = instance_migration.dry_run(runtime(), db.session(), who, name, version, request.args.get("to") or None)
    return render_template("models/migration.html", source=run.source, target=run.target, others=run.others,
                           checks=run.checks, can_act=access.may_migrate(who))


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
    everyone = request.form.get("all") == "1"
    expected = _expected(request.form, request.form.getlist("movable", type=int) if everyone else None)
    done = instance_migration.migrate(runtime(), db.session(), actor(), name, version,
                                      request.values.get("to") or None, expected, request.form.get("reason") or None)
    if not expected:
        return render_template("models/migration_done.html", source=done.source, target=done.target, results=[],
                               message=_("No instance was chosen.")), 422
    return render_template("models/migration_done.html", source=done.source, target=done.target,
                           results=done.results, message=None)


@bp.post("/<name>/versions/<int:version>/migration/<int:instance_id>")
def run_one(name, version, instance_id):
    """Migrate one instance (JSON {to, lock_version, reason}); used by the page to show progress."""
    payload = request.get_json(silent=True) or {}
    try:
        instance = instance_migration.migrate_one(runtime(), db.session(), actor(), name, version, instance_id,
                                                  payload.get("to"), payload.get("lock_version"),
                                                  payload.get("reason"))
    except (NotFound, Forbidden):
        raise
    except ServiceError as err:
        return jsonify({"migrated": False, "message": err.message}), err.status
    return jsonify({"migrated": True, "status": instance.status, "lock_version": instance.lock_version})
