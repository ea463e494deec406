"""Checking a hazard opened by hand (outside an inspection) before anything is written: the customer in
the actor's reach, a dictionary item, the texts, the severity, the team, and photos that are uploaded
photos; and the idempotency key that makes a retried opening file once. `services.hazards.open_hazard`
calls these and starts the process only when all hold.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from forms.fields import MAX_PHOTOS
from records import AttachmentRefused, Customer, RequestKey, attachments, dictionary

from . import access
from .errors import Conflict, Invalid, NotFound
from .i18n import _

OPEN_FIELDS = ("customer", "item_code", "location", "equipment", "description", "severity", "severity_reason",
               "interim_measures")
REQUIRED = (("location", 200), ("description", 2000))
OPTIONAL = (("equipment", 200), ("severity_reason", 500), ("interim_measures", 1000))



@dataclass
class Opened:
    """A hazard opened by hand: its file number, where its process stands, and whether the opener reaches
    it (a customer followed by another team gets a file that team follows up)."""

    file_number: str | None          # None when the first step failed (the instance waits for an admin)
    status: str                      # the process instance's status: running, or error
    error: str | None = None
    instance_id: int | None = None
    team: str | None = None
    visible: bool = False
    dossier: dict | None = field(default=None, repr=False)


class OpeningRefused(Invalid):
    """The opening is refused with field errors; `photos` are the photos kept for the corrected form."""

    def __init__(self, errors: dict, photos: list[str]):
        super().__init__(_("The hazard cannot be opened."), errors=errors)
        self.photos = photos


def clean(values) -> dict:
    """The opening's fields as stripped text (missing ones empty)."""
    return {name: str(values.get(name) or "").strip() for name in OPEN_FIELDS}


def customer_in_reach(session, actor, number: str) -> Customer | None:
    """The customer of this number if the actor reaches it; absent and out of reach are alike."""
    if not number:
        return None
    try:
        return access.customer_or_404(session, actor, number)
    except NotFound:
        return None


def check(rt, session, actor, customer: Customer | None, values: dict) -> tuple[dict, dict]:
    """(start data without photos, errors by field) for cleaned values; nothing is written here."""
    errors: dict = {}
    if customer is None:
        errors["customer"] = _("There is no customer with this number.")
    item = dictionary.current(session, values["item_code"]) if values["item_code"] else None
    if item is None:
        errors["item_code"] = _("Choose an item of the hazard dictionary.")
    for name, limit in REQUIRED:
        if not values[name]:
            errors[name] = _("This field is required.")
        elif len(values[name]) > limit:
            errors[name] = _("Use at most %(limit)s characters.", limit=limit)
    for name, limit in OPTIONAL:
        if len(values[name]) > limit:
            errors[name] = _("Use at most %(limit)s characters.", limit=limit)
    severity = values["severity"] or None
    if severity and severity not in dictionary.SEVERITIES:
        errors["severity"] = _("Choose one of the listed values.")
    elif customer is not None and item is not None and severity:
        base = item.severity_at(customer, rt.today())      # by class, then the item's rules (NE01 at a mine)
        if dictionary.SEVERITIES.index(severity) < dictionary.SEVERITIES.index(base):
            errors["severity"] = _("The severity may be raised above the dictionary's, not lowered.")
        elif severity != base and not values["severity_reason"]:
            errors["severity_reason"] = _("Say why the severity is raised.")
    team = None
    if customer is not None and customer.default_team is None:
        own = [t for t in getattr(actor, "teams", []) if t.active]
        if len(own) == 1:
            team = own[0].code
        else:
            errors["customer"] = _("The customer has no default team; ask a specialist to set one.")
    data = {"customer_id": customer.id if customer else None, "item_code": item.code if item else None,
            "location": values["location"], "description": values["description"],
            "equipment": values["equipment"] or None, "severity": severity,
            "severity_reason": values["severity_reason"] or None, "team": team, "inspection_id": None,
            "interim_measures": values["interim_measures"] or None}
    return data, errors


def uploaded_photos(session, actor, photos: list[str]) -> set[str]:
    """Which of these ids are photos uploaded before (attachments of kind photo) that the actor may
    see: naming someone else's photo must not link it to a file the actor then reads."""
    wanted = {p for p in photos if isinstance(p, str) and len(p) == 64}
    return {p for p in attachments.stored_photos(session, wanted) if _may_see(session, actor, p)}


def _may_see(session, actor, digest: str) -> bool:
    try:
        access.attachment_or_404(session, actor, digest)
    except NotFound:
        return False
    return True


def checked_uploads(rt, uploads) -> tuple[list[tuple[bytes, str | None]], str | None]:
    """(the uploads that are real images, the message for the first that is not); nothing is stored."""
    good, refused = [], None
    for data, filename in uploads:
        try:
            attachments.check_image(data, kind="photo", max_bytes=rt.config["MAX_UPLOAD_BYTES"])
        except AttachmentRefused as err:
            refused = refused or _(err.message, **err.params)
            continue
        good.append((data, filename))
    return good, refused


def store(rt, session, actor, images) -> list[str]:
    """Keep checked images as photo attachments (in the caller's transaction); their ids."""
    ids = []
    for data, filename in images:
        row = attachments.store_image(session, rt.files, data, kind="photo", actor=actor.username, now=rt.now(),
                                      original_name=filename, max_bytes=rt.config["MAX_UPLOAD_BYTES"])
        ids.append(row.id)
    session.flush()
    return ids


# --- the idempotency key of an opening ---------------------------------------------------------------

KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _key(key: str | None) -> str | None:
    key = (key or "").strip()
    if not key:
        return None
    if not KEY.match(key):
        message = _("The idempotency key must be 8 to 64 letters, digits, - or _.")
        raise Invalid(message, errors={"idempotency_key": message})
    return key


def content_key(values, photos) -> str:
    """A key made of what a request asks for (its fields and photos): a client that retries without a key
    sends the same and so gets the first file, not a second one."""
    content = json.dumps({"values": clean(values), "photos": sorted(str(p) for p in photos)}, sort_keys=True,
                         ensure_ascii=False)
    return "body-" + hashlib.sha256(content.encode()).hexdigest()[:40]


def earlier_request(session, actor, key: str | None) -> int | None:
    """The instance an earlier opening with this key started, or None (no key, or its first use). Conflict
    while that first request is still filing."""
    key = _key(key)
    row = session.get(RequestKey, (actor.username, key)) if key else None
    if row is None:
        return None
    if row.instance_id is None:
        raise Conflict(_("This hazard is still being filed; reload in a moment."))
    return row.instance_id


def claim_request(session, actor, key: str | None, now) -> RequestKey | None | bool:
    """The key's row, added in the caller's transaction (committed with the instance it starts); None
    without a key; False when another request with the same key claimed it first."""
    key = _key(key)
    if key is None:
        return None
    row = RequestKey(actor=actor.username, key=key, action="hazard.open", created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return row
