"""What is left of the old webui/work.py for the areas that have not moved to services yet: thin
wrappers over the new places, with the old signatures. Delete it once nothing imports it.

The new places: today in the company's zone is `rt.today()`; the files are `rt.files`; the forms of
tasks are `services.task_forms` (form_options, storer, form_of, check); the request's language is
`webui.rendering.current_locale`.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo

from services import task_forms

from . import current
from .rendering import current_locale

__all__ = ["local_day", "local_today", "file_store", "storer", "form_options", "current_locale"]


def local_day(eng, config: Mapping) -> date:
    """Today in the company's time zone by this engine's clock (use rt.today())."""
    return eng.clock.now().astimezone(ZoneInfo(config.get("TIMEZONE") or "Asia/Shanghai")).date()


def local_today() -> date:
    """Today in the company's time zone (use rt.today())."""
    return current.runtime().today()


def file_store():
    """The content-addressed file store (use rt.files)."""
    return current.runtime().files


def storer(session, user):
    """The upload callback of forms.parse (use services.task_forms.storer(rt, session, actor))."""
    return task_forms.storer(current.runtime(), session, user)


def form_options(session) -> Mapping:
    """The named choice lists of forms (use services.task_forms.form_options)."""
    return task_forms.form_options(session)
