"""Turning stored text and times into what a page shows: Markdown (safe), local times."""
from __future__ import annotations

import json
from datetime import datetime

import nh3
from jinja2 import BytecodeCache
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt

from services.paging import MAX_PAGE, page_number  # noqa: F401 - the pages take both from here

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown(text: str) -> str:
    """Markdown to HTML; raw HTML in the text is shown escaped, and the result is sanitized again."""
    return nh3.clean(_md.render(text or ""))


def local_time(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A UTC instant in the company's time zone (Flask-Babel's default timezone)."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def pretty_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


STATUS_LABELS = {"running": _l("running"), "waiting": _l("waiting"), "error": _l("error"),
                 "suspended": _l("suspended"), "completed": _l("completed"), "terminated": _l("terminated")}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# a task's state in words: a ready task is one to do (待处理), not "waiting" (an instance waits, a task does not)
TASK_STATUS_LABELS = {"ready": _l("to do"), "completed": _l("done"), "cancelled": _l("cancelled")}


def task_status_label(status: str) -> str:
    return str(TASK_STATUS_LABELS.get(status, status))


def current_locale() -> str:
    """The request's language for forms and messages (zh_CN unless the user chose another)."""
    return str(get_locale() or "zh_CN")




def page_url(page: int) -> str:
    """The current page's query string with another page number (filters kept)."""
    from urllib.parse import urlencode

    from flask import request
    args = request.args.to_dict()
    args["page"] = page
    return "?" + urlencode(args)


class CompiledTemplates(BytecodeCache):
    """Templates compiled once per process, shared by every app it builds (each workers' app, and the
    test suite's hundreds): keyed by name and source checksum, so an edited template compiles anew."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledTemplates()


def init_app(app) -> None:
    app.jinja_env.bytecode_cache = COMPILED
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.globals["task_status_label"] = task_status_label
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["now_utc"] = lambda: app.extensions["gridsafe.engine"].clock.now()
    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.filters["markdown"] = markdown
    app.jinja_env.filters["pretty_json"] = pretty_json
