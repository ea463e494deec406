"""The hazard dictionary (隐患字典): company-wide reference data that every signed-in user reads and that
specialists and admins revise. A revision is a new version of the item; hazards keep the version they
were filed with.
"""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from engine import audit
from records import HazardItem, dictionary

from . import access
from .errors import Conflict, Invalid, NotFound
from .i18n import _

ITEM_FIELDS = ("name_zh", "name_en", "category", "default_severity", "top_severity", "deadline_days",
               "interim_required", "legal_basis", "notes", "active")
TEXTS = (("name_zh", 200, True), ("name_en", 200, True), ("category", 40, True), ("legal_basis", 1000, False),
         ("notes", 1000, False))


def items(rt, session, actor) -> list[HazardItem]:
    """The newest version of every item, active or not, by code."""
    return dictionary.current_items(session)


def editable_item(rt, session, actor, code: str) -> HazardItem:
    """The newest version of an item, for someone who may revise it."""
    access.require_right(actor, "dictionary.edit")
    found = {i.code: i for i in dictionary.current_items(session)}.get(str(code)[:10])
    if found is None:
        raise NotFound()
    return found


def revise(rt, session, actor, code: str, changes: dict, version) -> HazardItem:
    """Save the changes as the item's next version (refused when someone else revised it since `version`)."""
    item = editable_item(rt, session, actor, code)
    stale = _("Someone else changed this item meanwhile; reload and try again.")
    if str(version) != str(item.version):
        raise Conflict(stale)
    changes = {name: changes.get(name) for name in ITEM_FIELDS}
    _check(changes)
    now = rt.now()
    new = dictionary.revise(session, item.code, changes, actor.username, now)
    audit.record(session, f"dictionary:{item.code}", at=now, actor=actor.username, action="dictionary.revised",
                 before=item.snapshot(), after={**changes, "version": new.version})
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(stale) from None
    return new


def _check(changes: dict) -> None:
    errors = {}
    for name, limit, required in TEXTS:
        text = changes.get(name) or ""
        if required and not str(text).strip():
            errors[name] = _("This field is required.")
        elif len(str(text)) > limit:
            errors[name] = _("Use at most %(limit)s characters.", limit=limit)
    for name in ("default_severity", "top_severity"):
        if changes.get(name) not in dictionary.SEVERITIES:
            errors[name] = _("Choose one of the listed values.")
    days = changes.get("deadline_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 365:
        errors["deadline_days"] = _("Enter a number of days from 0 to 365.")
    if not errors and dictionary.SEVERITIES.index(changes["top_severity"]) < \
            dictionary.SEVERITIES.index(changes["default_severity"]):
        errors["top_severity"] = _("The severity at special and class-1 customers cannot be lower than the default.")
    changes["interim_required"], changes["active"] = bool(changes.get("interim_required")), bool(changes.get("active"))
    if errors:
        raise Invalid(_("Please correct the marked fields."), errors=errors)
