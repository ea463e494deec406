"""The forms of user tasks: loading a task's form, the named choice lists forms refer to, checking data
against a form, storing uploads, and linking the attachments a task's data names to the task.

An attachment named in submitted data must be one the actor may see (or one the task's own prefill
names): otherwise anybody who knew a photo's id could link it to a task of their own and then see it.
"""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

import forms
from engine import HumanTask
from records import AttachmentRefused, Branch, Team, attachments, dictionary

from . import access, form_versions
from .errors import NotFound
from .i18n import _


def form_of(rt, task: HumanTask, session=None) -> tuple[dict, dict]:
    """(schema, UI schema) of the task's form: the version its instance started with; a task without a
    form gets an empty one."""
    if not task.form:
        return {"type": "object", "properties": {}}, {}
    if session is None:
        with rt.read_sessions() as own:
            return form_versions.form_pair(rt, own, task.instance_id, task.form, task.ui_form)
    return form_versions.form_pair(rt, session, task.instance_id, task.form, task.ui_form)


class _Options(Mapping):
    """Named choice lists, each read from the database only when a form refers to it."""

    def __init__(self, loaders: dict):
        self._loaders, self._loaded = loaders, {}

    def __getitem__(self, name: str) -> list:
        if name not in self._loaded:
            self._loaded[name] = self._loaders[name]()
        return self._loaded[name]

    def __iter__(self):
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)


def form_options(session) -> Mapping:
    """The named choice lists forms may refer to with "x-options" (read when a form uses one)."""
    def hazard_items():
        return [(i.code, f"{i.code} {i.name_zh}") for i in dictionary.current_items(session) if i.active]

    def teams():
        rows = session.scalars(select(Team).where(Team.active.is_(True)).order_by(Team.code))
        return [(t.code, f"{t.name}（{t.code}）") for t in rows]

    return _Options({"hazard_items": hazard_items, "teams": teams})


def may_use(session, actor, digest: str, task: HumanTask | None = None) -> bool:
    """Whether the actor may name this attachment in data: it exists and they may see it, or the
    task's own prefill names it."""
    if task is not None and digest in attachments.digests_in(task.prefill or {}):
        return session.get(attachments.Attachment, digest) is not None
    try:
        access.attachment_or_404(session, actor, digest)
    except NotFound:
        return False
    return True


def check(rt, session, actor, schema: dict, data: dict, *, locale: str = "zh_CN",
          task: HumanTask | None = None) -> dict:
    """Field errors of data against a form (attachments must exist and be the actor's to use)."""
    usable: dict[str, bool] = {}             # one check per attachment, however often the data names it

    def exists(digest: str) -> bool:
        if digest not in usable:
            usable[digest] = may_use(session, actor, digest, task)
        return usable[digest]
    errors = forms.validate(schema, data, attachment_exists=exists, translate=_, today=rt.today(),
                            options=form_options(session), locale=locale)
    return {**severity_errors(task, data), **errors}


def severity_errors(task: HumanTask | None, data: dict) -> dict:
    """A failed item filed as a hazard keeps the severity the dictionary gives it at this customer (from the
    task's own prefill, not from what the device sent) or a higher one with a reason; never a lower one."""
    floors = {row.get("code"): row.get("dictionary_severity")
              for row in ((task.prefill or {}) if task is not None else {}).get("checklist") or []
              if isinstance(row, dict)}
    errors = {}
    for index, row in enumerate(data.get("checklist") or []):
        floor, chosen = floors.get(row.get("code")), row.get("severity")
        if row.get("result") != "fail" or row.get("disposition") != "hazard" or not floor or not chosen:
            continue
        if chosen not in dictionary.SEVERITIES or chosen == floor:
            continue
        item = f"{row.get('code')} {row.get('text') or ''}".strip()
        if dictionary.SEVERITIES.index(chosen) < dictionary.SEVERITIES.index(floor):
            errors[f"checklist.{index}.severity"] = _(
                "Item %(item)s: the severity cannot be lower than the dictionary's (%(floor)s).",
                item=item, floor=dictionary.SEVERITY_NAMES[floor])
        elif not (row.get("severity_reason") or "").strip():
            errors[f"checklist.{index}.severity_reason"] = _(
                "Item %(item)s: say why the severity is raised above the dictionary's (%(floor)s).",
                item=item, floor=dictionary.SEVERITY_NAMES[floor])
    return errors


def storer(rt, session, actor):
    """The store callback forms.parse uses: check an upload, keep it (not yet committed), return its id."""
    limit = rt.config["MAX_UPLOAD_BYTES"]
    now = rt.now()

    def store(kind: str, data: bytes, filename: str | None) -> str:
        try:
            row = attachments.store_image(session, rt.files, data, kind=kind, actor=actor.username, now=now,
                                          original_name=filename, max_bytes=limit)
        except AttachmentRefused as err:
            raise ValueError(_(err.message, **err.params)) from None
        session.flush()
        attachments.link(session, [row.id], kind="upload", object_id=actor.username)
        return row.id
    return store


def link_to_task(session, actor, task: HumanTask, data: dict) -> None:
    """The task's data (a draft or the completion) refers to these attachments: whoever may see the
    task may see them. Only attachments the actor may use are linked."""
    schema_ids = attachments.digests_in(data)
    usable = [d for d in sorted(schema_ids) if may_use(session, actor, d, task)]
    if not usable:
        return
    branch_id, team_id = _group_ids(session, task.candidate_team)
    attachments.link(session, usable, kind="task", object_id=task.id, branch_id=branch_id, team_id=team_id)


def _group_ids(session, code: str | None) -> tuple[int | None, int | None]:
    """(branch id, team id) of a task's candidate group code (a team's or a branch's)."""
    if not code:
        return None, None
    team = session.execute(select(Team.branch_id, Team.id).where(Team.code == code)).first()
    if team is not None:
        return team.branch_id, team.id
    return session.scalar(select(Branch.id).where(Branch.code == code)), None
