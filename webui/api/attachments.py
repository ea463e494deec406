"""Attachments: upload a photo or signature (checked as a real image), download one you may see."""
from __future__ import annotations

from flask import request, send_file
from flask_smorest import Blueprint, abort

from services import attachments

from .. import current, db
from .schemas import AttachmentSchema, UploadSchema

blp = Blueprint("attachments", __name__, url_prefix="/api/v1/attachments", description="Photos and signatures")


@blp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.post("")
@blp.arguments(UploadSchema, location="form")
@blp.response(201, AttachmentSchema)
def upload_attachment(args):
    """Upload one image as multipart field `file`; the id is its SHA-256 (the same file twice: one id)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(422, message="send the image as the multipart field 'file'", errors={"file": ["missing"]})
    return attachments.upload(current.runtime(), db.session(), current.actor(), upload.read(), kind=args["kind"],
                              filename=upload.filename)


@blp.get("/<digest>")
@blp.response(200, description="The image bytes")
def download_attachment(digest):
    """The stored bytes of an attachment you uploaded or that an object you may see refers to."""
    row, stream = attachments.fetch(current.runtime(), db.session(), current.actor(), digest)
    response = send_file(stream, mimetype=row.content_type, max_age=0)
    response.content_length = row.size
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
