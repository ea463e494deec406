"""Process tests in the browser: the scenarios of a process, edited as JSON, saved, and run against the
draft (else the newest version) on a throw-away database. Modellers only.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services import Conflict, Invalid, scenario_editing

from .. import db
from ..current import actor, runtime

bp = Blueprint("scenarios", __name__, url_prefix="/models")


def _render(found, *, text=None, report=None, error=None, status=200):
    markers = {}
    if report is not None:
        markers = {p["element_id"]: "error" for p in scenario_editing.problems(found.name, report) if p["element_id"]}
    return render_template("models/scenarios.html", page=found, text=found.text if text is None else text,
                           report=report, error=error, markers=markers), status


@bp.get("/<name>/scenarios")
def page(name):
    """The scenarios of a process: the JSON, where it comes from, the schema it follows."""
    return _render(scenario_editing.page(runtime(), db.session(), actor(), name))


@bp.post("/<name>/scenarios")
def save(name):
    """Store the edited scenarios (checked against the schema); 409 when someone saved after the page was opened."""
    rt, session, who = runtime(), db.session(), actor()
    text = request.form.get("text") or ""
    lock = request.form.get("lock_version") or ""
    try:
        scenario_editing.save(rt, session, who, name, text, int(lock) if lock.isdigit() else None)
    except Invalid as err:
        return _render(scenario_editing.page(rt, session, who, name), text=text, error=err.message, status=422)
    except Conflict as err:
        return _render(scenario_editing.page(rt, session, who, name), text=text, error=err.message, status=409)
    flash(_("The scenarios of %(name)s were saved.", name=name), "success")
    return redirect(url_for("scenarios.page", name=name))


@bp.post("/<name>/scenarios/run")
def run(name):
    """Run the scenarios in the text box (nothing is stored) and show each one's outcome."""
    rt, session, who = runtime(), db.session(), actor()
    text = request.form.get("text") or ""
    found = scenario_editing.page(rt, session, who, name)
    report = scenario_editing.run(rt, session, who, name, text)
    return _render(found, text=text, report=report, status=200 if report.ok else 422)
