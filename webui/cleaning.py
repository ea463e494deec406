"""The one place where request text is cleaned before any page, API operation or service sees it: form
fields, query arguments and JSON bodies lose the control characters no document can hold
(services.text), so a value pasted from Excel cannot put a new hazard's documents in error."""
from __future__ import annotations

import json

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.utils import cached_property

from services import text

_RAW_CONTROL = bytes(range(0x20)).replace(b"\t", b"").replace(b"\n", b"").replace(b"\r", b"")


def _clean_pairs(data: MultiDict, cls=ImmutableMultiDict) -> MultiDict:
    return cls([(text.clean(k), text.clean(v)) for k, v in data.items(multi=True)])


class CleanRequest(Request):
    """Flask's request with cleaned form fields, query arguments and JSON."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _clean_pairs(self.__dict__["form"], type(self.__dict__["form"]))

    @cached_property
    def args(self) -> MultiDict:
        return _clean_pairs(super().args, self.parameter_storage_class)

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False):
        fresh = getattr(self, "_cached_data", None) is None
        data = super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)
        if fresh and self.is_json and data:
            data = _clean_json(data)
            if cache:
                self._cached_data = data
        return data.decode(errors="replace") if as_text else data


def _clean_json(data: bytes) -> bytes:
    """A JSON body without control characters, raw or escaped (\\u000b); a body that is not JSON is
    left for the parser to refuse."""
    data = data.translate(None, _RAW_CONTROL)
    if b"\\u" not in data:
        return data
    try:
        value = json.loads(data)
    except ValueError:
        return data
    cleaned = text.clean(value)
    return data if cleaned == value else json.dumps(cleaned, ensure_ascii=False).encode()
