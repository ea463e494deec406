"""Attachments (photos, signatures, documents): checked, stored once by content hash, never overwritten.

The bytes live in a file store (records.files: the local folder, or the database on PostgreSQL); the row holds what was checked. An
attachment link says which object refers to an attachment (a hazard, an inspection, a task, an
upload by a user), with the branch and team of that object, so that who may see an attachment is
one indexed lookup.
"""
from __future__ import annotations

import contextlib
import io
import re
from datetime import datetime

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Integer, String, UniqueConstraint, and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
KINDS = ("photo", "signature", "document")
DIGEST = re.compile(r"^[0-9a-f]{64}$")


def N_(message: str) -> str:
    """Mark a message for translation (the web layer translates it)."""
    return message


class AttachmentRefused(ValueError):
    """The upload is not what it claims to be, or too large. .message and .params can be translated."""

    def __init__(self, message: str, **params):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


class Attachment(Base):
    __tablename__ = "attachment"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)   # SHA-256 of the content
    kind: Mapped[str] = mapped_column(String(12))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str | None] = mapped_column(String(200))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def check_image(data: bytes, *, kind: str, max_bytes: int, max_pixels: int = 40_000_000) -> tuple[str, int, int]:
    """(content type, width, height) of a real image; refuses anything else. Signatures must be PNG."""
    if len(data) > max_bytes:
        raise AttachmentRefused(N_("The file is %(size)s KB; the limit is %(limit)s KB."),
                                size=len(data) // 1024, limit=max_bytes // 1024)
    if not data:
        raise AttachmentRefused(N_("The file is empty."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
            if width * height > max_pixels:
                raise AttachmentRefused(N_("The image is %(width)s×%(height)s pixels; that is too large."),
                                        width=width, height=height)
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as err:
        raise AttachmentRefused(N_("The file is not a readable image (JPEG, PNG or WebP).")) from err
    if kind == "signature" and fmt != "PNG":
        raise AttachmentRefused(N_("A signature must be a PNG image."))
    if fmt not in IMAGE_TYPES:
        raise AttachmentRefused(N_("%(format)s images are not accepted; use JPEG, PNG or WebP."), format=fmt)
    return IMAGE_TYPES[fmt], width, height


def store_image(session, files, data: bytes, *, kind: str, actor: str, now: datetime,
                original_name: str | None = None, max_bytes: int) -> Attachment:
    """Check and store an image; the same bytes stored twice are one attachment."""
    if kind not in ("photo", "signature"):
        raise AttachmentRefused(N_("Unknown attachment kind %(kind)s."), kind=kind)
    content_type, width, height = check_image(data, kind=kind, max_bytes=max_bytes)
    digest = files.put(data, session)     # the database store writes in this transaction
    found = session.get(Attachment, digest)
    if found is not None:
        return found
    row = Attachment(id=digest, kind=kind, content_type=content_type, size=len(data),
                     original_name=(original_name or "")[:200] or None, width=width, height=height,
                     created_by=actor, created_at=now)
    try:
        with session.begin_nested():       # the same bytes uploaded at the same moment elsewhere: one row
            session.add(row)
    except IntegrityError:
        return session.get(Attachment, digest)
    return row


class AttachmentLink(Base):
    """An object that refers to an attachment: kind (hazard, inspection, task, document, upload) and
    id, with the branch and team of that object (None where it has none)."""

    __tablename__ = "attachment_link"
    __table_args__ = (UniqueConstraint("attachment_id", "object_kind", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[str] = mapped_column(String(64))
    object_kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str] = mapped_column(String(64))
    branch_id: Mapped[int | None] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(Integer)


def stored_photos(session, ids) -> set[str]:
    """Which of these ids are stored photos (attachments of kind photo): one query for them all."""
    wanted = sorted({d for d in ids or () if isinstance(d, str) and d})
    if not wanted:
        return set()
    return set(session.scalars(select(Attachment.id).where(Attachment.id.in_(wanted), Attachment.kind == "photo")))


def digests_in(value) -> set[str]:
    """Every string in a JSON-like value that looks like an attachment id (a SHA-256 in hex)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if DIGEST.match(item):
                found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


def link(session, ids, *, kind: str, object_id, branch_id: int | None = None, team_id: int | None = None) -> None:
    """Record that an object refers to these attachments (ids that are not stored attachments are ignored):
    one query for which are stored and not linked yet, one statement for the new links (a link made at the
    same moment elsewhere is kept, not doubled)."""
    wanted = set(ids or ()) - {None, ""}
    if not wanted:
        return
    object_id = str(object_id)
    links = AttachmentLink.__table__
    query = select(Attachment.id, links.c.id).outerjoin(links, and_(
        links.c.attachment_id == Attachment.id, links.c.object_kind == kind, links.c.object_id == object_id)
    ).where(Attachment.id.in_(sorted(wanted)))
    # nothing it reads or writes pending: the step's other changes are flushed once, later, with the rest
    flush_first = _pending(session, (Attachment, AttachmentLink))
    with contextlib.nullcontext() if flush_first else session.no_autoflush:
        rows = session.execute(query).all()
        missing = sorted({digest for digest, linked in rows if linked is None})
        if missing:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            session.execute(dialect.insert(links).on_conflict_do_nothing(),
                            [{"attachment_id": digest, "object_kind": kind, "object_id": object_id,
                              "branch_id": branch_id, "team_id": team_id} for digest in missing])


def _pending(session, classes) -> bool:
    """Whether the session holds unflushed rows of these classes (added, changed or deleted)."""
    return any(isinstance(o, classes) for group in (session.new, session.dirty, session.deleted) for o in group)


def link_referenced(session, value, **where) -> None:
    """Link every stored attachment that a JSON-like value names (form data, a result, an event's detail)."""
    link(session, digests_in(value), **where)
