"""What the steps of a hazard file check and compute: delivered documents (signed, or refused with a
witness and a photo), stored photos, and the two deadlines of a notice (to deliver it, then to rectify)."""
from __future__ import annotations

from datetime import timedelta

from records import attachments, dictionary, workdays
from records.hazards import Hazard

from .context import end_of_day, local_today


class HazardError(ValueError):
    """The step cannot be done with these inputs (the message says why)."""


def yes(value) -> bool:
    """A decision field: a boolean, or the form's "yes"/"no"."""
    return value is True or value == "yes"


def check_photos(ctx, ids, what: str) -> list[str]:
    ids = list(ids or [])
    known = attachments.stored_photos(ctx.session, ids)
    for digest in ids:
        if digest not in known:
            raise HazardError(f"{what}: {digest} is not a stored photo")
    return ids


def delivery_deadline(ctx, item: dict):
    """The end of the last working day to deliver the notice: the item's rule, else NOTICE_DELIVERY_DAYS."""
    days = dictionary.notice_days(item, ctx.settings.get("NOTICE_DELIVERY_DAYS", 1))
    return end_of_day(ctx, workdays.from_settings(ctx.settings).add(local_today(ctx), days))


def rectification_deadline(ctx, hazard: Hazard):
    """整改期限: the item's days counted from today (the notice's delivery), before a temporary customer's
    assurance window where the item's rule says so (never before today)."""
    day = local_today(ctx) + timedelta(days=int(hazard.item["deadline_days"]))
    cap = dictionary.deadline_cap(hazard.item, hazard.customer)
    if cap is not None and cap < day:
        day = max(cap, local_today(ctx))
    return end_of_day(ctx, day)


def checked_delivery(ctx, delivery: dict, what: str) -> dict:
    """A delivery (signed, or refused with a witness and a photo), checked; returns what to keep."""
    if yes(delivery.get("refused")):
        if not (delivery.get("witness") or "").strip() or not delivery.get("refusal_photo"):
            raise HazardError(f"{what}: a refusal needs a witness and a photo")
        check_photos(ctx, [delivery["refusal_photo"]], "refusal photo")
        return {"refused": True, "witness": delivery["witness"].strip(), "refusal_photo": delivery["refusal_photo"],
                "note": delivery.get("note")}
    signature = ctx.session.get(attachments.Attachment, delivery.get("signature") or "")
    if signature is None or signature.kind != "signature":
        raise HazardError(f"{what}: the customer's signature is missing")
    return {"refused": False, "signer_name": delivery.get("signer_name"), "signer_post": delivery.get("signer_post"),
            "signature": signature.id, "signed_at": ctx.now().isoformat()}
