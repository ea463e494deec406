"""The inbox and task pages: list, open, claim, release, reassign, save a draft, complete."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

import engine
import forms
from records import Attachment, drafts

from . import db, engine_of, work
from .rendering import markdown

bp = Blueprint("inbox", __name__)


def _config():
    return current_app.config["GRIDSAFE"]


@bp.get("/")
def index():
    """My inbox: 'mine' and 'my teams'' (plus 'branch' for leaders, 'all' for specialists and admins)."""
    session = db.session()
    query = work.InboxQuery.from_args(request.args)
    if query.scope not in work.scopes_for(current_user):
        query.scope = "team"
    now = engine_of(current_app).clock.now()
    tasks, total = work.inbox(session, current_user, query, now, _config()["TIMEZONE"])
    processes = [row for row in session.execute(
        engine.Definition.__table__.select().with_only_columns(engine.Definition.definition_id,
                                                                engine.Definition.title)
        .where(engine.Definition.kind == "process").distinct())]
    return render_template("inbox/index.html", tasks=tasks, total=total, query=query, now=now,
                           scopes=work.scopes_for(current_user), processes=processes, page_size=work.PAGE_SIZE)


def _task_page(task, *, data=None, errors=None, status=200):
    session = db.session()
    schema, ui = work.form_of(task)
    is_offered = work.offered(task, current_user)
    if data is None and is_offered:
        data = drafts.get(session, task.id, current_user.id) or task.prefill or {}
    fields = forms.build_fields(schema, ui, data or {}, errors or {}, work.current_locale(),
                                options=work.form_options(session))
    eligible = []
    if current_user.has_role("specialist", "admin") and task.status == "ready":
        eligible = work.eligible_users(session, task)
    return render_template("inbox/task.html", task=task, fields=fields, errors=errors or {}, offered=is_offered,
                           instructions=Markup(markdown(task.instructions or "")), eligible=eligible,
                           form_title=schema.get("title")), status


@bp.get("/tasks/<task_id>")
def task(task_id):
    """A task: its instructions and its form (only the person it is offered to can submit)."""
    found = work.visible_or_403(db.session(), work.task_or_404(db.session(), task_id), current_user)
    return _task_page(found)


@bp.post("/tasks/<task_id>")
def complete(task_id):
    """Submit the form: validated on the server; on errors the page comes back with what was entered."""
    session = db.session()
    found = work.offered_or_403(work.task_or_404(session, task_id), current_user)
    schema, ui = work.form_of(found)
    data, errors = forms.parse(schema, ui, request.form, request.files, work.storer(session, current_user),
                               translate=work.translate)
    errors = {**work.check(session, schema, data), **errors}
    if request.form.get("action") == "draft":
        work.save_draft(session, found, current_user, data)
        flash(_("Draft saved. You can come back to it later."), "info")
        return redirect(url_for("inbox.task", task_id=found.id))
    if errors:
        session.commit()   # keep the photos already uploaded; the task itself is untouched
        flash(_("Please correct the marked fields."), "error")
        return _task_page(found, data=data, errors=errors, status=422)
    try:
        work.complete(session, found, current_user, data)
    except engine.Conflict as err:
        flash(_("This task was changed by someone else: %(detail)s", detail=str(err)), "error")
        return redirect(url_for("inbox.index"))
    flash(_("'%(task)s' is done.", task=found.title), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<task_id>/draft")
def save_draft(task_id):
    """Keep what was entered without submitting."""
    session = db.session()
    found = work.offered_or_403(work.task_or_404(session, task_id), current_user)
    schema, ui = work.form_of(found)
    data, _errors = forms.parse(schema, ui, request.form, request.files, work.storer(session, current_user),
                                translate=work.translate)
    work.save_draft(session, found, current_user, data)
    flash(_("Draft saved. You can come back to it later."), "info")
    return redirect(url_for("inbox.task", task_id=found.id))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id):
    """Take a task offered to my team, so that nobody else works on it."""
    session = db.session()
    found = work.task_or_404(session, task_id)
    try:
        work.claim(session, found, current_user)
        flash(_("You took '%(task)s'.", task=found.title), "success")
    except engine.Conflict as err:
        flash(_("Someone else was faster: %(detail)s", detail=str(err)), "error")
    return redirect(url_for("inbox.task", task_id=found.id))


@bp.post("/tasks/<task_id>/release")
def release(task_id):
    """Give a task back to the team."""
    session = db.session()
    found = work.task_or_404(session, task_id)
    if found.assignee != current_user.username:
        abort(403)
    engine_of(current_app).release_task(session, found.id, current_user.username)
    flash(_("'%(task)s' is back in the team's inbox.", task=found.title), "info")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<task_id>/reassign")
def reassign(task_id):
    """Hand a task to someone who may do it (specialists and admins)."""
    session = db.session()
    found = work.task_or_404(session, task_id)
    username = (request.form.get("username") or "").strip() or None
    if username is not None and username not in {u.username for u in work.eligible_users(session, found)}:
        flash(_("%(user)s may not do this task (role or team does not match).", user=username), "error")
        return redirect(url_for("inbox.task", task_id=found.id))
    reason = (request.form.get("reason") or "").strip() or None
    engine_of(current_app).assign_task(session, found.id, username, current_user.username, reason)
    flash(_("Task handed to %(user)s.", user=username or _("the team")), "success")
    return redirect(url_for("inbox.task", task_id=found.id))


@bp.get("/attachments/<digest>")
def attachment(digest):
    """A stored photo or signature."""
    row = db.session().get(Attachment, digest[:64])
    if row is None or not work.file_store().exists(row.id):
        abort(404)
    response = send_file(work.file_store().path(row.id), mimetype=row.content_type, max_age=31536000)
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
