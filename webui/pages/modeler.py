"""Editing diagrams in the browser: the bpmn-js / dmn-js modeler page, drafts, validation, deploying,
new models (blank or uploaded). The modeler talks to these endpoints with JSON (session + CSRF).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services import Conflict, Invalid, decision_labels, drafts, model_bundles, modeling

from .. import db
from ..rendering import current_locale
from ..current import actor, runtime

bp = Blueprint("modeler", __name__, url_prefix="/models")


def _labels() -> dict:
    """Texts of the GridSafe group of the properties panel and of the editor's status line."""
    return {
        "group": _("GridSafe"), "operator": _("Operator (handler)"), "result": _("Result variable"),
        "default": _("default"), "expression": _("A Python expression over the task data"),
        "unknown": _("unknown"), "form": _("Form"), "uiForm": _("Form layout"), "preview": _("Preview the form"),
        "candidateTeam": _("Candidate team"), "assignee": _("Assignee"), "dueDate": _("Due date"),
        "formData": _("Prefilled form data"), "instructions": _("Instructions"),
        "variableName": _("Store the form under"), "role": _("Role"), "decision": _("Decision table"),
        "calledProcess": _("Called process"), "messageVariable": _("Store the message payload under"),
        "condition": _("Condition"),
    }


def _messages() -> dict:
    return {
        "ready": _("Ready."), "dirty": _("Unsaved changes."), "saved": _("Draft saved."),
        "valid": _("No problems: it can be deployed."), "invalid": _("%(count)s problems: see the list."),
        "deployed": _("Deployed as version %(version)s."),
        "unchanged": _("Unchanged: version %(version)s is the same."), "deploying": _("Deploying…"),
        "notDeployed": _("Not deployed: %(count)s problems."), "error": _("Something went wrong"),
        "importFailed": _("The diagram could not be opened:"), "line": _("line %(line)s", line="{line}"),
        "asDeployed": _("Version %(version)s as deployed.", version="{version}"), "warning": _("Warning"),
    }


def _role_label(role: str) -> str:
    from services.people import ROLE_LABELS
    return str(ROLE_LABELS.get(role, role))


def _blank(name: str, kind: str) -> str:
    """A new diagram: one start event (BPMN) or one empty decision table (DMN)."""
    text, _file, _fresh = current_app.jinja_loader.get_source(current_app.jinja_env, f"models/blank.{kind}")
    return text.replace("__NAME__", name)


@bp.get("/new")
def new():
    """Start a new process or decision table: blank, or from an uploaded file."""
    return render_template("models/new.html")


@bp.post("/new")
def create():
    """A blank diagram: opens the editor (nothing is stored until saved or deployed)."""
    name, kind = (request.form.get("name") or "").strip(), request.form.get("kind")
    try:
        drafts.new_model(runtime(), db.session(), actor(), name, kind)
    except Invalid as err:
        return _refuse(err.message)
    return redirect(url_for("modeler.editor", name=name, kind=kind))


@bp.post("/upload")
def upload():
    """An uploaded .bpmn/.dmn file: saved as draft (then edited) or deployed at once if it passes lint; a .zip
    of several: checked together, and deployed together (callees first) when every file passes."""
    file = request.files.get("file")
    if file and (file.filename or "").lower().endswith(".zip"):
        return _bundle(file.read(), request.form.get("action") == "deploy", request.form.get("comment"))
    try:
        done = drafts.upload(runtime(), db.session(), actor(), filename=file.filename if file else "",
                             data=file.read() if file else b"", name=request.form.get("name") or "",
                             action=request.form.get("action") or "draft", comment=request.form.get("comment"))
    except Invalid as err:
        return _refuse(err.message)
    result = done.result
    if result is None:
        flash(_("Saved as the draft of %(name)s.", name=done.name), "success")
        return redirect(url_for("modeler.editor", name=done.name))
    if result.status == "invalid":
        return render_template("models/new.html", problems=result.problems, name=done.name), 422
    if result.status == "unchanged":
        flash(_("Unchanged: version %(version)s is the same.", version=result.version), "info")
    else:
        flash(_("Deployed as version %(version)s.", version=result.version), "success")
    return redirect(url_for("models.version", name=done.name, version=result.version))


def _bundle(data: bytes, deploy: bool, comment: str | None):
    try:
        if deploy:
            done = model_bundles.deploy_bundle(runtime(), db.session(), actor(), data, comment or None)
        else:
            done = model_bundles.lint_bundle(runtime(), db.session(), actor(), data)
    except Invalid as err:
        return _refuse(err.message)
    return render_template("models/bundle.html", bundle=done, deployed=deploy and done.ok), 200 if done.ok else 422


def _refuse(message: str):
    flash(message, "error")
    return render_template("models/new.html"), 422


@bp.get("/<name>/edit")
def editor(name):
    """The modeler with the draft, else the newest version, else a blank diagram of ?kind=."""
    rt, session, who = runtime(), db.session(), actor()
    opened = modeling.editor(rt, session, who, name, request.args.get("kind"))
    draft = opened.draft
    config = {
        "name": name, "kind": opened.kind, "source": opened.source or _blank(name, opened.kind),
        "lock_version": draft.lock_version if draft else None,
        "urls": {"draft": url_for("modeler.save_draft", name=name), "validate": url_for("modeler.validate", name=name),
                 "deploy": url_for("modeler.deploy", name=name)},
        "previewUrl": url_for("models.form_preview", filename="__form__"),
        "catalog": modeling.modeler_catalog(rt, session, who, _role_label), "labels": _labels(),
        "messages": _messages(), "locale": current_locale(),
        "valueLabels": decision_labels.value_labels() if opened.kind == "dmn" else {},
    }
    return render_template("models/editor.html", name=name, kind=opened.kind, draft=draft, latest=opened.latest,
                           config=config)


def _payload() -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("source"), str):
        abort(400, description=_("Send the diagram as JSON: {\"source\": \"<xml>\"}."))
    return payload


@bp.post("/<name>/draft")
def save_draft(name):
    """Store the editor's diagram as the draft (JSON); 409 when someone saved after it was loaded."""
    payload = _payload()
    lock = payload.get("lock_version")
    try:
        draft = drafts.save_draft(runtime(), db.session(), actor(), name, payload["source"],
                                  lock if isinstance(lock, int) else None)
    except Conflict as err:
        return jsonify({"detail": err.message}), 409
    except Invalid as err:
        return jsonify({"detail": err.message}), 422
    return jsonify({"lock_version": draft.lock_version, "updated_at": draft.updated_at.isoformat()})


@bp.post("/<name>/draft/discard")
def discard_draft(name):
    """Throw the draft away (the deployed versions are untouched)."""
    try:
        if drafts.discard_draft(runtime(), db.session(), actor(), name, request.form.get("reason")):
            flash(_("The draft of %(name)s was discarded.", name=name), "success")
    except Invalid as err:
        flash(err.message, "error")
    return redirect(url_for("models.library"))


@bp.post("/<name>/validate")
def validate(name):
    """Lint the editor's diagram: {"problems": [{file, line, element_id, message}]} (nothing stored)."""
    return jsonify({"problems": drafts.validate(runtime(), db.session(), actor(), name, _payload()["source"])})


@bp.post("/<name>/deploy")
def deploy(name):
    """Deploy the editor's diagram as a new version if it passes validation (JSON)."""
    payload = _payload()
    try:
        result = drafts.deploy(runtime(), db.session(), actor(), name, payload["source"], payload.get("comment"))
    except Invalid as err:
        return jsonify({"status": "invalid", "problems": [{"file": name, "line": None, "element_id": None,
                                                           "message": err.message}]}), 422
    body = {"status": result.status, "version": result.version, "problems": [p.as_dict() for p in result.problems]}
    if result.status == "invalid":
        return jsonify(body), 422
    body["url"] = url_for("models.version", name=name, version=result.version)
    return jsonify(body)
