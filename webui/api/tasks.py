"""Tasks: the inbox, one task with its form, claim, release, assign, complete."""
from __future__ import annotations

from flask_smorest import Blueprint

from services import task_forms, work

from .. import current, db
from ..rendering import current_locale
from .schemas import AssignSchema, CompleteSchema, StartedSchema, TaskDetailSchema, TaskListArgs, TaskPageSchema, \
    TaskSchema, problem_response

_FIELDS = tuple(TaskSchema().fields)      # a schema object per request costs more than the query

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="User tasks")


@blp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.get("")
@blp.arguments(TaskListArgs, location="query")
@blp.response(200, TaskPageSchema)
def list_tasks(args):
    """Ready tasks in a scope (mine, team, branch, all), filtered, earliest due first."""
    query = work.InboxQuery(**args)
    items, total = work.inbox(current.runtime(), db.session(), current.actor(), query)
    return {"total": total, "page": query.page, "page_size": work.PAGE_SIZE, "items": items}


@blp.get("/<task_id>")
@blp.response(200, TaskDetailSchema)
def get_task(task_id):
    """One task with its form's JSON Schema and UI schema."""
    rt = current.runtime()
    session = db.session()
    task = work.task_or_404(rt, session, current.actor(), task_id)
    schema, ui = task_forms.form_of(rt, task, session)
    return {**{name: getattr(task, name) for name in _FIELDS}, "form_schema": schema, "ui_schema": ui}


@blp.post("/<task_id>/claim")
@blp.response(200, TaskSchema)
def claim_task(task_id):
    """Take a task offered to you; 409 if someone else took it first."""
    return work.claim(current.runtime(), db.session(), current.actor(), task_id)


@blp.post("/<task_id>/release")
@blp.response(200, TaskSchema)
def release_task(task_id):
    """Give a task you hold back to the team."""
    return work.release(current.runtime(), db.session(), current.actor(), task_id)


@blp.post("/<task_id>/assign")
@blp.arguments(AssignSchema)
@blp.response(200, TaskSchema)
def assign_task(args, task_id):
    """Hand a task to a user in reach whose role and team fit (specialists and admins); null gives it back."""
    return work.reassign(current.runtime(), db.session(), current.actor(), task_id, args["username"], args["reason"])


@blp.post("/<task_id>/complete")
@blp.arguments(CompleteSchema)
@blp.response(200, StartedSchema)
@blp.alt_response(**problem_response(422, "The data does not fit the task's form"))
@blp.alt_response(**problem_response(503, "The document the task delivers is still being generated (about a "
                                          "second): send the same request again after Retry-After seconds"))
def complete_task(args, task_id):
    """Complete a task offered to you with data valid against its form; returns your next ready tasks."""
    rt, actor, session = current.runtime(), current.actor(), db.session()
    instance = work.complete(rt, session, actor, task_id, args["data"], locale=current_locale(),
                             expect_version=args["expect_version"])
    return {"instance": instance, "ready_tasks": work.ready_for(rt, session, actor, instance)}
