"""Deployed processes and the generic start, and messages from outside to a waiting instance.

A process is started generically (by the API) only when its diagram declares who may: the
process-level extension property `startableBy`, a comma-separated list of role codes. The shipped
processes declare none: hazards open through the hazard service, inspections through planning,
assessments by a leader or the scheduler, each computing the data a generic start would have to trust.

Delivering a message needs the same right as completing the task it replaces: the actor must be
offered one of the waiting instance's ready tasks (SYSTEM always may).
"""
from __future__ import annotations

from sqlalchemy import select

from engine import Definition, HumanTask, ModelVersion
from records import attachments

from . import access, task_forms
from .errors import Conflict, Invalid, NotFound
from .i18n import _

STARTABLE_BY = "startableBy"


def startable_by(rt, session, process_id: str, model_version_id: int | None = None) -> frozenset[str]:
    """The roles the diagram lets start this process generically (empty: only its own use case)."""
    value = rt.engine.process_properties(session, process_id, model_version_id).get(STARTABLE_BY, "")
    return frozenset(role.strip() for role in value.split(",") if role.strip())


def list_processes(rt, session, actor) -> list[dict]:
    """Every deployed version of every process, newest first, and whether the actor may start it."""
    rows = session.execute(select(Definition, ModelVersion).join(ModelVersion)
                           .where(Definition.kind == "process")
                           .order_by(Definition.definition_id, ModelVersion.version.desc())).all()
    seen, out = set(), []
    for definition, version in rows:
        roles = startable_by(rt, session, definition.definition_id, version.id)
        latest = definition.definition_id not in seen
        out.append({"process_id": definition.definition_id, "title": definition.title, "model": version.name,
                    "version": version.version, "model_version_id": version.id, "deployed_at": version.deployed_at,
                    "deployed_by": version.deployed_by, "content_hash": version.content_hash, "latest": latest,
                    "startable_by": sorted(roles), "startable": latest and access.may_start(actor, roles)})
        seen.add(definition.definition_id)
    return out


def start(rt, session, actor, process_id: str, *, business_key: str | None = None, data: dict | None = None,
          title: str | None = None, subject: str | None = None):
    """Start the newest version of a process the diagram lets the actor start; NotFound otherwise
    (absent and not startable are answered alike), before anything is written."""
    newest = rt.engine.newest_process(session, process_id)     # the version checked is the version started
    if not access.may_start(actor, startable_by(rt, session, process_id, newest.model_version_id)):
        raise NotFound()
    return rt.engine.start_instance(session, process_id, actor=actor.username, business_key=business_key,
                                    data=data, title=title, subject=subject, definition=newest)


def deliver_message(rt, session, actor, name: str, correlation_key: str | None, payload: dict | None):
    """Deliver a message to the one instance waiting for it under this key, if the actor is offered
    one of that instance's ready tasks; NotFound otherwise, before anything is written."""
    instance_ids = rt.engine.message_waiters(session, name, correlation_key, payload)
    if len(instance_ids) > 1 and not access.is_system(actor):
        raise Conflict(_("%(count)s instances wait for the message %(name)s with the key %(key)s; the key must "
                         "identify one.", count=len(instance_ids), name=name, key=correlation_key))
    if not access.is_system(actor):
        if not instance_ids:
            raise NotFound()
        ready = session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(instance_ids),
                                                        HumanTask.status == "ready"))
        if not any(access.offered(task, actor) for task in ready):
            raise NotFound()
        refused = [d for d in sorted(attachments.digests_in(payload or {}))
                   if not task_forms.may_use(session, actor, d)]
        if refused:
            raise Invalid(errors={"payload": [f"no such attachment: {d}" for d in refused]})
    return rt.engine.deliver_message(session, name, correlation_key, payload, actor.username)
