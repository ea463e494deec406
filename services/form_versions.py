"""User-task forms as versions in the database: the forms folder shipped as their first versions (only
what changed since it was last shipped, and never over a newer version from the browser), the forms the
engine binds to a new diagram version, and the form a task shows (the one its instance's version recorded).
"""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import bindparam, select

import forms
from engine import HumanTask, ModelVersion, ProcessInstance, audit
from records import drafts
from records import form_versions as fv


EMPTY_FORM = {"type": "object", "properties": {}}


class FormStore:
    """The engine's view of the versioned forms (engine.form_store): which versions are current, and
    whether a name can be used (a stored version, else a valid file of the forms folder)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def versions(self, session, names) -> dict[str, str]:
        return fv.current_hashes(session, names) if session is not None else {}

    def problem(self, session, name: str) -> str | None:
        if session is not None and fv.latest(session, name) is not None:
            return None                       # stored versions were checked when they were stored
        return forms.problem(name, self.folder)


@dataclass
class FormResult:
    """What starting did to one form file of the folder."""

    name: str
    status: str                  # "deployed", "kept", "invalid"
    version: int | None = None
    note: str | None = None

    def __str__(self) -> str:
        if self.status == "invalid":
            return f"form {self.name}: NOT stored: {self.note}"
        if self.status == "kept":
            return f"form {self.name}: kept version {self.version}, {self.note}"
        return f"form {self.name}: {self.status} (version {self.version})"


def ship_folder(rt, session, actor: str = "system") -> list[FormResult]:
    """Store each form file whose content differs from its last shipped version (commits once). A form whose
    newest version was deployed in the browser keeps it. Unchanged files write nothing."""
    folder, now, results = Path(rt.config["FORMS_DIR"]), rt.now(), []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        name, content = path.name, path.read_text(encoding="utf-8")
        latest = fv.latest(session, name)
        if latest is not None and latest.content_hash == fv.content_hash(content):
            continue
        why = forms.problem(name, folder)
        if why:
            results.append(FormResult(name, "invalid", note=why))
            continue
        if latest is not None and latest.origin != fv.FROM_FILES:
            shipped = fv.latest_shipped(session, name)
            same = shipped is not None and shipped.content_hash == fv.content_hash(content)
            results.append(FormResult(name, "kept", latest.version, note=(
                f"deployed by {latest.deployed_by} on {latest.deployed_at:%Y-%m-%d %H:%M} UTC in the browser "
                f"({'the file is unchanged' if same else 'the file differs'})")))
            continue
        row = store(session, name, content, origin=fv.FROM_FILES, actor=actor, now=now,
                    comment="shipped in the forms folder")
        results.append(FormResult(name, "deployed", row.version))
    session.commit()
    return results


def store(session, name: str, content: str, *, origin: str, actor: str, now, comment: str | None = None):
    """The next version of a form, with its audit event (not committed)."""
    row = fv.add(session, name, content, origin=origin, actor=actor, now=now, comment=comment)
    audit.record(session, f"form:{name}", at=now, actor=actor, action="form.deployed",
                 after={"version": row.version, "content_hash": row.content_hash, "origin": origin}, reason=comment)
    return row


# ---- the form a task shows ------------------------------------------------------------------------

SHOWN = "gridsafe.forms_shown"      # session.info: {instance id: {form name: content hash}} read with a task


_TASK_AND_FORMS = (select(HumanTask, ModelVersion.forms, drafts.has_any(HumanTask.id))   # built once: every task read
                   .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                   .join(ModelVersion, ModelVersion.id == ProcessInstance.model_version_id)
                   .where(HumanTask.id == bindparam("task_id")))


def task_and_forms(session, task_id: str):
    """A task row and the forms its instance's model version shows, in one statement, or None. The row
    stays in the session (a session.get of it asks no query while the caller holds it); the forms are
    kept in the session for shown_by_instance, and whether the task has drafts for its completion's
    drafts.discard."""
    found = session.execute(_TASK_AND_FORMS, {"task_id": str(task_id)[:36]}).first()
    if found is None:
        return None
    session.info.setdefault(SHOWN, {})[found[0].instance_id] = found[1] or {}
    drafts.note(session, found[0].id, bool(found[2]))
    return found[0]


def shown_by_instance(session, instance_id: int) -> dict[str, str]:
    """{form name: content hash} the instance's model version recorded when it was deployed."""
    known = session.info.get(SHOWN, {}).get(instance_id)
    if known is not None:
        return known
    found = session.scalar(select(ModelVersion.forms)
                           .join(ProcessInstance, ProcessInstance.model_version_id == ModelVersion.id)
                           .where(ProcessInstance.id == instance_id))
    return found or {}


def form_pair(rt, session, instance_id: int, form_name: str, ui_name: str | None) -> tuple[dict, dict]:
    """(JSON Schema, UI schema) of a task's form: the versions its instance's model version shows; a form
    that version did not record is the newest stored one, else the file of the forms folder."""
    shown = shown_by_instance(session, instance_id)
    schema = content_of(rt, session, form_name, shown)
    return schema, (content_of(rt, session, ui_name, shown) if ui_name else {})


def content_of(rt, session, name: str, shown: dict | None = None) -> dict:
    """The parsed content of a form: the version with the recorded hash, else the newest, else the file.
    A version is named by the hash of its content, so what a hash names is kept once read."""
    row = None
    if shown and name in shown:
        found = _BY_DIGEST.get((name, shown[name]))
        if found is not None:
            return found
        row = fv.by_hash(session, name, shown[name])
        if row is not None:
            if len(_BY_DIGEST) >= 512:
                _BY_DIGEST.pop(next(iter(_BY_DIGEST)))
            _BY_DIGEST[(name, shown[name])] = _parsed(row.id, row.content)
    if row is None:
        row = fv.latest(session, name)
    if row is None:
        return forms.load(name, Path(rt.config["FORMS_DIR"]))
    return _parsed(row.id, row.content)


def text_of(rt, session, name: str, digest: str | None = None) -> str | None:
    """The JSON text of a form (a given version by hash, else the newest, else the file), or None."""
    row = fv.by_hash(session, name, digest) if digest else fv.latest(session, name)
    if row is not None:
        return row.content
    path = Path(rt.config["FORMS_DIR"]) / name
    if forms.problem(name, Path(rt.config["FORMS_DIR"])) is None and path.is_file():
        return path.read_text(encoding="utf-8")
    return None


def for_export(rt, session, mv: ModelVersion) -> list[tuple[str, bytes]]:
    """(file name, content) of the forms a diagram version's user tasks name: the versions it shows."""
    if mv.kind != "bpmn":
        return []
    found = []
    for name in sorted(rt.engine.forms_used(mv.source)):
        if "/" in name or "\\" in name or name.startswith("."):
            continue
        text = text_of(rt, session, name, (mv.forms or {}).get(name)) or text_of(rt, session, name)
        if text is not None:
            found.append((name, text.encode("utf-8")))
    return found


_BY_DIGEST: dict[tuple[str, str], dict] = {}     # (form name, content hash) -> parsed content


@lru_cache(maxsize=256)
def _parsed(row_id: int, content: str) -> dict:
    return json.loads(content)


def shown_versions(session, mv: ModelVersion) -> list[tuple[str, int | None]]:
    """(form name, version) of each form a diagram version shows."""
    found = []
    for name, digest in sorted((mv.forms or {}).items()):
        row = fv.by_hash(session, name, digest)
        found.append((name, row.version if row else None))
    return found


# ---- the forms between two diagram versions --------------------------------------------------------

@dataclass
class FormChange:
    name: str
    status: str                 # "added", "removed", "changed"
    old_version: int | None
    new_version: int | None
    lines: list                 # unified diff of the JSON text


def changes(session, old: ModelVersion, new: ModelVersion) -> list[FormChange]:
    """The forms whose version differs between two diagram versions, with the lines that changed."""
    before, after = old.forms or {}, new.forms or {}
    found = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) == after.get(name):
            continue
        rows = [fv.by_hash(session, name, d) if d else None for d in (before.get(name), after.get(name))]
        texts = [(row.content if row else "").splitlines() for row in rows]
        status = "added" if rows[0] is None else "removed" if rows[1] is None else "changed"
        lines = list(difflib.unified_diff(texts[0], texts[1], f"{name} v{rows[0].version if rows[0] else '-'}",
                                          f"{name} v{rows[1].version if rows[1] else '-'}", lineterm="", n=2))
        found.append(FormChange(name, status, rows[0].version if rows[0] else None,
                                rows[1].version if rows[1] else None, lines))
    return found
