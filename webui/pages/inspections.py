"""Inspection pages: the list, one inspection, manual tasks and campaigns, the plan and its cycles,
the customer import, and the progress of the step-by-step jobs behind imports and campaigns.
HTTP only: services.inspections, services.planning and services.customer_import decide."""
from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from services import Invalid, inspections, planning, visits
from services import customer_import as register_import

from .. import db
from ..current import actor, runtime
from ..excel import XLSX
from ..rendering import page_number

bp = Blueprint("inspections", __name__)


@bp.get("/inspections")
def index():
    """Inspections in reach: filter by status, kind, team, customer; overdue ones marked."""
    args = request.args
    filters = inspections.Filters(status=args.get("status") or None, kind=args.get("kind") or None,
                                  team=args.get("team") or None, customer=args.get("customer") or None,
                                  page=page_number(args))
    view = inspections.listing(runtime(), db.session(), actor(), filters)
    return render_template("inspections/index.html", args=args, **view)


@bp.get("/inspections/to-verify")
def to_verify():
    """Visits whose time or position did not fit, for the specialist to verify."""
    view = visits.to_verify(runtime(), db.session(), actor(), page_number(request.args))
    return render_template("inspections/to_verify.html", **view)


@bp.get("/inspections/<number>")
def detail(number):
    """One inspection: its task, results, findings and their hazard files, the worksheet."""
    return render_template("inspections/detail.html", **inspections.detail(runtime(), db.session(), actor(), number))


@bp.route("/inspections/new", methods=["GET", "POST"])
def new():
    """A manual inspection task (periodic or special) for one customer or a campaign over many."""
    session, errors = db.session(), {}
    if request.method == "POST":
        try:
            job = inspections.create_campaign(runtime(), session, actor(), request.form)
        except Invalid as refused:
            errors = refused.errors
        else:
            return redirect(url_for("inspections.job", job_id=job.id))
    return render_template("inspections/new.html", errors=errors, form=request.form,
                           **inspections.new_form(session, actor())), 422 if errors else 200


@bp.get("/jobs/<int:job_id>")
def job(job_id):
    """A long job's progress (import or campaign); the page drives the steps."""
    return render_template("inspections/job.html", job=inspections.job(runtime(), db.session(), actor(), job_id))


@bp.post("/jobs/<int:job_id>/step")
def job_step(job_id):
    """Do the next step of a job (one transaction per row batch) and return its progress."""
    found = inspections.job_step(runtime(), db.session(), actor(), job_id)
    return render_template("inspections/_progress.html", job=found)


@bp.route("/customers/import", methods=["GET", "POST"])
def customer_import():
    """Upload an Excel or CSV export of the register; it is imported in steps with a progress bar."""
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            job = register_import.start(runtime(), db.session(), actor(), upload.filename if upload else "",
                                        upload.stream if upload else None)
        except Invalid as refused:
            error = refused.message
        else:
            return redirect(url_for("inspections.job", job_id=job.id))
    return render_template("inspections/import.html", error=error), 422 if error else 200


@bp.get("/customers/import/template.xlsx")
def customer_import_template():
    """The import's template: its columns and one example row."""
    return send_file(io.BytesIO(register_import.template()), mimetype=XLSX, as_attachment=True,
                     download_name="客户导入模板.xlsx")


@bp.get("/plan")
def plan():
    """The plan: cycles per class, the customers in reach due for a periodic inspection, overdue ones."""
    return _plan_page({})


@bp.post("/plan/cycles")
def plan_cycles():
    """Change the inspection cycle of customer classes (months); company-wide planners only; audited."""
    try:
        changes = planning.save_cycles(runtime(), db.session(), actor(), request.form)
    except Invalid as refused:
        return _plan_page(refused.errors)
    if changes:
        flash(_("Cycles saved."), "success")
    return redirect(url_for("inspections.plan"))


def _plan_page(errors: dict):
    view = planning.plan(runtime(), db.session(), actor())
    return render_template("inspections/plan.html", errors=errors, **view), 422 if errors else 200


@bp.post("/plan/run")
def plan_run():
    """Create the due periodic inspections of the customers in reach now (the scheduler does it daily)."""
    db.release()        # the generator commits customer by customer in its own sessions: end this request's
    report = planning.run_now(runtime(), actor())
    flash(_("%(count)s periodic inspections created.", count=len(report.created)), "success")
    return redirect(url_for("inspections.plan"))


@bp.post("/customers/<number>/plan")
def plan_listing(number):
    """Take a customer off the inspection plan (action=delist) or put it back (action=relist), with a reason."""
    act = planning.delist if request.form.get("action") == "delist" else planning.relist
    try:
        act(runtime(), db.session(), actor(), number, request.form.get("reason"))
    except Invalid as refused:
        flash(refused.message, "error")
    else:
        flash(_("Customer taken off the plan.") if act is planning.delist else _("Customer back on the plan."),
              "success")
    return redirect(url_for("catalog.customer_page", number=number))
