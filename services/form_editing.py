"""Editing a user task's form in the browser: what the editor opens, checking a JSON Schema and its UI
schema (the message names the problem), a preview built by the same rendering as task pages, and deploying
a new version together with the diagrams that show it (they get a new version; running instances keep
theirs). An invalid form is refused and nothing changes.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import select

import forms
from engine import ModelVersion
from records import form_versions as fv

from . import access, form_versions
from .drafts import MODELER
from .errors import Invalid, NotFound
from .i18n import _

SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,120}\.schema\.json$")
MAX_FORM_CHARS = 200_000
BLANK = {"type": "object", "title": "", "required": [], "properties": {}}


def ui_name_of(filename: str) -> str:
    return filename[: -len(".schema.json")] + ".uischema.json"


def check_name(filename: str) -> str:
    if not SCHEMA_NAME.match(filename or ""):
        raise NotFound()
    return filename


@dataclass
class FormEditor:
    filename: str
    ui_name: str
    schema_text: str
    ui_text: str
    version: object = None                          # the newest FormVersion of the schema, or None
    ui_version: object = None
    models: list = field(default_factory=list)      # names of the models whose newest version shows it
    versions: list = field(default_factory=list)    # every FormVersion of the schema, newest first


def editor(rt, session, actor, filename: str) -> FormEditor:
    """The newest version of a form and its UI schema (a new form starts blank)."""
    access.require_modeller(actor)
    ui_name = ui_name_of(check_name(filename))
    schema_text = form_versions.text_of(rt, session, filename)
    ui_text = form_versions.text_of(rt, session, ui_name)
    return FormEditor(filename, ui_name, schema_text or json.dumps(BLANK, ensure_ascii=False, indent=2) + "\n",
                      ui_text or "{}\n", fv.latest(session, filename), fv.latest(session, ui_name),
                      models_showing(rt, session, filename), fv.versions_of(session, filename))


def models_showing(rt, session, name: str) -> list[str]:
    """The models whose newest version has a user task naming this form."""
    newest = {}
    for mv in session.scalars(select(ModelVersion).where(ModelVersion.kind == "bpmn").order_by(ModelVersion.version)):
        newest[mv.name] = mv
    return sorted(n for n, mv in newest.items() if name in rt.engine.forms_used(mv.source))


# ---- checking ---------------------------------------------------------------------------------------

def parse(schema_text: str, ui_text: str) -> tuple[dict | None, dict | None, list[dict]]:
    """(schema, UI schema, problems): each problem {"part": "schema" | "ui", "message", "line"}."""
    schema, problems = _json(schema_text, "schema")
    ui, more = _json(ui_text if (ui_text or "").strip() else "{}", "ui")
    problems += more
    if schema is not None:
        problems += schema_problems(schema)
    if ui is not None and schema is not None and not problems:
        problems += [{"part": "ui", "message": m, "line": None} for m in ui_problems(schema, ui)]
    return schema, ui, problems


def _json(text: str, part: str):
    if len(text or "") > MAX_FORM_CHARS:
        return None, [{"part": part, "message": _("The text is too long: at most %(limit)s characters.",
                                                  limit=f"{MAX_FORM_CHARS:,}"), "line": None}]
    try:
        return json.loads(text or ""), []
    except ValueError as err:
        return None, [{"part": part, "message": _("Not valid JSON: %(error)s", error=getattr(err, "msg", str(err))),
                       "line": getattr(err, "lineno", None)}]


def schema_problems(schema) -> list[dict]:
    """Why a JSON Schema cannot be a task's form (not a valid JSON Schema, not an object form)."""
    if not isinstance(schema, dict):
        return [{"part": "schema", "message": _("The JSON Schema must be a JSON object."), "line": None}]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        where = "/".join(str(p) for p in err.absolute_path) or "/"
        return [{"part": "schema", "message": _("Not a valid JSON Schema at %(where)s: %(error)s", where=where,
                                                error=err.message), "line": None}]
    if schema.get("type") != "object" or not isinstance(schema.get("properties", {}), dict):
        return [{"part": "schema", "message": _('A form is an object: give the schema "type": "object" and its '
                                                'fields under "properties".'), "line": None}]
    return []


def ui_problems(schema: dict, ui, path: str = "") -> list[str]:
    """The UI schema's references to fields the JSON Schema does not have (and entries that are not objects)."""
    if not isinstance(ui, dict):
        return [_("The UI schema of %(field)s must be a JSON object.", field=path.rstrip(".") or "/")]
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    found = []
    for key, value in ui.items():
        if key == "ui:order":
            found += [_("ui:order names the field %(field)s, which the JSON Schema does not have.",
                        field=path + str(name)) for name in (value if isinstance(value, list) else [value])
                      if name not in props]
        elif key.startswith("ui:"):
            continue
        elif key == "items" and isinstance(schema, dict) and schema.get("type") == "array":
            found += ui_problems(schema.get("items", {}), value, path + "items.")
        elif key not in props:
            found.append(_("The UI schema names the field %(field)s, which the JSON Schema does not have.",
                           field=path + key))
        else:
            found += ui_problems(props[key], value, path + key + ".")
    return found


def _refusal(problems: list[dict]) -> Invalid:
    parts = {"schema": _("JSON Schema"), "ui": _("UI schema")}
    text = "; ".join(f"{parts[p['part']]}: {p['message']}" for p in problems)
    return Invalid(_("The form is not deployed: %(problems)s", problems=text))


# ---- preview and deploy -------------------------------------------------------------------------------

@dataclass
class FormPreview:
    fields: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    title: str | None = None


def preview(rt, session, actor, filename: str, schema_text: str, ui_text: str, *, locale: str = "zh_CN",
            options=None) -> FormPreview:
    """The form as a task page will show it (sample data), or the problems that stop it from being shown."""
    access.require_modeller(actor)
    check_name(filename)
    from .modeling import sample_value
    schema, ui, problems = parse(schema_text, ui_text)
    if problems:
        return FormPreview(problems=problems)
    try:
        built = forms.build_fields(schema, ui, sample_value(schema), {}, locale, options=options)
    except Exception as err:  # noqa: BLE001 - a form the renderer cannot show is a problem of the form
        return FormPreview(problems=[{"part": "ui", "message": _("The form cannot be shown: %(error)s",
                                                                 error=f"{type(err).__name__}: {err}"), "line": None}])
    return FormPreview(built, [], schema.get("title"))


@dataclass
class FormDeploy:
    status: str                                      # "deployed" or "unchanged"
    versions: dict = field(default_factory=dict)     # form file -> its new version
    results: list = field(default_factory=list)      # DeployResults of the diagrams that show it


def deploy(rt, session, actor, filename: str, schema_text: str, ui_text: str,
           comment: str | None = None) -> FormDeploy:
    """Store the form's new version (refused with the problems when invalid: nothing changes), then deploy the
    diagrams that show it as their next versions, so new instances show it and running ones keep theirs."""
    access.require_modeller(actor)
    ui_name = ui_name_of(check_name(filename))
    schema, ui, problems = parse(schema_text, ui_text)
    if problems:
        raise _refusal(problems)
    now, done = rt.now(), FormDeploy("unchanged")
    for name, value in ((filename, schema), (ui_name, ui)):
        latest = fv.latest(session, name)
        if latest is not None and latest.parsed() == value:
            continue
        if latest is None and name == ui_name and not value and form_versions.text_of(rt, session, name) is None:
            continue                                  # no UI schema, and none wanted
        content = json.dumps(value, ensure_ascii=False, indent=2) + "\n"
        row = form_versions.store(session, name, content, origin=MODELER, actor=actor.username, now=now,
                                  comment=comment or None)
        done.versions[name] = row.version
    if not done.versions:
        session.rollback()
        return done
    session.commit()
    done.status = "deployed"
    users = models_showing(rt, session, filename)
    users = sorted(set(users) | set(models_showing(rt, session, ui_name)))
    if users:
        files = [(f"{name}.bpmn", _newest_source(session, name)) for name in users]
        why = comment or _("shows the new version of the form %(name)s", name=filename)
        done.results = rt.engine.deploy_files(session, files, actor.username, why, origin=MODELER)
    return done


def _newest_source(session, name: str) -> bytes:
    mv = session.scalars(select(ModelVersion).where(ModelVersion.name == name)
                         .order_by(ModelVersion.version.desc()).limit(1)).first()
    return mv.source.encode("utf-8")
