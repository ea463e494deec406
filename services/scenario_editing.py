"""The process owner's scenarios page: read, save and run the scenarios of a process in the browser.

Only modellers (`access.may_model`) reach it. Saving is one transaction with one audit event and replaces
the file beside the diagram from then on; running writes nothing (each scenario runs on its own
throw-away database, see `services.scenarios`). The diagram run is the shared draft when there is one,
else the newest deployed version.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

import engine
from engine import ModelVersion
from records import model_drafts, model_scenarios

from . import access, scenarios
from .errors import Conflict, Invalid, NotFound
from .i18n import _
from .modeling import latest
from .runtime import build_engine

SKELETON = {"scenarios": [{"name": "主流程", "start": {"data": {}}, "steps": [{"task": "task_id", "data": {}}],
                           "expect": {"status": "completed", "path": []}}]}


@dataclass
class Page:
    name: str
    text: str
    origin: str | None          # "modeler" (saved here), "file" (beside the diagram in bpmn/) or None (none yet)
    lock_version: int | None
    diagram: str                # what a run uses: "draft" or "version N"
    version_id: int | None      # the newest version's id when a run uses it (to show it), else None
    schema: str                 # the JSON Schema of a scenario file, for the page to show and check with


def _diagram(session, name: str) -> tuple[str, str, int | None]:
    """(source, label, version id) of the draft or the newest version of a process model; NotFound otherwise."""
    draft = model_drafts.get(session, str(name)[:200])
    if draft is not None and draft.kind == "bpmn":
        return draft.source, _("draft"), None
    newest = latest(session, name)
    if newest is None or newest.kind != "bpmn":
        raise NotFound()
    return newest.source, _("version %(version)s", version=newest.version), newest.id


def page(rt, session, actor, name: str) -> Page:
    """The stored scenarios of a process (or a skeleton to start from)."""
    access.require_modeller(actor)
    _source, label, version_id = _diagram(session, name)
    text, origin = scenarios.stored_text(session, Path(rt.config["BPMN_DIR"]), name)
    row = model_scenarios.get(session, name)
    session.rollback()
    return Page(name, text if text is not None else json.dumps(SKELETON, ensure_ascii=False, indent=2), origin,
                row.lock_version if row is not None else None, label, version_id,
                json.dumps(scenarios.SCHEMA, ensure_ascii=False, indent=2))


def save(rt, session, actor, name: str, text: str, expect_lock: int | None) -> model_scenarios.ModelScenarios:
    """Store the scenarios of a process (checked against the schema); Conflict when someone saved meanwhile."""
    access.require_modeller(actor)
    _diagram(session, name)
    _parsed(text)
    now = rt.now()
    try:
        row = model_scenarios.save(session, name, text, actor=actor.username, now=now, expect_lock=expect_lock)
        engine.audit.record(session, f"model:{name}", at=now, actor=actor.username, action="model.scenarios_saved",
                            after={"lock_version": row.lock_version, "count": len(json.loads(text)["scenarios"]),
                                   "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()})
        session.commit()
    except model_drafts.StaleDraft as err:
        session.rollback()
        raise Conflict(str(err)) from None
    except BaseException:
        session.rollback()
        raise
    return row


def run(rt, session, actor, name: str, text: str) -> scenarios.Report:
    """Run the given scenarios against the draft (else the newest version) with the deployed models."""
    access.require_modeller(actor)
    source, _label, _id = _diagram(session, name)
    models = [(f"{mv.name}.{mv.kind}", mv.source.encode("utf-8")) for mv in _newest(session) if mv.name != name]
    session.rollback()
    return scenarios.run_text(rt.config, name, source.encode("utf-8"), models, text, "page", make_engine=build_engine)


def problems(name: str, report: scenarios.Report) -> list[dict]:
    """The report as the modeler's problem list (file, line, element, message)."""
    return [p.as_dict() for p in scenarios.problems_of(name, report)]


def _parsed(text: str) -> dict:
    try:
        return scenarios.parse(text or "")
    except ValueError as err:
        raise Invalid(_("The scenarios cannot be saved: %(reason)s", reason=str(err))) from None


def _newest(session) -> list[ModelVersion]:
    newest = (select(ModelVersion.name, func.max(ModelVersion.version).label("version"))
              .group_by(ModelVersion.name).subquery())
    return list(session.scalars(select(ModelVersion).join(
        newest, (ModelVersion.name == newest.c.name) & (ModelVersion.version == newest.c.version))))
