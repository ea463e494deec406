"""Reports to the government by period: the list of generated summaries and annual reports (every
version, with their submission state) and generating one. The use cases are services.summaries'."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services import summaries
from services.periods import PeriodError

from .. import current, db, permissions

bp = Blueprint("summaries", __name__)


@bp.get("/summaries")
def index():
    """Generated summaries and annual reports (every version) with their submission state."""
    actor = current.actor()
    return render_template("summaries/index.html", **summaries.listing(current.runtime(), db.session(), actor),
                           can_generate=permissions.allowed("summaries.generate", actor))


@bp.post("/summaries")
def generate():
    """Render a summary (period 2026-03 / 2026-Q1) or an annual report (year), archive and log it."""
    form = request.form
    try:
        result = summaries.generate(current.runtime(), db.session(), current.actor(), kind=form.get("kind") or "",
                                    period=form.get("period") or "", year=form.get("year") or "",
                                    branch=form.get("branch") or "")
    except PeriodError as err:
        flash(str(err), "error")
        return redirect(url_for("summaries.index"))
    flash(_("%(number)s generated (version %(version)s); mark it submitted once it has been sent.",
            number=result["number"], version=result["version"]), "success")
    return redirect(url_for("summaries.index"))
