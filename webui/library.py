"""The model library for process owners: every process and decision with its versions, any version's
diagram and source, the diff between two versions, and previews of the user-task forms.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _

import forms

from . import db, engine_of, modeling, work

bp = Blueprint("models", __name__, url_prefix="/models")


@bp.get("")
def library():
    """Every process and decision: versions (who, when, hash, instances), drafts, links to act."""
    return render_template("models/library.html", models=modeling.library(db.session()))


@bp.get("/<name>/versions/<int:version>")
def version(name, version):
    """One deployed version: its diagram, who deployed it and when, its instances."""
    session = db.session()
    mv = modeling.version_or_404(session, name, version)
    versions = next((m for m in modeling.library(session) if m.name == name), None)
    return render_template("models/version.html", mv=mv, model=versions,
                           counts=modeling.instance_counts(session).get(mv.id, (0, 0)))


@bp.get("/<name>/versions/<int:version>/source")
def download(name, version):
    """The version's .bpmn or .dmn file as deployed."""
    mv = modeling.version_or_404(db.session(), name, version)
    return _xml_file(mv.source, f"{mv.name}.v{mv.version}.{mv.kind}")


@bp.get("/<name>/diff")
def diff(name):
    """Elements added, removed and changed between two versions (default: the last two)."""
    session = db.session()
    model = next((m for m in modeling.library(session) if m.name == name), None)
    if model is None:
        abort(404)
    numbers = [mv.version for mv in model.versions]
    new = request.args.get("to", type=int) or numbers[0]
    old = request.args.get("from", type=int) or (numbers[1] if len(numbers) > 1 else numbers[0])
    old_mv, new_mv = modeling.version_or_404(session, name, old), modeling.version_or_404(session, name, new)
    result = engine_of(current_app).diff_versions(session, old_mv.id, new_mv.id)
    markers_old = {e["element_id"]: "removed" for e in result["removed"]}
    markers_old.update({e["element_id"]: "changed" for e in result["changed"]})
    markers_new = {e["element_id"]: "added" for e in result["added"]}
    markers_new.update({e["element_id"]: "changed" for e in result["changed"]})
    return render_template("models/diff.html", model=model, old=old_mv, new=new_mv, diff=result,
                           markers_old=markers_old, markers_new=markers_new)


@bp.get("/forms")
def form_list():
    """The user-task forms of the forms folder, each with a preview."""
    return render_template("models/forms.html", catalog=modeling.form_catalog())


@bp.get("/forms/<filename>")
def form_preview(filename):
    """A user-task form rendered from its JSON Schema with sample (or given) data."""
    catalog = modeling.form_catalog()
    if filename not in catalog["schemas"]:
        abort(404)
    ui_name = filename.replace(".schema.json", ".uischema.json")
    try:
        schema, ui = forms.load_pair(filename, ui_name if ui_name in catalog["ui"] else None,
                                     folder=modeling.forms_folder())
    except (FileNotFoundError, ValueError) as err:
        return render_template("models/form_preview.html", filename=filename, error=str(err), fields=[],
                               sample="{}", schema={}), 422
    error, data = None, modeling.sample_value(schema)
    if request.args.get("data"):
        try:
            data = json.loads(request.args["data"])
            if not isinstance(data, dict):
                raise ValueError(_("the sample data must be a JSON object"))
        except ValueError as err:
            error, data = _("The sample data is not valid JSON: %(error)s", error=str(err)), {}
    problems = forms.validate(schema, data, translate=_) if not error and _validates() else {}
    session = db.session()
    fields = forms.build_fields(schema, ui, data, problems, work.current_locale(), options=work.form_options(session))
    return render_template("models/form_preview.html", filename=filename, ui_name=ui_name, schema=schema,
                           fields=fields, sample=modeling.pretty(data), error=error, problems=problems)


def _validates() -> bool:
    return request.args.get("check") == "1"


def _xml_file(text: str, filename: str) -> Response:
    return Response(text, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "X-Content-Type-Options": "nosniff"})
