"""The modeler's writes: new models, uploads, the shared draft of each model, validating and deploying.

A model has at most one draft, shared by the modellers (process owners and admins): whoever saves next
replaces it, but only if they saw the latest save (its lock version). Deploying makes a new immutable
version and takes the draft with it. Each change is one transaction with one audit event; a refusal
(no right, a reserved name, a file that is not a diagram, a diagram that fails validation) writes
nothing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import engine
from records import model_drafts

from . import access
from .errors import Conflict, Invalid, ServiceError
from .i18n import _
from .modeling import KINDS, NAME, RESERVED, latest


def check_name(name: str) -> str:
    """The name as a model may be called, else Invalid with the reason."""
    if not NAME.match(name or ""):
        raise Invalid(_("A model name has letters, digits, _ or - and starts with a letter or _."))
    if name in RESERVED:
        raise Invalid(_("%(name)s is reserved; choose another model name.", name=name))
    return name


def source_kind(rt, filename: str, data: bytes) -> str:
    """'bpmn' or 'dmn' for a file that parses safely; Invalid with the reason otherwise."""
    try:
        root = engine.read_xml(data, filename, rt.engine.max_model_bytes)
        kind = engine.kind_of(root)
    except engine.ModelInvalid as err:
        raise Invalid("; ".join(p.message for p in err.problems)) from None
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix in KINDS and suffix != kind:
        raise Invalid(_("The file is named .%(suffix)s but holds a %(kind)s diagram.", suffix=suffix,
                        kind=kind.upper()))
    return kind


def _same_kind(session, name: str, kind: str):
    newest = latest(session, name)
    if newest is not None and newest.kind != kind:
        raise Invalid(_("%(name)s is a %(model)s model; this is a %(kind)s diagram.", name=name,
                        model=newest.kind.upper(), kind=kind.upper()))
    return newest


def new_model(rt, session, actor, name: str, kind: str) -> str:
    """Check that a blank model of `kind` may be opened as `name` (nothing is stored until saved)."""
    access.require_modeller(actor)
    check_name(name)
    if kind not in KINDS:
        raise ServiceError()                         # the form offers only these kinds
    if latest(session, name) is not None or model_drafts.get(session, name) is not None:
        raise Invalid(_("A model named %(name)s exists already.", name=name))
    return kind


def save_draft(rt, session, actor, name: str, source: str, expect_lock: int | None) -> model_drafts.ModelDraft:
    """Store the shared draft of `name` (one transaction, one audit event); Conflict when it is stale."""
    access.require_modeller(actor)
    check_name(name)
    kind = source_kind(rt, name, source.encode("utf-8"))
    newest = _same_kind(session, name, kind)
    now = rt.now()
    try:
        draft = model_drafts.save(session, name, kind, source, actor=actor.username, now=now,
                                  expect_lock=expect_lock if isinstance(expect_lock, int) else None,
                                  base_version=newest.version if newest else None)
        engine.audit.record(session, f"model:{name}", at=now, actor=actor.username, action="model.draft_saved",
                            after={"lock_version": draft.lock_version, "bytes": len(source.encode("utf-8")),
                                   "sha256": hashlib.sha256(source.encode("utf-8")).hexdigest()})
        session.commit()
    except model_drafts.StaleDraft as err:
        session.rollback()
        raise Conflict(str(err)) from None
    except BaseException:
        session.rollback()
        raise
    return draft


def discard_draft(rt, session, actor, name: str, reason: str | None) -> bool:
    """Throw the draft away (the deployed versions are untouched), with a reason for the audit trail;
    False when there was none."""
    access.require_modeller(actor)
    draft = model_drafts.get(session, str(name)[:200])
    if draft is None:
        return False
    reason = (reason or "").strip()[:1000]
    if not reason:
        message = _("Give a reason for discarding the draft: it is kept in the audit trail.")
        raise Invalid(message, errors={"reason": [message]})
    _discard(rt, session, actor, draft, reason=reason)
    session.commit()
    return True


def _discard(rt, session, actor, draft, reason: str | None) -> None:
    engine.audit.record(session, f"model:{draft.name}", at=rt.now(), actor=actor.username,
                        action="model.draft_discarded", before={"lock_version": draft.lock_version},
                        reason=reason)
    model_drafts.discard(session, draft.name)


MODELER = "modeler"          # ModelVersion.origin of what a process owner deploys in the browser


def validate(rt, session, actor, name: str, source: str) -> list[dict]:
    """Every problem that would stop this diagram from deploying (with the element it concerns)."""
    access.require_modeller(actor)
    data = source.encode("utf-8")
    try:
        check_name(name)
        kind = source_kind(rt, name, data)
    except Invalid as err:
        return [{"file": name, "line": None, "element_id": None, "message": err.message}]
    return [p.as_dict() for p in rt.engine.lint_source(session, f"{name}.{kind}", data)]


def deploy(rt, session, actor, name: str, source: str, comment: str | None = None):
    """Deploy a diagram as the next version of `name` if it passes validation; the draft goes with it.

    Returns the engine's DeployResult (deployed, unchanged, or invalid with its problems: nothing
    written); Invalid when the name or the file cannot be a model at all."""
    access.require_modeller(actor)
    check_name(name)
    data = source.encode("utf-8")
    kind = source_kind(rt, name, data)
    _same_kind(session, name, kind)
    model_drafts.discard(session, name)      # committed with the new version, rolled back otherwise
    result = rt.engine.deploy_source(session, f"{name}.{kind}", data, actor.username, comment or None,
                                     origin=MODELER)
    if result.status == "unchanged":        # the draft is what runs already
        draft = model_drafts.get(session, name)
        if draft is not None:
            _discard(rt, session, actor, draft, reason=f"unchanged: version {result.version}")
            session.commit()
    return result


@dataclass
class Upload:
    name: str
    result: object = None         # the DeployResult when deployed, else None (saved as the draft)


def upload(rt, session, actor, *, filename: str, data: bytes, name: str = "", action: str = "draft",
           comment: str | None = None) -> Upload:
    """An uploaded .bpmn/.dmn file: deployed at once if `action` is "deploy" (and it passes validation),
    else saved as the draft of `name` (default: the file name)."""
    access.require_modeller(actor)
    name = (name or "").strip() or (filename or "").rsplit(".", 1)[0]
    if not data:
        raise Invalid(_("Choose a .bpmn or .dmn file."))
    check_name(name)
    source_kind(rt, filename or name, data)
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(_("The file is not UTF-8 text.")) from None
    if action == "deploy":
        return Upload(name, deploy(rt, session, actor, name, source, comment))
    draft = model_drafts.get(session, name)
    save_draft(rt, session, actor, name, source, draft.lock_version if draft else None)
    return Upload(name)
