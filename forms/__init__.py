"""User-task forms: one JSON Schema (and optionally a UI schema) per file in this folder.

A diagram names its form by file name (property formJsonSchemaFilename); this module loads,
checks and applies them.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .fields import Field, attachment_ids, build_fields, parse, validate

__all__ = ["Field", "attachment_ids", "build_fields", "parse", "validate", "load", "load_pair", "problem",
           "FORMS_DIR"]

FORMS_DIR = Path(__file__).resolve().parent


def _path(name: str, folder: Path | None = None) -> Path | None:
    folder = folder or FORMS_DIR
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    return folder / name


@lru_cache(maxsize=256)
def _load(path: Path, mtime: float) -> dict:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def load(name: str, folder: Path | None = None) -> dict:
    """The parsed JSON of a form file. Raises FileNotFoundError or ValueError."""
    path = _path(name, folder)
    if path is None or not path.is_file():
        raise FileNotFoundError(f"there is no form file {name!r} in {folder or FORMS_DIR}")
    return _load(path, path.stat().st_mtime)


def load_pair(form_name: str, ui_name: str | None, folder: Path | None = None) -> tuple[dict, dict]:
    """(JSON Schema, UI schema) of a task's form; the UI schema is optional."""
    schema = load(form_name, folder)
    ui = load(ui_name, folder) if ui_name else {}
    return schema, ui


def problem(name: str, folder: Path | None = None) -> str | None:
    """Why a form file cannot be used (missing, not JSON, not a valid JSON Schema), or None."""
    try:
        schema = load(name, folder)
    except FileNotFoundError:
        return "does not exist in the forms folder"
    except ValueError as err:
        return f"is not valid JSON: {err}"
    if name.endswith(".uischema.json"):
        return None if isinstance(schema, dict) else "must be a JSON object"
    path = _path(name, folder)
    return _schema_problem(path, path.stat().st_mtime)


@lru_cache(maxsize=256)
def _schema_problem(path: Path, mtime: float) -> str | None:
    """The meta-schema check of one form file as it is on disk (every deploy names the same files again)."""
    try:
        Draft202012Validator.check_schema(_load(path, mtime))
    except SchemaError as err:
        return f"is not a valid JSON Schema: {err.message}"
    return None
