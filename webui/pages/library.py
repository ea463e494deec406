"""The model library for process owners: every process and decision with its versions, any version's
diagram and source, the diff between two versions (forms included), previews of the user-task forms
and their editor.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services import Invalid, decision_labels, form_editing, modeling, task_forms

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
                           forms=view.forms,
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
                           markers_old=found.markers("old"), markers_new=found.markers("new"),
                           form_changes=found.form_changes)


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


@bp.get("/forms/new")
def form_new():
    """A new form: the editor of the name asked for (nothing is stored until it is deployed)."""
    name = (request.args.get("name") or "").strip().removesuffix(".json").removesuffix(".schema")
    if not form_editing.SCHEMA_NAME.match(f"{name}.schema.json"):
        flash(_("A form's name is letters, digits, _ and - (at most 120)."), "error")
        return redirect(url_for("models.form_list"))
    return redirect(url_for("models.form_editor", filename=f"{name}.schema.json"))


@bp.get("/forms/<filename>/edit")
def form_editor(filename):
    """The form's JSON Schema and UI schema in JSON editors, with the preview the inspector will see."""
    opened = form_editing.editor(runtime(), db.session(), actor(), filename)
    config = {"schema": opened.schema_text, "ui": opened.ui_text,
              "urls": {"preview": url_for("models.form_editor_preview", filename=filename),
                       "deploy": url_for("models.form_editor_deploy", filename=filename)},
              "messages": {"valid": _("No problems: it can be deployed."), "problems": _("Problems:"),
                           "deployed": _("Deployed as version %(version)s.", version="{version}"),
                           "unchanged": _("Unchanged: the form is the same as its newest version."),
                           "deploying": _("Deploying…"),
                           "error": _("Something went wrong")}}
    return render_template("models/form_editor.html", editor=opened, config=config)


def _form_payload() -> tuple[str, str]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("schema"), str) \
            or not isinstance(payload.get("ui", ""), str):
        abort(400, description=_("Send the form as JSON: {\"schema\": \"...\", \"ui\": \"...\"}."))
    return payload["schema"], payload.get("ui", "")


@bp.post("/forms/<filename>/preview")
def form_editor_preview(filename):
    """The edited form rendered as a task page shows it (JSON: {html, problems}); nothing is stored."""
    schema, ui = _form_payload()
    session = db.session()
    shown = form_editing.preview(runtime(), session, actor(), filename, schema, ui, locale=current_locale(),
                                 options=task_forms.form_options(session))
    html = render_template("models/_form_fields.html", fields=shown.fields, title=shown.title) \
        if not shown.problems else ""
    return jsonify({"html": html, "problems": shown.problems})


@bp.post("/forms/<filename>/deploy")
def form_editor_deploy(filename):
    """Deploy the edited form with the diagrams that show it (JSON); 422 with the problems when invalid."""
    schema, ui = _form_payload()
    payload = request.get_json(silent=True)
    comment = payload.get("comment") if isinstance(payload.get("comment"), str) else None
    try:
        done = form_editing.deploy(runtime(), db.session(), actor(), filename, schema, ui, (comment or "")[:1000])
    except Invalid as err:
        return jsonify({"status": "invalid", "detail": err.message}), 422
    models = [{"name": r.name, "status": r.status, "version": r.version,
               "problems": [p.as_dict() for p in r.problems]} for r in done.results]
    return jsonify({"status": done.status, "versions": done.versions, "models": models})
