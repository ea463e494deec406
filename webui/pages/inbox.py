"""The inbox and task pages: list, open, claim, release, reassign, save a draft, complete; and the
photos and signatures those pages show."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from markupsafe import Markup

import forms
from services import Conflict, Invalid, NotYet, ServiceError, submissions, task_forms, work
from services.errors import EngineConflict
from services import attachments as attachment_service

from .. import current, db
from ..rendering import current_locale, markdown, page_number

bp = Blueprint("inbox", __name__)


@bp.after_request
def _private(response):
    """Tasks carry customers' names, signatures and photos: never kept by a shared cache."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _query(args) -> work.InboxQuery:
    scope, due = args.get("scope", "team"), args.get("due") or None
    return work.InboxQuery(scope=scope if scope in work.SCOPES else "team", process=args.get("process") or None,
                           customer=(args.get("customer") or "").strip() or None,
                           due=due if due in work.DUE_FILTERS else None, page=page_number(args))


@bp.get("/")
def index():
    """My inbox: 'mine' and 'my teams'' (plus 'branch' for leaders, 'all' for specialists and admins)."""
    rt, actor, session = current.runtime(), current.actor(), db.session()
    query = _query(request.args)
    scopes = work.scopes_for(actor)
    if query.scope not in scopes:
        query.scope = "team"
    tasks, total = work.inbox(rt, session, actor, query)
    return render_template("inbox/index.html", tasks=tasks, total=total, query=query, now=rt.now(), scopes=scopes,
                           names=work.card_names(session, tasks),
                           processes=work.process_choices(rt, session, actor), page_size=work.PAGE_SIZE)


def _task_page(view: work.TaskView, *, data=None, errors=None, status=200):
    fields = forms.build_fields(view.schema, view.ui, view.data if data is None else data, errors or {},
                                current_locale(), options=task_forms.form_options(db.session()))
    return render_template("inbox/task.html", task=view.task, fields=fields, errors=errors or {},
                           offered=view.offered, instructions=Markup(markdown(view.task.instructions or "")),
                           eligible=view.eligible, form_title=view.schema.get("title"),
                           last_saved=view.last_saved, my_draft_at=view.my_draft_at, holder=view.holder,
                           documents=view.documents,
                           taskform_messages=_taskform_messages()), status


def _taskform_messages() -> dict:
    """What the task form's script says (in the request's language)."""
    return {"failedPrefix": _("Not met: "), "unanswered": _("choose a result"),
            "failNeedsNote": _("A failed item needs a note or a photo."), "required": _("This field is required."),
            "failNeedsDisposition": _("say whether it becomes a hazard file or why not"),
            "failNeedsPhoto": _("a failed item needs a photo"), "failNeedsItem": _("choose its dictionary item"),
            "failNeedsReason": _("say why it is not a hazard"),
            "failNeedsSeverityReason": _("say why the severity is raised above the dictionary's"),
            "first": _("Please complete first: "), "more": _(" (and %(n)s more)", n="%s"),
            "item": _("item %(item)s", item="%s"), "finding": _("finding"),
            "localSavedAt": _("Saved on this device at %(time)s", time="%s"),
            "restored": _("Restored from this device (saved %(time)s)", time="%s"),
            "serverSavedAt": _("draft on the server saved at %(time)s", time="%s"),
            "serverFailed": _("not yet on the server (will retry)"), "offline": _("offline: kept on this device"),
            "photoStates": {"pending": _("Waiting to upload"), "uploaded": _("Uploaded"), "failed": _("Upload failed")},
            "retry": _("Try again"),
            "fix": _("%(time)s, within %(metres)s m", time="%t", metres="%a"),
            "queued": _("You are offline: the submission waits on this device and is sent when the network is "
                        "back.")}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/tasks/<task_id>")
def task(task_id):
    """A task: its instructions and its form (only the person it is offered to can submit)."""
    return _task_page(work.open_task(current.runtime(), db.session(), current.actor(), task_id))


def _submitted(rt, session, actor, found):
    schema, ui = task_forms.form_of(rt, found, session)
    return forms.parse(schema, ui, request.form, request.files, task_forms.storer(rt, session, actor), translate=_)


@bp.post("/tasks/<task_id>")
def complete(task_id):
    """Submit the form: validated on the server; on errors the page comes back with what was entered."""
    rt, actor, session = current.runtime(), current.actor(), db.session()
    found = work.offered_task(rt, session, actor, task_id)       # refused before any upload is kept
    data, upload_errors = _submitted(rt, session, actor, found)
    if request.form.get("action") == "draft":
        return _draft_saved(rt, session, actor, found, data)
    try:
        instance = work.complete(rt, session, actor, found.id, data, locale=current_locale(),
                                 field_errors=upload_errors)
    except Invalid as err:
        flash(_("Please correct the marked fields."), "error")
        return _task_page(work.open_task(rt, session, actor, found.id), data=data, errors=err.errors, status=422)
    except NotYet as err:               # the document it delivers is still being generated: the form again
        flash(err.message, "error")
        response = make_response(_task_page(work.open_task(rt, session, actor, found.id), data=data, status=503))
        response.headers["Retry-After"] = str(err.retry_after)
        return response
    except (EngineConflict, Conflict) as err:
        flash(_("This task was changed by someone else: %(detail)s", detail=str(err)), "error")
        return redirect(url_for("inbox.index"))
    failed = work.after_completion(session, instance)
    flash(failed or _("'%(task)s' is done.", task=found.title), "error" if failed else "success")
    flash(found.id, "done")                 # the page's script drops what this browser kept of the task
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<task_id>/submit")
def submit(task_id):
    """The form sent by the page's queue with its idempotency key (JSON answer): the same key twice
    completes the task once; a task changed meanwhile is refused in words."""
    rt, actor, session = current.runtime(), current.actor(), db.session()
    key = request.form.get("idempotency_key")
    try:
        if submissions.seen(session, actor, task_id, key):
            return jsonify(state="already", message=_("Already received; nothing more to do."))
        submissions.why_not(session, actor, task_id)         # refused before any upload is kept
        found = work.offered_task(rt, session, actor, task_id)
        data, upload_errors = _submitted(rt, session, actor, found)
        state, failed = submissions.submit(rt, session, actor, found.id, data, key, locale=current_locale(),
                                           field_errors=upload_errors)
    except NotYet as err:               # 503: the page's queue keeps it and sends it again
        return jsonify(state="later", message=err.message), err.status, {"Retry-After": str(err.retry_after)}
    except ServiceError as err:
        return jsonify(state="refused", message=err.message or _("Refused."), errors=err.errors or {}), err.status
    except EngineConflict as err:
        return jsonify(state="refused", message=_("This task was changed by someone else: %(detail)s",
                                                  detail=str(err))), 409
    return jsonify(state=state, message=failed or _("'%(task)s' is done.", task=found.title), step_failed=bool(failed))


@bp.post("/tasks/<task_id>/photos")
def upload_photo(task_id):
    """One photo of the task's form, sent ahead of the form by the page's photo queue (JSON answer): its
    attachment id, or why it was refused (e.g. not an image). A task the inspector may see is enough: when
    it was handed to someone else meanwhile, the submission (not its photo) says so in words."""
    rt, actor, session = current.runtime(), current.actor(), db.session()
    try:
        work.task_or_404(rt, session, actor, task_id)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise Invalid(_("Send the photo as the form field 'file'."))
        row = attachment_service.upload(rt, session, actor, upload.read(), kind="photo", filename=upload.filename)
    except ServiceError as err:
        return jsonify(message=err.message or _("Refused.")), err.status
    return jsonify(id=row.id), 201


def _draft_saved(rt, session, actor, found, data):
    work.save_draft(rt, session, actor, found.id, data)
    if _wants_json():
        return jsonify(saved_at=format_datetime(rt.now(), "HH:mm:ss"), by=actor.display_name)
    flash(_("Draft saved. You can come back to it later."), "info")
    return redirect(url_for("inbox.task", task_id=found.id))


@bp.post("/tasks/<task_id>/draft")
def save_draft(task_id):
    """Keep what was entered without submitting."""
    rt, actor, session = current.runtime(), current.actor(), db.session()
    found = work.offered_task(rt, session, actor, task_id)
    data, _errors = _submitted(rt, session, actor, found)
    return _draft_saved(rt, session, actor, found, data)


@bp.post("/tasks/<task_id>/claim")
def claim(task_id):
    """Take a task offered to my team, so that nobody else works on it."""
    rt, actor, session = current.runtime(), current.actor(), db.session()
    found = work.task_or_404(rt, session, actor, task_id)
    title = found.title
    try:
        work.claim(rt, session, actor, task_id)
    except (EngineConflict, Conflict) as err:
        if _wants_json():
            return jsonify(message=_("Someone else was faster: %(detail)s", detail=str(err))), 409
        flash(_("Someone else was faster: %(detail)s", detail=str(err)), "error")
    else:
        if _wants_json():
            return jsonify(holder=actor.display_name or actor.username, message=_("You took '%(task)s'.", task=title))
        flash(_("You took '%(task)s'.", task=title), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.post("/tasks/<task_id>/release")
def release(task_id):
    """Give a task back to the team."""
    found = work.release(current.runtime(), db.session(), current.actor(), task_id)
    flash(_("'%(task)s' is back in the team's inbox.", task=found.title), "info")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<task_id>/reassign")
def reassign(task_id):
    """Hand a task to someone who may do it (specialists and admins)."""
    username = (request.form.get("username") or "").strip() or None
    reason = (request.form.get("reason") or "").strip() or None
    try:
        work.reassign(current.runtime(), db.session(), current.actor(), task_id, username, reason)
    except Invalid as err:
        flash(err.message, "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    flash(_("Task handed to %(user)s.", user=username or _("the team")), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.get("/attachments/<digest>")
def attachment(digest):
    """A stored photo or signature, for someone who may see an object that refers to it."""
    row, path = attachment_service.fetch(current.runtime(), db.session(), current.actor(), digest)
    response = send_file(path, mimetype=row.content_type, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
