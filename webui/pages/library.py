"""The model library for process owners: every process and decision with its versions, any version's
diagram and source, the diff between two versions, and previews of the user-task forms.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from services import decision_labels, modeling, task_forms

from .. import db
from ..rendering import current_locale
from ..current import actor, runtime

bp = Blueprint("models", __name__, url_prefix="/models")


@bp.get("")
def library():
    """Every process and decision: versions (who, when, hash, instances), drafts, links to act."""
    return render_template("models/library.html", models=modeling.library(runtime(), db.session(), actor()))


@bp.get("/<name>/versions/<int:version>")
def version(name, version):
    """One deployed version: its diagram, who deployed it and when, its instances."""
    view = modeling.version_view(runtime(), db.session(), actor(), name, version)
    return render_template("models/version.html", mv=view.version, model=view.model, counts=view.counts,
                           value_labels=decision_labels.value_labels() if view.version.kind == "dmn" else None)


@bp.get("/<name>/versions/<int:version>/source")
def download(name, version):
    """The version's .bpmn or .dmn file as deployed."""
    mv = modeling.version_or_404(runtime(), db.session(), actor(), name, version)
    return Response(mv.source, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{mv.name}.v{mv.version}.{mv.kind}"',
                             "X-Content-Type-Options": "nosniff"})


@bp.get("/<name>/diff")
def diff(name):
    """Elements added, removed and changed between two versions (default: the last two)."""
    found = modeling.diff(runtime(), db.session(), actor(), name, request.args.get("from") or None,
                          request.args.get("to") or None)
    return render_template("models/diff.html", model=found.model, old=found.old, new=found.new, diff=found.changes,
                           markers_old=found.markers("old"), markers_new=found.markers("new"))


@bp.get("/forms")
def form_list():
    """The user-task forms of the forms folder, each with a preview."""
    return render_template("models/forms.html", catalog=modeling.form_catalog(runtime(), db.session(), actor()))


@bp.get("/forms/<filename>")
def form_preview(filename):
    """A user-task form rendered from its JSON Schema with sample (or given) data."""
    session = db.session()
    preview = modeling.form_preview(runtime(), session, actor(), filename, data=request.args.get("data"),
                                    check=request.args.get("check") == "1", locale=current_locale(),
                                    options=task_forms.form_options(session))
    page = render_template("models/form_preview.html", filename=preview.filename, ui_name=preview.ui_name,
                           schema=preview.schema, fields=preview.fields, sample=preview.sample, error=preview.error,
                           problems=preview.problems)
    return (page, 422) if preview.broken else page
