"""The process owner's work on diagrams, shared by the pages and the JSON API: the model library,
what the modeler may offer (handlers with their parameters, forms, roles), drafts, and deploying.

Pages and API call these; neither talks to the tables directly.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, select

import engine
from engine import Definition, ModelVersion, ProcessInstance
from records import ROLES, model_drafts

from . import engine_of

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,99}$")
RESERVED = frozenset({"forms", "new", "upload"})        # page paths under /models
KINDS = ("bpmn", "dmn")
UNFINISHED = ("running", "waiting", "suspended", "error")


class BadModel(Exception):
    """The request names or carries something that cannot be a diagram; nothing was stored."""


# ---- the library ------------------------------------------------------------------------------

@dataclass
class Model:
    """One diagram file with every deployed version, newest first, and its draft."""

    name: str
    kind: str
    versions: list = field(default_factory=list)        # ModelVersion rows
    definitions: list = field(default_factory=list)     # (kind, id, title) of the newest version
    counts: dict = field(default_factory=dict)          # model_version_id -> (all, unfinished)
    draft: object = None

    @property
    def latest(self) -> ModelVersion:
        return self.versions[0]


def library(session) -> list[Model]:
    """Every deployed process and decision file, with its versions, instance counts and draft."""
    models: dict[str, Model] = {}
    for mv in session.scalars(select(ModelVersion).order_by(ModelVersion.name, ModelVersion.version.desc())):
        models.setdefault(mv.name, Model(mv.name, mv.kind)).versions.append(mv)
    counts = instance_counts(session)
    for model in models.values():
        model.counts = {mv.id: counts.get(mv.id, (0, 0)) for mv in model.versions}
        model.definitions = [(d.kind, d.definition_id, d.title) for d in session.scalars(
            select(Definition).where(Definition.model_version_id == model.latest.id).order_by(Definition.id))]
    for draft in session.scalars(select(model_drafts.ModelDraft)):
        models.setdefault(draft.name, Model(draft.name, draft.kind)).draft = draft
    return sorted(models.values(), key=lambda m: (m.kind, m.name))


def instance_counts(session) -> dict[int, tuple[int, int]]:
    """model_version_id -> (instances, unfinished instances)."""
    unfinished = func.sum(case((ProcessInstance.status.in_(UNFINISHED), 1), else_=0))
    rows = session.execute(select(ProcessInstance.model_version_id, func.count(), unfinished)
                           .group_by(ProcessInstance.model_version_id))
    return {mv_id: (total, int(open_ or 0)) for mv_id, total, open_ in rows}


def version_or_404(session, name: str, version: int) -> ModelVersion:
    found = session.scalars(select(ModelVersion).where(ModelVersion.name == name,
                                                       ModelVersion.version == version)).first()
    if found is None:
        abort(404)
    return found


def latest_or_none(session, name: str) -> ModelVersion | None:
    return session.scalars(select(ModelVersion).where(ModelVersion.name == name)
                           .order_by(ModelVersion.version.desc()).limit(1)).first()


# ---- what the modeler offers ------------------------------------------------------------------

def handler_catalog(handlers: dict) -> list[dict]:
    """Every operator with the parameters its function takes (from its signature) and its docstring."""
    out = []
    for operator, fn in sorted(handlers.items()):
        params, any_params = [], False
        for i, (name, param) in enumerate(inspect.signature(fn).parameters.items()):
            if i == 0 and param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                continue                                       # the context
            if param.kind == param.VAR_KEYWORD:
                any_params = True
                continue
            if param.kind == param.VAR_POSITIONAL:
                continue
            required = param.default is param.empty
            params.append({"name": name, "required": required,
                           "default": None if required else _literal(param.default),
                           "annotation": None if param.annotation is param.empty else _annotation(param.annotation)})
        doc = (inspect.getdoc(fn) or "").split("\n\n")[0].replace("\n", " ")
        out.append({"id": operator, "doc": doc, "params": params, "any_params": any_params})
    return out


def _literal(value) -> str:
    """A default value as the Python expression a diagram would write."""
    return repr(value)


def _annotation(annotation) -> str:
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


def forms_folder() -> Path:
    return Path(current_app.config["GRIDSAFE"]["FORMS_DIR"])


def form_catalog(folder: Path | None = None) -> dict:
    """{"schemas": [...], "ui": [...]}: the JSON files of the forms folder."""
    folder = folder or forms_folder()
    names = sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []
    return {"schemas": [n for n in names if not n.endswith(".uischema.json")],
            "ui": [n for n in names if n.endswith(".uischema.json")]}


def role_catalog(label_of) -> list[dict]:
    return [{"id": role, "label": label_of(role)} for role in ROLES]


def deployed_ids(session, kind: str) -> list[str]:
    return sorted(set(session.scalars(select(Definition.definition_id).where(Definition.kind == kind))))


def modeler_catalog(session, label_of) -> dict:
    return {"handlers": handler_catalog(engine_of(current_app).handlers), "forms": form_catalog(),
            "roles": role_catalog(label_of), "decisions": deployed_ids(session, "decision"),
            "processes": deployed_ids(session, "process")}


# ---- sources, drafts, deploying --------------------------------------------------------------

def check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise BadModel(_("A model name has letters, digits, _ or - and starts with a letter or _."))
    if name in RESERVED:
        raise BadModel(_("%(name)s is reserved; choose another model name.", name=name))
    return name


def source_kind(filename: str, data: bytes) -> str:
    """'bpmn' or 'dmn' for an upload that parses safely; raises BadModel with the reason."""
    try:
        root = engine.read_xml(data, filename, engine_of(current_app).max_model_bytes)
        kind = engine.kind_of(root)
    except engine.ModelInvalid as err:
        raise BadModel("; ".join(p.message for p in err.problems)) from None
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix in KINDS and suffix != kind:
        raise BadModel(_("The file is named .%(suffix)s but holds a %(kind)s diagram.", suffix=suffix, kind=kind.upper()))
    return kind


def blank_source(name: str, kind: str) -> str:
    """A new diagram: one start event (BPMN) or one empty decision table (DMN)."""
    template = Path(__file__).parent / "templates" / "models" / f"blank.{kind}"
    return template.read_text(encoding="utf-8").replace("__NAME__", name)


def save_draft(session, name: str, source: str, actor: str, expect_lock: int | None) -> model_drafts.ModelDraft:
    """Store a draft (one transaction, one audit event); raises BadModel or StaleDraft."""
    kind = source_kind(f"{name}", source.encode("utf-8"))
    eng = engine_of(current_app)
    latest = latest_or_none(session, name)
    if latest is not None and latest.kind != kind:
        raise BadModel(_("%(name)s is a %(model)s model; this is a %(kind)s diagram.", name=name, model=latest.kind.upper(),
                          kind=kind.upper()))
    now = eng.clock.now()
    try:
        draft = model_drafts.save(session, name, kind, source, actor=actor, now=now, expect_lock=expect_lock,
                                  base_version=latest.version if latest else None)
        engine.audit.record(session, f"model:{name}", at=now, actor=actor, action="model.draft_saved",
                            after={"lock_version": draft.lock_version, "bytes": len(source.encode("utf-8")),
                                   "sha256": hashlib.sha256(source.encode("utf-8")).hexdigest()})
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return draft


def deploy(session, name: str, source: str, actor: str, comment: str | None):
    """Lint and deploy a diagram as the next version of `name`; the draft goes with a successful deploy."""
    data = source.encode("utf-8")
    kind = source_kind(name, data)
    latest = latest_or_none(session, name)
    if latest is not None and latest.kind != kind:
        raise BadModel(_("%(name)s is a %(model)s model; this is a %(kind)s diagram.", name=name, model=latest.kind.upper(),
                          kind=kind.upper()))
    model_drafts.discard(session, name)      # committed with the new version, rolled back otherwise
    result = engine_of(current_app).deploy_source(session, f"{name}.{kind}", data, actor, comment or None)
    if result.status == "unchanged":        # the draft is what runs already
        model_drafts.discard(session, name)
        session.commit()
    return result


def lint(session, name: str, source: str) -> list[dict]:
    """Every problem that would stop this diagram from deploying (with the element it concerns)."""
    data = source.encode("utf-8")
    try:
        kind = source_kind(name, data)
    except BadModel as err:
        return [{"file": name, "line": None, "element_id": None, "message": str(err)}]
    return [p.as_dict() for p in engine_of(current_app).lint_source(session, f"{name}.{kind}", data)]


def sample_value(schema: dict, key: str = ""):
    """A plausible value for a JSON Schema (examples, default, first choice, or by type) for previews."""
    for name in ("examples", "default", "const"):
        if name in schema:
            return schema[name][0] if name == "examples" and isinstance(schema[name], list) else schema[name]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "object":
        return {k: sample_value(s, k) for k, s in schema.get("properties", {}).items()}
    if kind == "array":
        items = schema.get("items", {})
        return [] if items.get("format") == "attachment" or "enum" in items else [sample_value(items, key)]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if schema.get("format") == "date":
        return "2026-03-02"
    if schema.get("format") == "date-time":
        return "2026-03-02T09:00"
    if schema.get("format") in ("attachment", "signature"):
        return None
    return schema.get("title") or key or "—"


def pretty(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
