"""The process owner's library: every model with its versions and draft, one version, the diff between
two, what the modeler may offer (handlers with their parameters, forms, roles, deployed ids), what the
editor opens, and form previews with sample data.

Reads only; drafts, validating and deploying are in `services.drafts`, moving running instances in
`services.instance_migration`. Only modellers (`access.may_model`) reach any of it.
"""
from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import case, func, select

import forms
from engine import Definition, ModelVersion, ProcessInstance
from records import ROLES, model_drafts
from records import form_versions as form_versions_db

from . import access, form_versions
from .errors import NotFound
from .i18n import _, _l

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,99}$")
RESERVED = frozenset({"forms", "new", "upload"})        # page paths under /models
KINDS = ("bpmn", "dmn")
UNFINISHED = ("running", "waiting", "suspended", "error")


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


def library(rt, session, actor) -> list[Model]:
    """Every deployed process and decision file, with its versions, instance counts and draft."""
    access.require_modeller(actor)
    return _models(session)


def model_or_404(rt, session, actor, name: str) -> Model:
    """One model (deployed or only drafted) with its versions, counts and draft."""
    access.require_modeller(actor)
    found = _models(session, str(name)[:200])
    if not found:
        raise NotFound()
    return found[0]


def _models(session, name: str | None = None) -> list[Model]:
    models: dict[str, Model] = {}
    query = select(ModelVersion).order_by(ModelVersion.name, ModelVersion.version.desc())
    drafts = select(model_drafts.ModelDraft)
    if name is not None:
        query, drafts = query.where(ModelVersion.name == name), drafts.where(model_drafts.ModelDraft.name == name)
    for mv in session.scalars(query):
        models.setdefault(mv.name, Model(mv.name, mv.kind)).versions.append(mv)
    counts = _instance_counts(session, [mv.id for m in models.values() for mv in m.versions])
    for model in models.values():
        model.counts = {mv.id: counts.get(mv.id, (0, 0)) for mv in model.versions}
        model.definitions = [(d.kind, d.definition_id, d.title) for d in session.scalars(
            select(Definition).where(Definition.model_version_id == model.latest.id).order_by(Definition.id))]
    for draft in session.scalars(drafts):
        models.setdefault(draft.name, Model(draft.name, draft.kind)).draft = draft
    return sorted(models.values(), key=lambda m: (m.kind, m.name))


def _instance_counts(session, version_ids: list[int]) -> dict[int, tuple[int, int]]:
    """model_version_id -> (instances, unfinished instances)."""
    if not version_ids:
        return {}
    unfinished = func.sum(case((ProcessInstance.status.in_(UNFINISHED), 1), else_=0))
    rows = session.execute(select(ProcessInstance.model_version_id, func.count(), unfinished)
                           .where(ProcessInstance.model_version_id.in_(version_ids))
                           .group_by(ProcessInstance.model_version_id))
    return {mv_id: (total, int(open_ or 0)) for mv_id, total, open_ in rows}


def version_or_404(rt, session, actor, name: str, version) -> ModelVersion:
    """One deployed version; unknown, huge or non-numeric versions are NotFound."""
    return access.model_version_or_404(session, actor, name, version)


@dataclass
class VersionView:
    version: ModelVersion
    model: Model
    counts: tuple          # (instances, unfinished instances)
    forms: list = field(default_factory=list)      # (form name, form version) this version shows


def version_view(rt, session, actor, name: str, version) -> VersionView:
    """One version with its model's other versions and its instance counts."""
    mv = access.model_version_or_404(session, actor, name, version)
    model = model_or_404(rt, session, actor, mv.name)
    return VersionView(mv, model, model.counts.get(mv.id, (0, 0)), form_versions.shown_versions(session, mv))


def latest(session, name: str) -> ModelVersion | None:
    """The newest version of a model (for the other modeling services; decides nothing)."""
    return session.scalars(select(ModelVersion).where(ModelVersion.name == str(name)[:200])
                           .order_by(ModelVersion.version.desc()).limit(1)).first()


# ---- the diff between two versions ------------------------------------------------------------

@dataclass
class Diff:
    model: Model
    old: ModelVersion
    new: ModelVersion
    changes: dict          # {"added": [...], "removed": [...], "changed": [...]} from the engine
    form_changes: list = field(default_factory=list)     # form_versions.FormChange of the forms they show

    def markers(self, side: str) -> dict:
        """element id -> added/removed/changed, for the old or the new diagram."""
        gone = "removed" if side == "old" else "added"
        out = {e["element_id"]: gone for e in self.changes[gone]}
        out.update({e["element_id"]: "changed" for e in self.changes["changed"]})
        return out


def diff(rt, session, actor, name: str, old=None, new=None) -> Diff:
    """Elements added, removed and changed from `old` to `new` (default: the newest and the one before)."""
    model = model_or_404(rt, session, actor, name)
    if not model.versions:
        raise NotFound()
    new_mv = access.model_version_or_404(session, actor, name, model.latest.version if new is None else new)
    old_mv = access.model_version_or_404(session, actor, name, max(1, new_mv.version - 1) if old is None else old)
    return Diff(model, old_mv, new_mv, rt.engine.diff_versions(session, old_mv.id, new_mv.id),
                form_versions.changes(session, old_mv, new_mv))



# ---- what the modeler offers ------------------------------------------------------------------

# What the modeler's properties panel says of each handler: the handler's docstring is for developers;
# process owners read these (translated). A handler not named here shows its docstring.
HANDLER_DESCRIPTIONS = {
    "hazards.register": _l("Open the hazard file: number, dictionary item, severity and deadline."),
    "hazards.record_delivery": _l("The notice was delivered: signed, or the refusal recorded; rectification starts."),
    "hazards.notice_overdue": _l("The notice was not delivered in time: the hazard is overdue and the supervisor is told."),
    "hazards.mark_overdue": _l("The deadline passed without rectification: the hazard is overdue."),
    "hazards.issue_order": _l("The supervision head issues the supervision order, signed by name."),
    "hazards.supervise": _l("A supervision order was delivered: a new short deadline; supervisors are told."),
    "hazards.escalate": _l("Overdue again: the leader is told."),
    "hazards.record_assistance": _l("A visit to help the customer rectify."),
    "hazards.record_refusal": _l("The customer refuses to rectify, recorded with evidence."),
    "hazards.decide_extension": _l("An extension request decided: approval moves the deadline."),
    "hazards.rectification_reported": _l("The customer reports the hazard rectified: on to acceptance."),
    "hazards.record_acceptance": _l("Acceptance on site: passed, or back to rectification with a new deadline."),
    "hazards.close": _l("Close-out approved by the team head, or sent back to rectification."),
    "risk.grade": _l("Grade a customer from its open hazards and warn on a change."),
    "documents.hazard_notice": _l("The hazard notice with the deadline, the measures and the signature."),
    "documents.supervision_order": _l("The supervision order: overdue since when, the new deadline, the consequences."),
    "documents.acceptance_record": _l("The acceptance and close-out record with photos before and after."),
    "documents.government_report": _l("The report to the government about a hazard, logged; leaders told."),
    "inspections.prepare": _l("Name the worksheet and hand the checklist to the on-site form."),
    "inspections.assign": _l("The specialist assigns the inspection to a team."),
    "inspections.approve": _l("The worksheet is approved before the visit, or returned with a reason."),
    "inspections.record_result": _l("Keep what was found on site: answers, findings, times, signatures."),
    "inspections.open_hazards": _l("One hazard file per finding, each with its own process."),
    "inspections.complete": _l("Record the inspection on the customer and the next due date."),
    "inspections.warn_overdue": _l("The due date passed before the work was done: specialists and supervisors are told."),
    "worksheet.inspection_worksheet": _l("The worksheet with the results, findings, times and signatures."),
    "assessment.compute": _l("Compute every active team's scorecard for the period."),
    "assessment.publish": _l("Publish the scores: rank the teams, archive the assessment, tell the team heads."),
}


def handler_catalog(rt, session, actor) -> list[dict]:
    """Every operator with the parameters its function takes (from its signature) and its docstring."""
    access.require_modeller(actor)
    return [_handler(operator, fn) for operator, fn in sorted(rt.engine.handlers.items())]


def _handler(operator: str, fn) -> dict:
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
                       "default": None if required else repr(param.default),     # as a diagram would write it
                       "annotation": None if param.annotation is param.empty else _annotation(param.annotation)})
    described = HANDLER_DESCRIPTIONS.get(operator)
    doc = str(described) if described is not None else (inspect.getdoc(fn) or "").split("\n\n")[0].replace("\n", " ")
    return {"id": operator, "doc": doc, "params": params, "any_params": any_params}


def _annotation(annotation) -> str:
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


def form_catalog(rt, session, actor) -> dict:
    """{"schemas": [...], "ui": [...]}: the forms stored in the database and the JSON files of the forms folder."""
    access.require_modeller(actor)
    found = _form_files(_forms_folder(rt))
    for row in form_versions_db.newest_all(session):
        found["ui" if row.name.endswith(".uischema.json") else "schemas"].append(row.name)
    return {key: sorted(set(names)) for key, names in found.items()}


def _forms_folder(rt) -> Path:
    return Path(rt.config["FORMS_DIR"])


def _form_files(folder: Path) -> dict:
    names = sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []
    return {"schemas": [n for n in names if not n.endswith(".uischema.json")],
            "ui": [n for n in names if n.endswith(".uischema.json")]}


def modeler_catalog(rt, session, actor, label_of) -> dict:
    """What the properties panel offers: handlers, forms, roles (label_of gives their names), deployed ids."""
    return {"handlers": handler_catalog(rt, session, actor), "forms": form_catalog(rt, session, actor),
            "roles": [{"id": role, "label": label_of(role)} for role in ROLES],
            "decisions": _deployed_ids(session, "decision"), "processes": _deployed_ids(session, "process")}


def _deployed_ids(session, kind: str) -> list[str]:
    return sorted(set(session.scalars(select(Definition.definition_id).where(Definition.kind == kind))))


# ---- what the editor opens --------------------------------------------------------------------

@dataclass
class Editor:
    name: str
    kind: str
    source: str | None        # None: a new model, to start from the blank diagram of its kind
    draft: object = None
    latest: ModelVersion | None = None


def editor(rt, session, actor, name: str, kind: str | None = None) -> Editor:
    """The shared draft, else the newest version, else (a new model of `kind`) a blank diagram."""
    access.require_modeller(actor)
    draft = model_drafts.get(session, str(name)[:200])
    newest = latest(session, name)
    if draft is not None:
        return Editor(name, draft.kind, draft.source, draft, newest)
    if newest is not None:
        return Editor(name, newest.kind, newest.source, None, newest)
    if kind in KINDS and NAME.match(name or ""):
        return Editor(name, kind, None)
    raise NotFound()


# ---- form previews ----------------------------------------------------------------------------

@dataclass
class Preview:
    filename: str
    ui_name: str | None = None
    schema: dict = field(default_factory=dict)
    fields: list = field(default_factory=list)
    sample: str = "{}"
    error: str | None = None
    problems: dict = field(default_factory=dict)
    broken: bool = False       # the form files themselves cannot be read


def form_preview(rt, session, actor, filename: str, *, data: str | None = None, check: bool = False,
                 locale: str = "zh_CN", options=None) -> Preview:
    """A user-task form built from its JSON Schema with sample (or the given JSON) data."""
    catalog = form_catalog(rt, session, actor)
    if filename not in catalog["schemas"]:
        raise NotFound()
    ui_name = filename.replace(".schema.json", ".uischema.json")
    try:
        schema = form_versions.content_of(rt, session, filename)
        ui = form_versions.content_of(rt, session, ui_name) if ui_name in catalog["ui"] else {}
    except (FileNotFoundError, ValueError) as err:
        return Preview(filename, error=str(err), broken=True)
    error, values = None, sample_value(schema)
    if data:
        try:
            values = json.loads(data)
            if not isinstance(values, dict):
                raise ValueError(_("the sample data must be a JSON object"))
        except ValueError as err:
            error, values = _("The sample data is not valid JSON: %(error)s", error=str(err)), {}
    problems = forms.validate(schema, values, translate=_) if check and not error else {}
    fields = forms.build_fields(schema, ui, values, problems, locale, options=options)
    return Preview(filename, ui_name, schema, fields, json.dumps(values, ensure_ascii=False, indent=2), error,
                   problems)


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
