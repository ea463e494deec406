"""Text as people paste it: the control characters that Excel, Word and chat programs carry along
(vertical tab, form feed, NUL...) and that no document, database or XML file can hold are removed.
Tabs and line breaks stay."""
from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(value):
    """The value with those characters removed from every string in it (dicts, lists kept in shape)."""
    if isinstance(value, str):
        return CONTROL.sub("", value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value
