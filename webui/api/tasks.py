"""Tasks: the inbox, one task with its form, claim, release, assign, complete."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint, abort
from sqlalchemy import select

import engine
from engine import HumanTask

from .. import db, engine_of, work
from ..permissions import offered
from .schemas import AssignSchema, CompleteSchema, StartedSchema, TaskDetailSchema, TaskListArgs, TaskPageSchema, \
    TaskSchema

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="User tasks")


@blp.get("")
@blp.arguments(TaskListArgs, location="query")
@blp.response(200, TaskPageSchema)
def list_tasks(args):
    """Ready tasks in a scope (mine, team, branch, all), filtered, earliest due first."""
    query = work.InboxQuery(**args)
    if query.scope not in work.scopes_for(current_user):
        abort(403, message=f"the scope {query.scope!r} is not available to your roles")
    now = engine_of(current_app).clock.now()
    items, total = work.inbox(db.session(), current_user, query, now, current_app.config["GRIDSAFE"]["TIMEZONE"])
    return {"total": total, "page": query.page, "page_size": work.PAGE_SIZE, "items": items}


@blp.get("/<task_id>")
@blp.response(200, TaskDetailSchema)
def get_task(task_id):
    """One task with its form's JSON Schema and UI schema."""
    session = db.session()
    task = work.visible_or_403(session, work.task_or_404(session, task_id), current_user)
    schema, ui = work.form_of(task)
    return {**TaskSchema().dump(task), "form_schema": schema, "ui_schema": ui}


@blp.post("/<task_id>/claim")
@blp.response(200, TaskSchema)
def claim_task(task_id):
    """Take a task offered to you; 409 if someone else took it first."""
    session = db.session()
    return work.claim(session, work.task_or_404(session, task_id), current_user)


@blp.post("/<task_id>/release")
@blp.response(200, TaskSchema)
def release_task(task_id):
    """Give a task you hold back to the team."""
    session = db.session()
    task = work.task_or_404(session, task_id)
    if task.assignee != current_user.username:
        abort(403, message="you do not hold this task")
    return engine_of(current_app).release_task(session, task.id, current_user.username)


@blp.post("/<task_id>/assign")
@blp.arguments(AssignSchema)
@blp.response(200, TaskSchema)
def assign_task(args, task_id):
    """Hand a task to a user whose role and team fit (specialists and admins); null gives it back."""
    session = db.session()
    task = work.task_or_404(session, task_id)
    username = args["username"]
    if username is not None and username not in {u.username for u in work.eligible_users(session, task)}:
        abort(422, message=f"{username} may not do this task", errors={"username": ["role or team does not fit"]})
    return engine_of(current_app).assign_task(session, task.id, username, current_user.username, args["reason"])


@blp.post("/<task_id>/complete")
@blp.arguments(CompleteSchema)
@blp.response(200, StartedSchema)
@blp.alt_response(422, description="The data does not fit the task's form")
def complete_task(args, task_id):
    """Complete a task offered to you with data valid against its form; returns your next ready tasks."""
    session = db.session()
    task = work.offered_or_403(work.task_or_404(session, task_id), current_user)
    schema, _ui = work.form_of(task)
    errors = work.check(session, schema, args["data"])
    if errors:
        abort(422, message="the data does not fit the task's form", errors=errors)
    if args["expect_version"] is not None:
        instance = session.get(engine.ProcessInstance, task.instance_id)
        if instance.lock_version != args["expect_version"]:
            abort(409, message=f"the instance is at version {instance.lock_version}")
    instance = work.complete(session, task, current_user, args["data"])
    ready = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                    HumanTask.status == "ready")).all()
    return {"instance": instance, "ready_tasks": [t for t in ready if offered(t, current_user)]}
