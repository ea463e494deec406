"""Team performance assessment pages: the runs, one run's scorecards (and their workbook), starting one
by hand, the scores of each team over time. The use cases and the reach are services.assessment's."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services import ServiceError, assessment

from .. import current, db, excel, permissions

bp = Blueprint("assessments", __name__)


@bp.get("/assessments")
def index():
    """The runs, newest first, and each team's final score over the published ones."""
    actor = current.actor()
    return render_template("assessments/index.html", **assessment.overview(current.runtime(), db.session(), actor),
                           can_start=permissions.allowed("assessments.start_by_hand", actor))


@bp.post("/assessments")
def start_by_hand():
    """Start the assessment of a finished month or quarter (or open the one that exists)."""
    period = (request.form.get("period") or "").strip()[:12]
    try:
        run, created = assessment.start(current.runtime(), db.session(), current.actor(), period)
    except ServiceError as err:
        if err.status in (403, 404):
            raise
        flash(str(err), "error")
        return redirect(url_for("assessments.index"))
    if created:
        flash(_("The assessment of %(period)s was started.", period=run.period), "success")
    else:
        flash(_("The assessment of %(period)s exists already.", period=run.period), "info")
    return redirect(url_for("assessments.detail", run_id=run.id))


@bp.get("/assessments/<int:run_id>")
def detail(run_id):
    """One run: the weights, each team's components, the computed and the leader's scores."""
    return render_template("assessments/run.html", **assessment.run(current.runtime(), db.session(), current.actor(),
                                                                    run_id))


@bp.get("/assessments/<int:run_id>/export")
def export(run_id):
    """The run's scorecards as an Excel workbook (the page's table)."""
    period, table = assessment.export(current.runtime(), db.session(), current.actor(), run_id)
    data = excel.workbook([table], _("Team assessment %(period)s", period=period), request.url_root)
    return Response(data, mimetype=excel.XLSX,
                    headers={"Content-Disposition": f"attachment; filename=\"assessment-{period}.xlsx\""})
