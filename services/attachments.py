"""Photos and signatures: uploading one (checked as a real image), and fetching one the actor may see.

An attachment is served only to its uploader and to those who may see an object that refers to it
(access.attachment_or_404: one indexed lookup in attachment_link).
"""
from __future__ import annotations

from typing import BinaryIO

from records import Attachment, AttachmentRefused, attachments

from . import access
from .errors import Invalid, NotFound
from .i18n import _


def upload(rt, session, actor, data: bytes, *, kind: str, filename: str | None) -> Attachment:
    """Check and keep one image (the same bytes twice: one attachment); one commit."""
    try:
        row = attachments.store_image(session, rt.files, data, kind=kind, actor=actor.username, now=rt.now(),
                                      original_name=filename, max_bytes=rt.config["MAX_UPLOAD_BYTES"])
    except AttachmentRefused as err:
        message = _(err.message, **err.params)
        raise Invalid(message, errors={"file": [message]}) from None
    session.flush()
    attachments.link(session, [row.id], kind="upload", object_id=actor.username)
    session.commit()
    return row


def fetch(rt, session, actor, digest: str) -> tuple[Attachment, BinaryIO]:
    """(row, the bytes opened for streaming) of an attachment the actor may see; NotFound otherwise."""
    row = access.attachment_or_404(session, actor, digest)
    if not rt.files.exists(row.id, session):
        raise NotFound()
    return row, rt.files.open(row.id)
