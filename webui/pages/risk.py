"""Risk pages: the customer risk list (red / yellow / blue / grey / 未监控, sorted by score, each grade
explained by its drivers) and one customer's grade history with the warnings sent. HTTP only: the
questions and the scope are services.risk's."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services import Conflict, access, risk

from .. import current, db
from ..rendering import page_number

bp = Blueprint("risk", __name__)


def _query(args) -> risk.RiskQuery:
    return risk.RiskQuery(status=args.get("status"), branch=args.get("branch"), klass=args.get("class"),
                          q=args.get("q"), page=page_number(args))


@bp.get("/risk")
def index():
    """Customers by risk: filters (status, class, branch, number or name), worst score first."""
    q = _query(request.args)
    rows, total, counts = risk.risk_list(current.runtime(), db.session(), current.actor(), q)
    return render_template("risk/index.html", rows=rows, total=total, counts=counts, q=q, statuses=risk.STATUSES,
                           class_names=risk.CLASS_NAMES, page_size=risk.PAGE_SIZE)


@bp.get("/risk/<number>")
def customer(number):
    """One customer's grade: drivers, history (model version and time of each), warnings and their delivery."""
    actor = current.actor()
    view = risk.customer_risk(current.runtime(), db.session(), actor, number)
    return render_template("risk/customer.html", c=view["customer"], view=view,
                           can_regrade=access.grades_by_hand(actor))


@bp.post("/risk/<number>/regrade")
def regrade(number):
    """Grade the customer again now (e.g. after the process owner deployed a new table)."""
    try:
        result = risk.regrade_by_hand(current.runtime(), db.session(), current.actor(), number)
    except Conflict as err:
        flash(err.message, "error")
    else:
        flash(_("Graded again: %(grade)s.", grade=result["grade"] or "—"), "success")
    return redirect(url_for("risk.customer", number=number))
