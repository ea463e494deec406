"""Attachments: upload a photo or signature (checked as a real image), download one."""
from __future__ import annotations

from flask import current_app, request, send_file
from flask_login import current_user
from flask_smorest import Blueprint, abort

from records import Attachment, AttachmentRefused, attachments

from .. import db, engine_of, work
from .schemas import AttachmentSchema, UploadSchema

blp = Blueprint("attachments", __name__, url_prefix="/api/v1/attachments", description="Photos and signatures")


@blp.post("")
@blp.arguments(UploadSchema, location="form")
@blp.response(201, AttachmentSchema)
def upload_attachment(args):
    """Upload one image as multipart field `file`; the id is its SHA-256 (the same file twice: one id)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(422, message="send the image as the multipart field 'file'", errors={"file": ["missing"]})
    session = db.session()
    try:
        row = attachments.store_image(session, work.file_store(), upload.read(), kind=args["kind"],
                                      actor=current_user.username, now=engine_of(current_app).clock.now(),
                                      original_name=upload.filename,
                                      max_bytes=current_app.config["GRIDSAFE"]["MAX_UPLOAD_BYTES"])
    except AttachmentRefused as err:
        abort(422, message=str(err), errors={"file": [str(err)]})
    session.commit()
    return row


@blp.get("/<digest>")
@blp.response(200, description="The image bytes")
def download_attachment(digest):
    """The stored bytes of an attachment."""
    row = db.session().get(Attachment, digest[:64])
    if row is None or not work.file_store().exists(row.id):
        abort(404, message="no such attachment")
    return send_file(work.file_store().path(row.id), mimetype=row.content_type)
