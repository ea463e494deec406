"""A document as the list of its layout operations: the snapshot a step takes in its transaction.

`docx_layout.new_document` gives a Recorder; every layout call on it appends one JSON-able operation
(its name and arguments). Photos and signatures are recorded as references to the content-addressed
file store (FileRef, and StampRef for a photo printed with its stamp), never as bytes.
`docx_layout.replay` runs the operations through the real layout functions and answers the .docx
bytes: in the step (inline) or later, by the render worker, from the same snapshot. This module knows
nothing of the layout itself. Owns no transaction.
"""
from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class FileRef:
    """A stored file (photo or signature) by its SHA-256."""

    digest: str


@dataclass(frozen=True)
class StampRef:
    """A stored photo as documents print it: stamped with capture time, place and file numbers."""

    digest: str
    place: str
    numbers: str


class Recorder:
    """Stands for a document while it is written: remembers each layout operation."""

    def __init__(self, issuer: str):
        self.ops: list = [["new_document", [issuer], {}]]

    def record(self, name: str, args, kwargs) -> None:
        self.ops.append([name, [encode(a) for a in args], {k: encode(v) for k, v in kwargs.items()}])


def recordable(fn):
    """A layout function that, handed a Recorder instead of a document, records its call."""
    @functools.wraps(fn)
    def wrapper(doc, *args, **kwargs):
        if isinstance(doc, Recorder):
            doc.record(fn.__name__, args, kwargs)
            return None
        return fn(doc, *args, **kwargs)
    return wrapper


def encode(value):
    """A JSON-able form of a layout argument."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, FileRef):
        return {"$file": value.digest}
    if isinstance(value, StampRef):
        return {"$stamp": value.digest, "place": value.place, "numbers": value.numbers}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"a layout argument of type {type(value).__name__} cannot be recorded")


def decode(value, ctx):
    """The argument back, references read from the file store (stamped photos stamped now)."""
    if isinstance(value, list):
        return [decode(v, ctx) for v in value]
    if not isinstance(value, dict):
        return value
    if "$file" in value:
        return _bytes(ctx, value["$file"])
    if "$stamp" in value:
        from .photo_stamp import for_document
        return for_document(ctx, value["$stamp"], _bytes(ctx, value["$stamp"]), value["place"], value["numbers"])
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$bytes" in value:
        return base64.b64decode(value["$bytes"])
    return value


def _bytes(ctx, digest: str) -> bytes:
    """A referenced file; its absence is an error of the render (retried), never a silent gap. Read
    without asking first whether it is there: both stores refuse a missing file (a query less per photo on
    PostgreSQL)."""
    try:
        return ctx.files.get(digest, ctx.session)
    except FileNotFoundError:
        raise LookupError(f"the stored file {digest} named by the document is missing") from None
