"""Risk pages: the customer risk list (red / yellow / blue / grey / 未监控, sorted by score, each grade
explained by its drivers) and one customer's grade history with the warnings sent."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import engine
from records import customers

from . import db, engine_of, grading
from .risk_views import PAGE_SIZE, STATUSES, RiskQuery, customer_or_404, customer_risk, risk_page
from .work import local_today

bp = Blueprint("risk", __name__)


@bp.get("/risk")
def index():
    """Customers by risk: filters (status, class, branch, number or name), worst score first."""
    session = db.session()
    q = RiskQuery.from_args(request.args)
    rows, total, counts = risk_page(session, q, local_today())
    return render_template("risk/index.html", rows=rows, total=total, counts=counts, q=q, statuses=STATUSES,
                           class_names=customers.CLASS_NAMES, page_size=PAGE_SIZE)


@bp.get("/risk/<number>")
def customer(number):
    """One customer's grade: drivers, history (model version and time of each), warnings and their delivery."""
    session = db.session()
    found = customer_or_404(session, number)
    view = customer_risk(session, found, local_today())
    return render_template("risk/customer.html", c=found, view=view,
                           can_regrade=current_user.has_role("specialist", "admin"))


@bp.post("/risk/<number>/regrade")
def regrade(number):
    """Grade the customer again now (e.g. after the process owner deployed a new table)."""
    session = db.session()
    found = customer_or_404(session, number)
    try:
        result = grading.regrade(engine_of(current_app), session, found, "manual", current_user.username)
        session.commit()
    except (engine.EngineError, ValueError) as err:
        session.rollback()
        flash(_("The customer could not be graded: %(error)s", error=str(err)), "error")
    else:
        flash(_("Graded again: %(grade)s.", grade=result["grade"] or "—"), "success")
    return redirect(url_for("risk.customer", number=found.number))
