"""Editing diagrams in the browser: the bpmn-js / dmn-js modeler page, drafts, validation, deploying,
new models (blank or uploaded). The modeler talks to these endpoints with JSON (session + CSRF).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from records import model_drafts

from . import db, modeling, work

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
        "unchanged": _("Unchanged: version %(version)s is the same."),
        "notDeployed": _("Not deployed: %(count)s problems."), "error": _("Something went wrong"),
        "importFailed": _("The diagram could not be opened:"), "line": _("line %(line)s", line="{line}"),
    }


def _role_label(role: str) -> str:
    from services.people import ROLE_LABELS
    return str(ROLE_LABELS.get(role, role))


@bp.get("/new")
def new():
    """Start a new process or decision table: blank, or from an uploaded file."""
    return render_template("models/new.html")


@bp.post("/new")
def create():
    """A blank diagram: opens the editor (nothing is stored until saved or deployed)."""
    name, kind = (request.form.get("name") or "").strip(), request.form.get("kind")
    try:
        modeling.check_name(name)
    except modeling.BadModel as err:
        flash(str(err), "error")
        return render_template("models/new.html"), 422
    if kind not in modeling.KINDS:
        abort(400)
    if modeling.latest_or_none(db.session(), name) or model_drafts.get(db.session(), name):
        flash(_("A model named %(name)s exists already.", name=name), "error")
        return render_template("models/new.html"), 422
    return redirect(url_for("modeler.editor", name=name, kind=kind))


@bp.post("/upload")
def upload():
    """An uploaded .bpmn/.dmn file: saved as draft (then edited) or deployed at once if it passes lint."""
    session = db.session()
    file = request.files.get("file")
    data = file.read() if file else b""
    filename = file.filename if file else ""
    name = (request.form.get("name") or "").strip() or filename.rsplit(".", 1)[0]
    try:
        if not data:
            raise modeling.BadModel(_("Choose a .bpmn or .dmn file."))
        modeling.check_name(name)
        modeling.source_kind(filename, data)
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(_("The file is not UTF-8 text."))
    except modeling.BadModel as err:
        return _refuse(str(err))
    if request.form.get("action") == "deploy":
        result = modeling.deploy(session, name, source, current_user.username, request.form.get("comment"))
        if result.status == "invalid":
            return render_template("models/new.html", problems=result.problems, name=name), 422
        if result.status == "unchanged":
            flash(_("Unchanged: version %(version)s is the same.", version=result.version), "info")
        else:
            flash(_("Deployed as version %(version)s.", version=result.version), "success")
        return redirect(url_for("models.version", name=name, version=result.version))
    draft = model_drafts.get(session, name)
    try:
        modeling.save_draft(session, name, source, current_user.username, draft.lock_version if draft else None)
    except modeling.BadModel as err:
        return _refuse(str(err))
    flash(_("Saved as the draft of %(name)s.", name=name), "success")
    return redirect(url_for("modeler.editor", name=name))


def _refuse(message: str):
    flash(message, "error")
    return render_template("models/new.html"), 422


@bp.get("/<name>/edit")
def editor(name):
    """The modeler with the draft, else the newest version, else a blank diagram of ?kind=."""
    session = db.session()
    draft = model_drafts.get(session, name)
    latest = modeling.latest_or_none(session, name)
    if draft is not None:
        kind, source = draft.kind, draft.source
    elif latest is not None:
        kind, source = latest.kind, latest.source
    elif request.args.get("kind") in modeling.KINDS and modeling.NAME.match(name):
        kind = request.args["kind"]
        source = modeling.blank_source(name, kind)
    else:
        abort(404)
    config = {
        "name": name, "kind": kind, "source": source, "lock_version": draft.lock_version if draft else None,
        "urls": {"draft": url_for("modeler.save_draft", name=name), "validate": url_for("modeler.validate", name=name),
                 "deploy": url_for("modeler.deploy", name=name)},
        "previewUrl": url_for("models.form_preview", filename="__form__"),
        "catalog": modeling.modeler_catalog(session, _role_label), "labels": _labels(), "messages": _messages(),
        "locale": work.current_locale(),
    }
    return render_template("models/editor.html", name=name, kind=kind, draft=draft, latest=latest, config=config)


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
        modeling.check_name(name)
        draft = modeling.save_draft(db.session(), name, payload["source"], current_user.username,
                                    lock if isinstance(lock, int) else None)
    except model_drafts.StaleDraft as err:
        return jsonify({"detail": str(err)}), 409
    except modeling.BadModel as err:
        return jsonify({"detail": str(err)}), 422
    return jsonify({"lock_version": draft.lock_version, "updated_at": draft.updated_at.isoformat()})


@bp.post("/<name>/draft/discard")
def discard_draft(name):
    """Throw the draft away (the deployed versions are untouched)."""
    session = db.session()
    if model_drafts.get(session, name) is not None:
        model_drafts.discard(session, name)
        session.commit()
        flash(_("The draft of %(name)s was discarded.", name=name), "success")
    return redirect(url_for("models.library"))


@bp.post("/<name>/validate")
def validate(name):
    """Lint the editor's diagram: {"problems": [{file, line, element_id, message}]} (nothing stored)."""
    return jsonify({"problems": modeling.lint(db.session(), name, _payload()["source"])})


@bp.post("/<name>/deploy")
def deploy(name):
    """Deploy the editor's diagram as a new version if it passes validation (JSON)."""
    payload = _payload()
    session = db.session()
    try:
        modeling.check_name(name)
        result = modeling.deploy(session, name, payload["source"], current_user.username, payload.get("comment"))
    except modeling.BadModel as err:
        return jsonify({"status": "invalid", "problems": [{"file": name, "line": None, "element_id": None,
                                                           "message": str(err)}]}), 422
    body = {"status": result.status, "version": result.version, "problems": [p.as_dict() for p in result.problems]}
    if result.status == "invalid":
        return jsonify(body), 422
    body["url"] = url_for("models.version", name=name, version=result.version)
    return jsonify(body)
