"""Grid trips caused by customers (因客户原因引起电网跳闸): the trips of a period (the dashboard's period and
filters) and recording one. services.trips decides reach and checks the input."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services import Invalid, trips

from ..current import actor, runtime
from ..db import session

bp = Blueprint("trips", __name__)
FIELDS = ("customer", "occurred_on", "occurred_time", "cause", "hazard")


@bp.get("/trips")
def index():
    """The trips of the period, newest first, and (for those who may) the form to record one."""
    return _page({}, {}, 200)


def _page(values, errors, status):
    found = trips.in_period(runtime(), session(), actor(), request.args)
    return render_template("trips/index.html", **found, values=values, errors=errors,
                           can_record=trips.may_record(actor())), 400 if found["q"].errors and status == 200 else status


@bp.post("/trips")
def record():
    """Record a trip; a refused form comes back with its values and the reason by the field."""
    values = {name: (request.form.get(name) or "").strip() for name in FIELDS}
    try:
        trips.record(runtime(), session(), actor(), **values)
    except Invalid as err:
        return _page(values, err.errors, 422)
    flash(_("Trip recorded."), "success")
    return redirect(url_for("trips.index"))
