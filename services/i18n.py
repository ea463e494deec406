"""Translating the messages use cases give people, without importing a web framework.

The web app installs its translator (Flask-Babel, the request's language) with `install`; the CLI
and the scheduler keep the identity, so their messages stay in the source language of the message
id. Mark strings with `_`/`gettext` (translated now) or `_l`/`lazy_gettext` (translated when shown);
`pybabel extract` finds both.
"""
from __future__ import annotations

from typing import Callable


def _identity(message: str, **params) -> str:
    return message % params if params else message


_translator: list[Callable[..., str]] = [_identity]


def install(translator: Callable[..., str] | None) -> None:
    """Use `translator(message, **params)` from now on (None restores the identity)."""
    _translator[0] = translator or _identity


def gettext(message: str, **params) -> str:
    return _translator[0](message, **params)


class LazyString:
    """A message translated each time it is shown (module-level labels, choices)."""

    __slots__ = ("message", "params")

    def __init__(self, message: str, **params):
        self.message, self.params = message, params

    def __str__(self) -> str:
        return gettext(self.message, **self.params)

    def __html__(self) -> str:
        from markupsafe import escape
        return str(escape(str(self)))

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.message)

    def __add__(self, other) -> str:
        return str(self) + str(other)

    def __radd__(self, other) -> str:
        return str(other) + str(self)

    def __len__(self) -> int:
        return len(str(self))

    def __repr__(self) -> str:
        return f"l{self.message!r}"


def lazy_gettext(message: str, **params) -> LazyString:
    return LazyString(message, **params)


_ = gettext
_l = lazy_gettext
