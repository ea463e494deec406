"""Moving running instances to another version of their process: the dry run (can migrate / blocked
because …) for modellers, and the migration of one, a selection or all that can for administrators.

Every instance asked for is checked here before the engine sees it: it must be an unfinished
instance of the version the request names. Each instance then moves in its own transaction with its
own audit event (the engine's); a refused one is left exactly as it was.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from engine import EngineError, ModelVersion, ProcessInstance

from . import access
from .errors import Conflict, NotFound, ServiceError
from .i18n import _
from .modeling import UNFINISHED, latest


@dataclass
class DryRun:
    source: ModelVersion
    target: ModelVersion
    others: list          # the model's other versions, newest first: the targets to choose from
    checks: list          # one engine Check per unfinished instance of `source`


@dataclass
class Migration:
    source: ModelVersion
    target: ModelVersion
    results: list         # {"instance_id", "migrated", "status", "lock_version", "message"} per instance


def _versions(session, actor, name: str, version, to) -> tuple[ModelVersion, ModelVersion]:
    """The process version the instances are on and the one they should move to (default: the newest)."""
    source = access.model_version_or_404(session, actor, name, version)
    if source.kind != "bpmn":
        raise NotFound()
    if to is None or to == "":
        return source, latest(session, source.name)
    return source, access.model_version_or_404(session, actor, name, to)


def dry_run(rt, session, actor, name: str, version, to=None, *, strict: bool = False) -> DryRun:
    """Every unfinished instance of this version: can it move to `to`, and if not, why. With the same
    version as target there is nothing to check (strict: the engine refuses it)."""
    access.require_modeller(actor)
    source, target = _versions(session, actor, name, version, to)
    others = [mv for mv in session.scalars(select(ModelVersion).where(ModelVersion.name == source.name)
                                           .order_by(ModelVersion.version.desc())) if mv.id != source.id]
    checks = []
    if strict or target.id != source.id:
        checks = rt.engine.check_migration(session, source.id, target.id)
    return DryRun(source, target, others, checks)


def migrate(rt, session, actor, name: str, version, to, expected: dict, reason: str | None = None) -> Migration:
    """Move the chosen instances ({id: lock_version seen in the dry run}); one result per instance, those
    that are not unfinished instances of `version` first, refused without a write."""
    access.require_migrator(actor)
    source, target = _versions(session, actor, name, version, to)
    wanted = {access.key(i): lock for i, lock in expected.items()
              if access.key(i) is not None and isinstance(lock, int) and not isinstance(lock, bool)}
    ours = set(session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.id.in_(sorted(wanted)), ProcessInstance.model_version_id == source.id,
        ProcessInstance.status.in_(UNFINISHED)))) if wanted else set()
    results = [{"instance_id": i, "migrated": False, "status": None, "lock_version": None,
                "message": _("Instance %(id)s is not an unfinished instance of version %(version)s.", id=i,
                             version=source.version)}
               for i in expected if access.key(i) not in ours]
    chosen = {i: lock for i, lock in wanted.items() if i in ours}
    if chosen:
        results += rt.engine.migrate_instances(session, target.id, chosen, actor.username, reason or None)
    return Migration(source, target, results)


def migrate_one(rt, session, actor, name: str, version, instance_id, to, lock_version,
                reason: str | None = None) -> ProcessInstance:
    """Move one instance if it is still on `version` as the dry run saw it (its lock version)."""
    access.require_migrator(actor)
    source, target = _versions(session, actor, name, version, 0 if to in (None, "") else to)
    if not isinstance(lock_version, int) or isinstance(lock_version, bool):
        raise ServiceError(_("Run the dry run first: the instance's version is missing."))
    number = access.key(instance_id)
    found = session.get(ProcessInstance, number) if number is not None else None
    if found is None or found.model_version_id != source.id:
        raise Conflict(_("Instance %(id)s is not on version %(version)s (any more).", id=instance_id,
                         version=source.version))
    try:
        return rt.engine.migrate_instance(session, found.id, target.id, actor.username,
                                          expect_version=lock_version, reason=reason or None)
    except EngineError as err:          # changed since the dry run, blocked, or already there: nothing written
        refusal = Conflict(str(err)) if getattr(err, "status", 400) == 409 else ServiceError(str(err))
        refusal.status = getattr(err, "status", 400)
        raise refusal from None
