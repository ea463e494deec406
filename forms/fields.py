"""From a task's JSON Schema (+ UI schema) to fields to render, and from a submitted form back to data.

Supported: text, textarea, number/integer, date, date-time, enum (select or radio), boolean,
multi-select (array of enum), photos (array of attachments), photo, signature (an attachment),
arrays of objects (rows such as findings), presence (time and position from the device: "presence") and checklists (fixed rows grouped by their "section",
answered with one tap: ui:widget "checklist"). Attachments are strings of format "attachment"
(the SHA-256 id of a stored file). Labels come from "title"; "x-title-en" gives the English one.
"""
from __future__ import annotations

import base64
import binascii
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

ATTACHMENT_ID = re.compile(r"^[0-9a-f]{64}$")
# Bounds for what a form's schema leaves open: every text, every list of rows (findings...) and every
# list of photos has a limit, stated in the message; a schema's own maxLength / maxItems wins.
MAX_TEXT = 5000
MAX_ROWS = 50
MAX_PHOTOS = 12
DATA_URL = re.compile(r"^data:image/png;base64,(?P<b64>[A-Za-z0-9+/=\s]+)$")


def N_(message: str) -> str:
    """Mark a message for translation without translating it here (forms knows no locale)."""
    return message


MESSAGES = {
    "required": N_("This field is required."),
    "maxLength": N_("Use at most %(limit)s characters."),
    "minLength": N_("Use at least %(limit)s characters."),
    "minimum": N_("The smallest allowed value is %(limit)s."),
    "maximum": N_("The largest allowed value is %(limit)s."),
    "exclusiveMinimum": N_("The value must be greater than %(limit)s."),
    "exclusiveMaximum": N_("The value must be less than %(limit)s."),
    "enum": N_("Choose one of the listed values."),
    "const": N_("This value is not allowed here."),
    "minItems": N_("Add at least %(limit)s."),
    "maxItems": N_("Add at most %(limit)s."),
    "pattern": N_("The value is not in the expected format."),
    "type": N_("Enter a valid value."),
    "number": N_("Enter a number."),
    "integer": N_("Enter a whole number."),
    "date": N_("Enter a date as YYYY-MM-DD."),
    "date-time": N_("Enter a date and time."),
    "attachment": N_("Attach the file again: it was not found."),
    "additionalProperties": N_("Unknown field."),
    "signature": N_("The signature could not be read; sign again."),
    "x-not-before": N_("The date may not be earlier than %(limit)s."),
}

Translate = Callable[..., str]


def _plain(message: str, **params) -> str:
    return message % params if params else message


@dataclass
class Field:
    """One thing to render: a widget with its name in the form, label, value and error."""

    name: str
    label: str
    widget: str
    required: bool = False
    value: Any = None
    error: str | None = None
    help: str | None = None
    options: list = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    children: list = field(default_factory=list)       # object: its fields
    rows: list = field(default_factory=list)           # array of objects: fields per row
    row_errors: list = field(default_factory=list)     # array of objects: an error about a whole row
    template: list = field(default_factory=list)       # array of objects: a blank row
    sections: list = field(default_factory=list)       # checklist: [(section, [(index, {key: Field})])]


def label_of(schema: dict, key: str, locale: str) -> str:
    if locale.startswith("en") and schema.get("x-title-en"):
        return schema["x-title-en"]
    return schema.get("title") or key


def build_fields(schema: dict, ui: dict | None, data: dict | None, errors: dict | None, locale: str = "zh_CN",
                 prefix: str = "", options: dict | None = None) -> list[Field]:
    """Fields for the object `schema`, filled with `data` and marked with `errors` (by dotted name).

    options: choices of fields whose schema names a source with "x-options" (e.g. the current items
    of the hazard dictionary), as {source: [(value, label), ...]}.
    """
    ui, data, errors, options = ui or {}, data or {}, errors or {}, options or {}
    required = set(schema.get("required", []))
    order = ui.get("ui:order") or list(schema.get("properties", {}))
    fields = []
    for key in order:
        sub = schema.get("properties", {}).get(key)
        if sub is None:
            continue
        sub_ui = ui.get(key, {})
        if sub_ui.get("ui:widget") == "hidden":
            continue
        name = f"{prefix}{key}"
        fields.append(_field(sub, sub_ui, name, key, key in required, data.get(key), errors, locale, options))
    return fields


def _field(schema, ui, name, key, required, value, errors, locale, options) -> Field:
    f = Field(name=name, label=label_of(schema, key, locale), widget=_widget(schema, ui), required=required,
              value=value, error=errors.get(name), help=ui.get("ui:help_en" if locale.startswith("en") else "ui:help")
              or schema.get("description"))
    kind = schema.get("type")
    if "enum" in schema or (kind == "array" and "enum" in schema.get("items", {})):
        choices = schema.get("enum") or schema["items"]["enum"]
        names = ui.get("ui:enumNames_en" if locale.startswith("en") else "ui:enumNames") \
            or schema.get("x-enum-titles") or choices
        f.options = list(zip(choices, names))
    if schema.get("x-options"):
        f.options = list(options.get(schema["x-options"], []))
        if f.widget == "text":
            f.widget = "select"
    for source, target in (("maxLength", "maxlength"), ("minimum", "min"), ("maximum", "max")):
        if source in schema:
            f.attrs[target] = schema[source]
    if kind == "number":
        f.attrs.setdefault("step", "any")
    if ui.get("ui:placeholder"):
        f.attrs["placeholder"] = ui["ui:placeholder"]
    if f.widget in ("group", "presence"):
        f.children = build_fields(schema, ui, value if isinstance(value, dict) else {}, errors, locale, name + ".",
                                  options)
    elif f.widget in ("rows", "checklist"):
        items, item_ui = schema.get("items", {}), ui.get("items", {})
        rows = value if isinstance(value, list) else []
        f.rows = [build_fields(items, item_ui, row if isinstance(row, dict) else {}, errors, locale,
                               f"{name}.{i}.", options) for i, row in enumerate(rows)]
        f.row_errors = [errors.get(f"{name}.{i}") for i in range(len(rows))]
        f.template = build_fields(items, item_ui, {}, {}, locale, f"{name}.__index__.", options)
        f.attrs["min_items"] = schema.get("minItems", 0)
        f.attrs["fixed"] = bool(ui.get("ui:fixedRows")) or f.widget == "checklist"
        if f.widget == "checklist":
            f.sections = _sections(f.rows)
    return f


def _sections(rows: list[list[Field]]) -> list:
    """Checklist rows grouped by their section, in the order sections first appear."""
    groups: dict = {}
    for index, row in enumerate(rows):
        parts = {part.name.rsplit(".", 1)[-1]: part for part in row}
        section = parts.get("section")
        groups.setdefault((section.value if section else None) or "", []).append((index, parts))
    return list(groups.items())


def _widget(schema: dict, ui: dict) -> str:
    widget = ui.get("ui:widget")
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items", {})
        if items.get("type") == "object":
            return "checklist" if widget == "checklist" else "rows"
        if items.get("format") == "attachment":
            return "photos"
        return "checkboxes"
    if kind == "object":
        return "presence" if widget == "presence" else "group"
    if schema.get("format") == "attachment":
        return widget if widget in ("signature", "photo") else "photo"
    if widget:
        return widget
    if "enum" in schema:
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("number", "integer"):
        return kind
    if schema.get("format") in ("date", "date-time"):
        return schema["format"]
    return "text"


# --- parsing a submitted form ----------------------------------------------------------------------

def parse(schema: dict, ui: dict | None, form, files, store: Callable[[str, bytes, str | None], str],
          translate: Translate = _plain) -> tuple[dict, dict]:
    """(data, errors by field name) from request.form / request.files; files are stored on the way.

    store(kind, bytes, filename) keeps a file and returns its attachment id, or raises ValueError.
    """
    errors: dict = {}
    data = _parse_object(schema, ui or {}, form, files, store, "", errors, translate)
    return data, errors


def _parse_object(schema, ui, form, files, store, prefix, errors, translate) -> dict:
    out = {}
    for key, sub in schema.get("properties", {}).items():
        name = f"{prefix}{key}"
        sub_ui = ui.get(key, {})
        value = _parse_value(sub, sub_ui, form, files, store, name, errors, translate)
        if value is not None:
            out[key] = value
    return out


def _parse_value(schema, ui, form, files, store, name, errors, translate):
    kind = schema.get("type")
    if kind == "object":
        return _parse_object(schema, ui, form, files, store, name + ".", errors, translate)
    if kind == "array":
        return _parse_array(schema, ui, form, files, store, name, errors, translate)
    if schema.get("format") == "attachment":
        return _parse_attachment(ui, form, files, store, name, errors, translate)
    if kind == "boolean":
        raw = form.get(name)
        if raw is None:
            return False if _widget(schema, ui) == "checkbox" else None
        return raw.strip().lower() in ("on", "true", "1", "yes")
    raw = form.get(name)
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    if kind in ("number", "integer"):
        try:
            number = float(raw) if kind == "number" else int(raw)
        except ValueError:
            errors[name] = translate(MESSAGES[kind])
            return None
        return number
    return raw


def max_items(schema: dict) -> int:
    """How many items an array of the schema may hold: its maxItems, else the default for its kind."""
    default = MAX_PHOTOS if schema.get("items", {}).get("format") == "attachment" else MAX_ROWS
    return int(schema.get("maxItems", default))


def _too_many(schema, count, name, errors, translate) -> bool:
    """More items than allowed: the error (with the limit) and True; nothing of them is parsed or stored."""
    if count <= max_items(schema):
        return False
    errors[name] = translate(MESSAGES["maxItems"], limit=max_items(schema))
    return True


def _parse_array(schema, ui, form, files, store, name, errors, translate):
    items = schema.get("items", {})
    if items.get("type") == "object":
        indexes = sorted({int(m.group(1)) for key in form.keys()
                          for m in [re.match(rf"^{re.escape(name)}\.(\d{{1,6}})\.", key)] if m})
        if _too_many(schema, len(indexes), name, errors, translate):
            return []
        rows = [_parse_object(items, ui.get("items", {}), form, files, store, f"{name}.{i}.", errors, translate)
                for i in indexes]
        rows = [row for row in rows if any(v not in (None, "", [], False) for v in row.values())]
        return rows
    if items.get("format") == "attachment":
        ids = [v for v in form.getlist(name) if ATTACHMENT_ID.match(v or "")]
        uploads = [u for u in (files.getlist(name) if files else []) if u and u.filename]
        if _too_many(schema, len(ids) + len(uploads), name, errors, translate):
            return []
        for upload in uploads:
            if upload and upload.filename:
                try:
                    ids.append(store("photo", upload.read(), upload.filename))
                except ValueError as err:
                    errors[name] = str(err)
        return list(dict.fromkeys(ids))          # a photo both kept (by id) and sent again counts once
    return [v for v in form.getlist(name) if v != ""]


def _parse_attachment(ui, form, files, store, name, errors, translate):
    kind = "signature" if ui.get("ui:widget") == "signature" else "photo"
    upload = files.get(name) if files else None
    if upload is not None and upload.filename:
        try:
            return store(kind, upload.read(), upload.filename)
        except ValueError as err:
            errors[name] = str(err)
            return None
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if ATTACHMENT_ID.match(raw):
        return raw
    match = DATA_URL.match(raw)
    if match is None:
        errors[name] = translate(MESSAGES["signature"])
        return None
    try:
        content = base64.b64decode(match.group("b64"), validate=False)
    except (binascii.Error, ValueError):
        errors[name] = translate(MESSAGES["signature"])
        return None
    try:
        return store(kind, content, f"{name}.png")
    except ValueError as err:
        errors[name] = str(err)
        return None


# --- validation --------------------------------------------------------------------------------------

_checking: ContextVar[tuple[date | None, dict]] = ContextVar("form_checking", default=(None, {}))


def _not_before(validator, limit, instance, schema):
    if not isinstance(instance, str):
        return
    try:
        value = date.fromisoformat(instance)
    except ValueError:
        return                      # the format check reports it
    today = _checking.get()[0]
    floor = today if limit == "today" else date.fromisoformat(limit)
    if floor is not None and value < floor:
        yield ValidationError(f"{instance} is before {floor.isoformat()}", validator_value=floor.isoformat())


def _from_options(validator, source, instance, schema):
    allowed = {str(value) for value, _label in _checking.get()[1].get(source, [])}
    if instance not in (None, "") and str(instance) not in allowed:
        yield ValidationError(f"{instance!r} is not in {source}", validator_value=source)


# Draft 2020-12 plus x-not-before ("today" or a date) and x-options (a value from a named list). Built
# once: extending a validator class costs milliseconds; what today is and what the lists hold is read
# from the context of the validate() call.
_Validator = validators.extend(Draft202012Validator, {"x-not-before": _not_before, "x-options": _from_options})


def validate(schema: dict, data: dict, *, attachment_exists: Callable[[str], bool] | None = None,
             translate: Translate = _plain, today: date | None = None, options: dict | None = None,
             locale: str = "zh_CN") -> dict:
    """Errors by dotted field name (empty when the data is valid). `today` checks x-not-before,
    `options` the x-options lists; a schema's "x-message" ("x-message-en") replaces the generic text."""
    checker = FormatChecker()

    @checker.checks("attachment")
    def _is_attachment(value) -> bool:
        if not isinstance(value, str):
            return True
        return bool(ATTACHMENT_ID.match(value)) and (attachment_exists is None or attachment_exists(value))

    errors: dict = {}
    token = _checking.set((today, options or {}))
    try:
        found = list(_Validator(bounded(schema), format_checker=checker).iter_errors(data))
    finally:
        _checking.reset(token)
    for error in found:
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            for missing in [p for p in error.validator_value if p not in (error.instance or {})]:
                errors.setdefault(f"{path}.{missing}" if path else missing, translate(MESSAGES["required"]))
            continue
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            for key in extra:
                errors.setdefault(f"{path}.{key}" if path else key, translate(MESSAGES["additionalProperties"]))
            continue
        errors.setdefault(path or "_", _message(error, translate, locale))
    return errors


def bounded(schema):
    """The schema with the default bounds where it sets none (texts, rows, photos); the schema itself is
    not changed."""
    if not isinstance(schema, dict):
        return schema
    out = {k: (bounded(v) if k in ("items", "then", "else", "if") else v) for k, v in schema.items()}
    for key in ("properties", "$defs", "definitions"):
        if isinstance(schema.get(key), dict):
            out[key] = {name: bounded(sub) for name, sub in schema[key].items()}
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            out[key] = [bounded(sub) for sub in schema[key]]
    kinds = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
    if "string" in kinds and "maxLength" not in schema and "enum" not in schema and "format" not in schema:
        out["maxLength"] = MAX_TEXT
    if "array" in kinds:
        out["maxItems"] = max_items(schema)
    return out


def _message(error, translate: Translate, locale: str = "zh_CN") -> str:
    custom = error.schema.get("x-message-en" if locale.startswith("en") else "x-message") \
        if isinstance(error.schema, dict) else None
    if custom:
        return custom
    if error.validator == "x-options":
        return translate(MESSAGES["enum"])
    if error.validator == "format":
        return translate(MESSAGES.get(error.validator_value, MESSAGES["pattern"]))
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, str) else "type"
        return translate(MESSAGES.get(wanted, MESSAGES["type"]))
    template = MESSAGES.get(error.validator)
    if template is None:
        return error.message
    return translate(template, limit=error.validator_value) if "%(limit)s" in template else translate(template)


def attachment_ids(schema: dict, data) -> list[str]:
    """Every attachment id referenced by the data (to check they exist, or to link them)."""
    found: list[str] = []
    if schema.get("format") == "attachment" and isinstance(data, str):
        found.append(data)
    elif schema.get("type") == "object" and isinstance(data, dict):
        for key, sub in schema.get("properties", {}).items():
            found += attachment_ids(sub, data.get(key))
    elif schema.get("type") == "array" and isinstance(data, list):
        for item in data:
            found += attachment_ids(schema.get("items", {}), item)
    return found
